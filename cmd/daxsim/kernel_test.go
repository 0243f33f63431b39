package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestKernelCommand: 'daxsim kernel' is wired; a file no kernel can run is bad
// input with the generator's message, and nothing boots for it.
func TestKernelCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := realMain([]string{"kernel"}, &out, &errb); code != 2 {
		t.Errorf("no files: exit %d", code)
	}
	out.Reset()
	errb.Reset()
	code := realMain([]string{"kernel", "-fs", "ext4,xfs", "../../testdata/scenarios/proposals/daxfile.scn"}, &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "never merged") || !strings.Contains(out.String(), "0 boot(s)") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
}
