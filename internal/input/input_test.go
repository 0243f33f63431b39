package input

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	os.WriteFile(small, []byte("scenario s\n"), 0o644)
	if data, err := ReadFile(small, 100); err != nil || string(data) != "scenario s\n" {
		t.Fatalf("small file: %q %v", data, err)
	}
	if _, err := ReadFile(small, 4); err == nil || !strings.Contains(err.Error(), "more than the 4") {
		t.Errorf("a file over the limit: %v", err)
	}
	if _, err := ReadFile(dir, 100); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory: %v", err)
	}
	if _, err := ReadFile("/dev/zero", 100); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("/dev/zero: %v", err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err == nil {
		// No writer: opening it would block, so ReadFile must refuse it first.
		if _, err := ReadFile(fifo, 100); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("a FIFO: %v", err)
		}
	}
}
