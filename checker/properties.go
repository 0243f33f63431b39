// Package checker holds the properties daxsim checks (one file each, whose doc
// comment states the kernel rule) and their registry: what each checks, judges
// and observes, and the engine checks that judge it. Running a scenario and
// judging its expect lines is package run; the reports are package report.
package checker

import (
	"slices"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/sim"
)

// Property is one stable property of SPEC.md section 5.
type Property struct {
	Name string
	Rank int    // its row in SPEC.md section 5's table: the order of reports
	Rule string // one line: the kernel rule it checks
	// Judges names what its coverage counts (its sim.Judge.Judged calls): a
	// property that judged none of them in a whole search is vacuous there.
	Judges string
	// Check returns the engine check; nil when the property cannot be checked yet.
	Check func(cfg Config) sim.Check
	Issue string // where an uncheckable property is planned
	// History returns the check of a whole random run's history (random mode
	// and the fallback to it), judged besides Check; nil: none.
	History func(cfg Config) sim.HistoryCheck
	// Crash marks properties that exist only on crash images: under "crash
	// never" they are not checked.
	Crash bool
	// Observes is what the property's state checks look at (model.Observe),
	// for partial-order reduction: a step that changes any of it is never
	// explored alone (the ample sets' visibility condition). Transition,
	// stuck and traced checks need nothing here (sim/por.go). nil: the
	// property has no state check.
	Observes func(cfg Config) model.Visibility
}

// Config is what a property needs to know about the run.
type Config struct {
	// Crash is the scenario's crash line: "anywhere" (also for ""), "never" or
	// "after".
	Crash string
}

// Crashes reports whether crash images are checked.
func (c Config) Crashes() bool { return c.Crash != "never" }

// Checkable reports whether the property can be checked now.
func (p *Property) Checkable() bool { return p.Check != nil }

// registry holds the properties by name; all of them in Rank order.
var (
	registry = map[string]*Property{}
	all      []*Property
)

// register adds a property (from its file's init): its name is written there
// once, and the engine checks it makes are named after it.
func register(p *Property) {
	if _, dup := registry[p.Name]; dup || p.Rank <= 0 {
		panic("checker: property " + p.Name + " registered twice or without a rank")
	}
	if check := p.Check; check != nil {
		p.Check = func(cfg Config) sim.Check {
			c := check(cfg)
			c.Name = p.Name
			return c
		}
	}
	if hist := p.History; hist != nil {
		p.History = func(cfg Config) sim.HistoryCheck {
			h := hist(cfg)
			h.Name = p.Name
			return h
		}
	}
	registry[p.Name] = p
	i, _ := slices.BinarySearchFunc(all, p.Rank, func(q *Property, r int) int { return q.Rank - r })
	if i < len(all) && all[i].Rank == p.Rank {
		panic("checker: properties " + all[i].Name + " and " + p.Name + " have the same rank")
	}
	all = slices.Insert(all, i, p)
}

// Lookup finds a property by name.
func Lookup(name string) (*Property, bool) {
	p, ok := registry[name]
	return p, ok
}

// All lists the properties in SPEC order.
func All() []*Property { return slices.Clone(all) }

// Names lists every property name in SPEC order.
func Names() []string {
	out := make([]string, len(all))
	for i, p := range all {
		out[i] = p.Name
	}
	return out
}
