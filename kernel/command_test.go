package kernel

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReproCommand(t *testing.T) {
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := ReproCommand(args, &out, &errb, nil)
		return code, out.String(), errb.String()
	}
	code, out, _ := run("../testdata/kernel/flush-hole-sync.scn", "-crash-after", "t1:4")
	if code != 0 || !strings.Contains(out, "dx_cut(); /* crash after t1:4 */") {
		t.Errorf("exit %d\n%s", code, out)
	}
	code, _, errs := run("../testdata/scenarios/proposals/daxfile.scn")
	if code != 2 || !strings.HasPrefix(errs, "../testdata/scenarios/proposals/daxfile.scn:") || !strings.Contains(errs, "never merged") {
		t.Errorf("refusal: exit %d %q", code, errs)
	}
	code, out, _ = run("-schedule", "witness", "-order", "t2:1,t1:1", "../testdata/kernel/race-store-truncate.scn")
	if code != 0 || !strings.Contains(out, "t2:1 t1:1 t1:2") {
		t.Errorf("witness: exit %d", code)
	}
	for _, bad := range [][]string{
		{},
		{"a.scn", "b.scn"},
		{"-witness", "1", "../testdata/kernel/flush-hole-sync.scn"},
		{"-order", "x", "-schedule", "witness", "../testdata/kernel/flush-hole-sync.scn"},
		{"-crash-after", "t1", "../testdata/kernel/flush-hole-sync.scn"},
		{"-schedule", "nope", "../testdata/kernel/flush-hole-sync.scn"},
		{"/nonexistent.scn"},
	} {
		if code, _, _ := run(bad...); code != 2 {
			t.Errorf("%q: exit %d, want 2", bad, code)
		}
	}
	o := filepath.Join(t.TempDir(), "r.c")
	if code, _, _ := run("-o", o, "-reader", "../testdata/scenarios/dir-inherit-rename.scn"); code != 0 {
		t.Fatalf("-reader -o: exit %d", code)
	}
	data, _ := os.ReadFile(o)
	if !bytes.HasPrefix(data, []byte("/* for ../testdata/scenarios/dir-inherit-rename.scn: daxsim-reader DIR f=plain/f:pm/f */")) {
		t.Errorf("reader header: %.100s", data)
	}
}
