package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/daxsim/daxsim/model/mutants"
	"github.com/daxsim/daxsim/run"
)

// TestMutantsCaught: every seeded kernel bug has a scenario under testdata/mutants
// that runs with it and whose expect lines (stating what the bug breaks) hold, and
// the same scenario without the mutant fails those expect lines: the scenario
// tells the buggy kernel from the correct one.
func TestMutantsCaught(t *testing.T) {
	for _, m := range mutants.All() {
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
			if code := realMain([]string{"check", f}, &out, &errb); code != run.ExitOK {
				t.Fatalf("with the mutant: exit %d, want 0 (the bug is caught)\n%s%s", code, errb.String(), out.String())
			}
			clean := regexp.MustCompile(`(?m)^mutant .*$`).ReplaceAll(src, nil)
			g := filepath.Join(t.TempDir(), m.Name+".scn")
			if err := os.WriteFile(g, clean, 0o644); err != nil {
				t.Fatal(err)
			}
			out.Reset()
			if code := realMain([]string{"check", g}, &out, &errb); code != run.ExitFail {
				t.Fatalf("without the mutant: exit %d, want 1 (the correct kernel does not show the bug)\n%s", code, out.String())
			}
		})
	}
}

// TestLinuxModelClean: the unmutated linux model violates no property of the
// kernel's contract on any scenario under testdata/scenarios, run under linux
// whatever its proposal line says. flush-is-durable is not part of that contract
// (linux promises nothing for a flush through a mapping without MAP_SYNC) and is
// left out; so are scenarios that need a proposal's own statements to mean
// anything (their calls return ENOSYS or EINVAL under linux, which is fine).
func TestLinuxModelClean(t *testing.T) {
	contract := []string{"aops-consistent", "no-lost-block", "no-stale-pte", "no-deadlock", "lock-order",
		"read-your-writes", "no-data-leak", "no-denial"}
	runs := 0
	for _, f := range scenarioFiles(t) {
		if !regexp.MustCompile(`/testdata/scenarios/`).MatchString(f) {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if regexp.MustCompile(`(?m)^mutant `).Match(src) {
			continue // scenarios that run a seeded bug on purpose
		}
		// The crash properties are part of the contract: "crash never" goes.
		clean := regexp.MustCompile(`(?m)^((expect|check) .*|crash never\s*)$`).ReplaceAll(src, nil)
		clean = append(clean, []byte("\ncheck "+joinWords(contract)+"\n")...)
		g := filepath.Join(t.TempDir(), filepath.Base(f))
		if err := os.WriteFile(g, clean, 0o644); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		if code := realMain([]string{"check", "-proposal", "linux", g}, &out, &errb); code != run.ExitOK {
			t.Errorf("%s under linux: exit %d\n%s%s", f, code, errb.String(), out.String())
		}
		runs++
	}
	if runs < 20 {
		t.Fatalf("only %d scenarios ran under linux", runs)
	}
}

func joinWords(ws []string) string {
	s := ""
	for i, w := range ws {
		if i > 0 {
			s += " "
		}
		s += w
	}
	return s
}
