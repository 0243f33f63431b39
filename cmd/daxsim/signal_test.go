package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daxsim/daxsim/run"
)

// TestInterruptReport: SIGINT during a long search stops it at the next
// batch; the report of what was found is written whole to -o (replacing the
// old file), says "interrupted", leaves the verdicts unknown, and the exit
// status is 3.
func TestInterruptReport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "daxsim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	scn := filepath.Join(dir, "big.scn")
	var b strings.Builder
	b.WriteString("scenario big\nproposal flip-dontcache\nfs xfs\nfile f pages=2 dax=on extents=written\n")
	b.WriteString("process p0 uid=1000\nprocess p1 uid=1000\nprocess root uid=0\n")
	for i := 0; i < 7; i++ {
		b.WriteString("thread t" + string(rune('0'+i)) + " p" + string(rune('0'+i%2)) + "\n  open f rw as fd\n  mmap fd 0-1 shared rw as m\n")
		b.WriteString("  load m " + string(rune('0'+i%2)) + "\n  store m " + string(rune('0'+i%2)) + " V" + string(rune('0'+i)) + "\n")
	}
	b.WriteString("thread flip root\n  open f rw as fd\n  setflag fd dax=off\ncrash never\ncheck aops-consistent no-deadlock\n")
	os.WriteFile(scn, []byte(b.String()), 0o644)
	out := filepath.Join(dir, "report.txt")
	os.WriteFile(out, []byte("a stale report\n"), 0o644)
	cmd := exec.Command(bin, "check", "-por=false", "-workers", "1", "-o", out, scn)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != run.ExitUnknown {
		t.Fatalf("exit: %v, want status 3", err)
	}
	got, _ := os.ReadFile(out)
	s := string(got)
	if !strings.Contains(s, "INCOMPLETE (interrupted)") || !strings.Contains(s, "no-deadlock      unknown") ||
		strings.Contains(s, "stale") {
		t.Fatalf("report after SIGINT:\n%s", s)
	}
}
