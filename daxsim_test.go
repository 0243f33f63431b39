package daxsim_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daxsim/daxsim"
	"github.com/daxsim/daxsim/scenarios"
)

func TestCheckFile(t *testing.T) {
	res, err := daxsim.CheckFile("testdata/scenarios/aops-swap.scn", daxsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Exit() != 0 || res.Verdict("aops-consistent") != "violation" || res.Verdict("no-deadlock") != "pass" {
		t.Fatalf("exit %d, verdicts %s %s\n%s", res.Exit(), res.Verdict("aops-consistent"), res.Verdict("no-deadlock"), res.Text())
	}
	if !strings.Contains(res.Text(), "BUG: aops-consistent violated") {
		t.Fatalf("no counterexample in the text:\n%s", res.Text())
	}
	if js, err := res.JSON(); err != nil || !strings.Contains(string(js), `"proposal": "flip-xarray-check"`) {
		t.Fatalf("JSON: %v\n%s", err, js)
	}
	// Another proposal through Options: the file's expectation fails.
	res, err = daxsim.CheckFile("testdata/scenarios/aops-swap.scn", daxsim.Options{Proposal: "flip-dontcache"})
	if err != nil || res.Exit() != 1 || res.Verdict("aops-consistent") != "pass" {
		t.Fatalf("under flip-dontcache: %v, exit %d", err, res.Exit())
	}
}

// TestBadInputIsAnError: a misspelled property in an expect line, a syntax
// error and bad options are errors with a position or the option's name, never
// a panic.
func TestBadInputIsAnError(t *testing.T) {
	src := "scenario s\nproposal linux\nfile f pages=1\nprocess p uid=0\nthread t p\n  open f rw as fd\nexpect pass no-such-property\n"
	_, err := daxsim.Check("mine.scn", []byte(src), daxsim.Options{})
	var perr *scenarios.Error
	if !errors.As(err, &perr) || perr.Pos.Line != 7 || !strings.Contains(err.Error(), "no-such-property") {
		t.Fatalf("misspelled property: %v", err)
	}
	if _, err := daxsim.Check("x.scn", []byte("scenario\n"), daxsim.Options{}); !errors.As(err, &perr) {
		t.Fatalf("syntax error: %v", err)
	}
	good := strings.Replace(src, "no-such-property", "no-deadlock", 1)
	for _, opt := range []daxsim.Options{{Proposal: "nope"}, {Mutants: []string{"nope"}}, {Crash: "sometimes"}, {MaxStates: -1}} {
		if _, err := daxsim.Check("mine.scn", []byte(good), opt); err == nil || !strings.Contains(err.Error(), "Options.") {
			t.Errorf("options %+v: %v", opt, err)
		}
	}
	if _, err := daxsim.CheckFile("no/such/file.scn", daxsim.Options{}); err == nil {
		t.Error("a missing file is not an error")
	}
}

// TestExternalModule is what a user does: a module of their own, with a
// replace directive to a checkout of daxsim, whose test runs its scenario files
// with daxsimtest.Run. It runs 'go test' in a temporary module (skipped with
// -short: it builds a module).
func TestExternalModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	root, _ := filepath.Abs(".")
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gomod, _ := os.ReadFile("go.mod")
	write("go.mod", "module example.com/mine\n\ngo 1.26\n\nrequire github.com/daxsim/daxsim v0.0.0\n\nreplace github.com/daxsim/daxsim => "+root+"\n")
	gosum, _ := os.ReadFile("go.sum")
	write("go.sum", string(gosum))
	_ = gomod
	write("mine_test.go", "package mine\n\nimport (\n\t\"testing\"\n\n\t\"github.com/daxsim/daxsim/daxsimtest\"\n)\n\nfunc TestMine(t *testing.T) { daxsimtest.Run(t, \"testdata/*.scn\") }\n")
	aops, _ := os.ReadFile("testdata/scenarios/aops-swap.scn")
	write("testdata/aops-swap.scn", string(aops))
	run := func() (string, error) {
		cmd := exec.Command(goBin, "test", "-count=1", "-mod=mod", "./...")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(); err != nil {
		t.Fatalf("the user's test fails: %v\n%s", err, out)
	}
	// A broken expectation makes the user's test fail, printing the report.
	write("testdata/aops-swap.scn", strings.Replace(string(aops), "expect violation aops-consistent", "expect pass aops-consistent", 1))
	out, err := run()
	if err == nil || !strings.Contains(out, "aops-swap.scn") || !strings.Contains(out, "BUG: aops-consistent violated") {
		t.Fatalf("a broken expectation passed or printed no report: %v\n%s", err, out)
	}
}
