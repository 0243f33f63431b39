package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReproWitness: 'daxsim repro -witness N' orders the program's statements
// as counterexample N returns them, from the scenario (checked on the spot)
// or from a JSON report of it; the program compiles; misuse is exit 2.
func TestReproWitness(t *testing.T) {
	f := "../../testdata/scenarios/aops-swap.scn"
	repro := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := realMain(append([]string{"repro"}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	// Counterexample 0 (stale-vm_ops): t1 opens and maps, its store faults;
	// t2 opens and flips the flag; t1's fault ends in SIGBUS.
	code, out, errs := repro("-witness", "0", f)
	want := " *   t1:1 t1:2 t2:1 t2:2 t1:3\n * It is the order of counterexample 0 of " + f
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "(aops-consistent, stale-vm_ops)") {
		t.Fatalf("exit %d %s\n%.1500s", code, errs, out)
	}
	dir := t.TempDir()
	js := filepath.Join(dir, "r.json")
	var o, e bytes.Buffer
	realMain([]string{"check", "-format", "json", "-o", js, f}, &o, &e)
	code, fromJSON, errs := repro("-witness", "0", js)
	if code != 0 || !strings.Contains(fromJSON, " *   t1:1 t1:2 t2:1 t2:2 t1:3\n") {
		t.Fatalf("from the report: exit %d %s", code, errs)
	}
	if gcc, err := exec.LookPath("gcc"); err == nil {
		c := filepath.Join(dir, "w.c")
		os.WriteFile(c, []byte(out), 0o644)
		if msg, err := exec.Command(gcc, "-Wall", "-Werror", "-O2", "-pthread", "-o", filepath.Join(dir, "w"), c).CombinedOutput(); err != nil {
			t.Errorf("gcc: %v\n%s", err, msg)
		}
	}
	for _, bad := range [][]string{
		{"-witness", "9", f},
		{"-witness", "0", "-order", "t1:1", f},
		{"-witness", "0", "-schedule", "concurrent", f},
		{"-witness", "0", filepath.Join(dir, "missing.json")},
	} {
		if code, _, errs := repro(bad...); code != 2 || !strings.HasPrefix(errs, "daxsim repro: -witness") {
			t.Errorf("%q: exit %d %q", bad, code, errs)
		}
	}
}
