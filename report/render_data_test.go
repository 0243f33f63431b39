package report

import (
	"strings"
	"testing"

	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// reportOf checks a scenario: a file, or builtin:NAME; proposal, when not
// empty, replaces the scenario's.
func reportOf(t *testing.T, path, proposal string) *run.Report {
	t.Helper()
	var scn *scenarios.Scenario
	var err error
	if name, ok := strings.CutPrefix(path, "builtin:"); ok {
		src, found := scenarios.Builtin(name)
		if !found {
			t.Fatalf("no built-in scenario %s", name)
		}
		scn, err = scenarios.Parse(path, src, run.ParseOptions())
	} else {
		scn, err = scenarios.ParseFile(path, run.ParseOptions())
	}
	if err != nil {
		t.Fatal(err)
	}
	b, err := scenarios.Build(scn, scenarios.Options{Proposal: proposal})
	if err != nil {
		t.Fatal(err)
	}
	return run.Run(b, sim.Options{})
}

// TestWitnessDataEnds: a deadlock's data names every blocked thread with
// what it waits for, as its message does; a crash's holds the recovered
// image, as the splat prints it; a race has neither.
func TestWitnessDataEnds(t *testing.T) {
	d := Data(reportOf(t, "../testdata/mutants/write-copies-under-handle.scn", ""))
	w := d.Witnesses()[0]
	if w.Check != "no-deadlock" || len(w.Blocked) != 3 || w.CrashImage != "" {
		t.Fatalf("deadlock witness: check %s, blocked %+v, crash image %q", w.Check, w.Blocked, w.CrashImage)
	}
	for _, b := range w.Blocked {
		says := b.Name + " waits for " + b.WaitsFor + " in " + b.Fn + " holding " + b.Held
		if !strings.Contains(w.Message, says) {
			t.Errorf("the message does not say %q:\n%s", says, w.Message)
		}
	}
	w = Data(reportOf(t, "builtin:flush-hole-plain", "linux")).Witnesses()[0]
	if !strings.HasPrefix(w.CrashImage, "crash point: the power is cut after step 12.") ||
		!strings.Contains(w.CrashImage, "page 0: hole (in memory b0 written, not committed); reads 0") || w.Blocked != nil {
		t.Errorf("crash witness: image %q, blocked %+v", w.CrashImage, w.Blocked)
	}
	for _, w := range Data(reportOf(t, "../testdata/scenarios/aops-swap.scn", "")).Witnesses() {
		if w.CrashImage != "" || w.Blocked != nil {
			t.Errorf("race witness %d: image %q, blocked %+v", w.Index, w.CrashImage, w.Blocked)
		}
	}
}
