package run

import (
	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// Partial-order reduction for a run (sim/por.go): what the run's checks
// observe, and the reduction that keeps their verdicts.

// Visibility is what the state checks of a run of b observe: the
// declarations (Property.Observes) of the properties the run judges (those
// RunMode selects: its check line or every property, and those its expect
// lines name; crash properties only when crashes are checked), and, for an
// "expect result" or "expect reachable" line about an after-crash statement,
// the crash image it is run on. Lines about a thread's statement judge
// returns, which are events: they need nothing.
func Visibility(b *scenarios.Built) model.Visibility {
	cfg := checker.Config{Crash: b.Scn.Crash}
	names, _ := selectProperties(b.Scn)
	v := PropertyVisibility(cfg, names)
	for _, e := range b.Scn.Expects {
		if (e.Kind == scenarios.ExpectResult || e.Kind == scenarios.ExpectReachable) && e.Stmt.Thread == scenarios.CrashThread {
			v = v.Union(crashImageObserved)
		}
	}
	return v
}

// PropertyVisibility is what the state checks of the named properties observe
// under cfg (a property that is not checkable, or a crash property under
// "crash never", is not checked and observes nothing).
func PropertyVisibility(cfg checker.Config, names []string) model.Visibility {
	var v model.Visibility
	for _, n := range names {
		p, ok := checker.Lookup(n)
		if !ok || !p.Checkable() || (p.Crash && !cfg.Crashes()) || p.Observes == nil {
			continue
		}
		v = v.Union(p.Observes(cfg))
	}
	return v
}

// crashImageObserved is what recovery reads to build the image an after-crash
// block runs on (model.Kernel.Recover): the crash point, the committed
// metadata and directory flags, the names, owners and freezes, the reflink
// origins, both bitmaps and both bounds of every block (not whether a
// non-temporal write is pending: the bounds are what an image takes).
var crashImageObserved = model.Observe(model.RCut, model.RDDir, model.RDMeta, model.RFlags, model.RLink,
	model.RImm, model.RClone, model.RBUsed, model.RBDUsed, model.RBDur, model.RData)

// POR is the partial-order reduction for a run of b: plug it into
// sim.Options.Reduce, and after the search give its result to sim.Reshorten
// with the run's checks to make the witnesses shortest again.
func POR(b *scenarios.Built) *sim.POR { return sim.NewPOR(b.Kernel, Visibility(b)) }

// Checks is the engine checks of a run of b, as RunMode makes them: the
// selected properties' and the expect result and reachable lines'. Each call
// makes fresh ones (for sim.Reshorten).
func Checks(b *scenarios.Built) []sim.Check {
	cfg := checker.Config{Crash: b.Scn.Crash}
	names, _ := selectProperties(b.Scn)
	var checks []sim.Check
	for _, n := range names {
		p, _ := checker.Lookup(n)
		if p.Checkable() && (!p.Crash || cfg.Crashes()) {
			checks = append(checks, p.Check(cfg))
		}
	}
	for _, rc := range expectResultChecks(b) {
		checks = append(checks, rc.check)
	}
	return checks
}
