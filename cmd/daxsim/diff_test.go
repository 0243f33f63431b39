package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/daxsim/daxsim/run"
)

// TestDiff: flip-xarray-check and linux differ on the aops-swap workload in the
// store (SIGBUS where the fault met swapped ops) and the flip (EBUSY); a
// proposal compared with itself differs nowhere; bad flags are exit 2.
func TestDiff(t *testing.T) {
	var out, errb bytes.Buffer
	code := realMain([]string{"diff", "-proposals", "flip-xarray-check,linux", "../../testdata/scenarios/aops-swap.scn"}, &out, &errb)
	if code != run.ExitFail {
		t.Fatalf("exit %d, want 1\n%s%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"*  t1:3 store m 0 A", "{SIGBUS, ok}", "*  t2:2 setflag fd dax=on", "{EBUSY, ok}"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := realMain([]string{"diff", "-proposals", "linux,linux", "../../testdata/scenarios/aops-swap.scn"}, &out, &errb); code != run.ExitOK || strings.Contains(out.String(), "*  t") {
		t.Fatalf("linux against itself: exit %d\n%s", code, out.String())
	}
	for _, args := range [][]string{{"diff", "../../testdata/scenarios/aops-swap.scn"}, {"diff", "-proposals", "linux", "x.scn"},
		{"diff", "-proposals", "linux,nope", "../../testdata/scenarios/aops-swap.scn"}} {
		errb.Reset()
		if code := realMain(args, &out, &errb); code != run.ExitBadInput || !strings.Contains(errb.String(), "-proposals") {
			t.Errorf("%v: exit %d, %q", args, code, errb.String())
		}
	}
}
