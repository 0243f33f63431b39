package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model"
)

// TestMutantsCaught: every seeded kernel bug has a scenario under testdata/mutants
// that runs with it and whose expect lines (stating what the bug breaks) hold, and
// the same scenario without the mutant fails those expect lines: the scenario
// tells the buggy kernel from the correct one.
func TestMutantsCaught(t *testing.T) {
	for _, m := range model.Mutants {
		t.Run(m.Name, func(t *testing.T) {
			f := filepath.Join("../../testdata/mutants", m.Name+".scn")
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatalf("mutant %s has no catching scenario: %v", m.Name, err)
			}
			if !regexp.MustCompile(`(?m)^mutant ` + regexp.QuoteMeta(m.Name) + `\s*$`).Match(src) {
				t.Fatalf("%s does not run with mutant %s", f, m.Name)
			}
			var out, errb bytes.Buffer
			if code := run([]string{"check", f}, &out, &errb); code != checker.ExitOK {
				t.Fatalf("with the mutant: exit %d, want 0 (the bug is caught)\n%s%s", code, errb.String(), out.String())
			}
			clean := regexp.MustCompile(`(?m)^mutant .*$`).ReplaceAll(src, nil)
			g := filepath.Join(t.TempDir(), m.Name+".scn")
			if err := os.WriteFile(g, clean, 0o644); err != nil {
				t.Fatal(err)
			}
			out.Reset()
			if code := run([]string{"check", g}, &out, &errb); code != checker.ExitFail {
				t.Fatalf("without the mutant: exit %d, want 1 (the correct kernel does not show the bug)\n%s", code, out.String())
			}
		})
	}
}
