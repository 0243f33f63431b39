// Package daxsimtest runs daxsim scenario files from a Go test, each as a
// subtest that fails when its expect lines do not hold:
//
//	func TestScenarios(t *testing.T) { daxsimtest.Run(t, "testdata/*.scn") }
//
// A failing subtest prints the text report with its counterexamples.
package daxsimtest

import (
	"path/filepath"
	"testing"

	"github.com/daxsim/daxsim"
)

// Run checks every scenario file matching glob (filepath.Glob syntax) as a
// subtest named after the file. A file whose expect lines do not hold fails
// (or, without expect lines, one where a property is violated); a limit that
// leaves a verdict unknown fails too. No matching file fails the test.
func Run(t *testing.T, glob string) {
	t.Helper()
	RunOptions(t, glob, daxsim.Options{})
}

// RunOptions is Run with options (a proposal or mutant for every file, limits).
func RunOptions(t *testing.T, glob string, opt daxsim.Options) {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil {
		t.Fatalf("daxsimtest: %v", err)
	}
	if len(files) == 0 {
		t.Fatalf("daxsimtest: no scenario file matches %q", glob)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			res, err := daxsim.CheckFile(f, opt)
			if err != nil {
				t.Fatal(err)
			}
			switch res.Exit() {
			case 0:
			case 3:
				t.Errorf("%s: a limit left a verdict unknown\n%s", f, res.Text())
			default:
				t.Errorf("%s: expectations do not hold\n%s", f, res.Text())
			}
		})
	}
}
