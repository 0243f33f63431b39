// Package mutants holds the seeded kernel bugs daxsim tests itself with, one
// file each. A mutant re-creates a historical bug (reference/linux-dax.md
// section E) or a classic mistake (reference/crash-model.md 3.8) as an edit of
// the kernel: it replaces or wraps labelled steps of the paths, removes steps,
// or replaces one of the kernel functions in [model.Hooks]. The correct kernel
// paths in package model know nothing of them.
//
// Every mutant must be caught by its scenario, testdata/mutants/NAME.scn: the
// tests check that the scenario tells the buggy kernel from the correct one.
package mutants

import (
	"fmt"

	"github.com/daxsim/daxsim/model"
)

// Mutant describes one seeded bug.
type Mutant struct {
	Name   string
	What   string // the change
	Source string // the historical bug and commit, or the crash-model item
	Breaks string // the property (or expect line) that must catch it
	// Apply edits a kernel, after its proposal has, to carry the bug. Under a
	// proposal whose paths lack what the bug is about it may change nothing.
	Apply func(k *model.Kernel)
}

// order is the order mutants are listed and applied in.
var order = []string{
	"sync-fault-skips-fsync", "dirty-misses-conversion", "fsync-no-wrprotect", "fault-skips-zeroing",
	"commit-no-preflush", "dontcache-discards-dirty", "fault-skips-invalidate-lock", "seal-before-durable",
	"direct-readonly-pin", "write-copies-under-handle", "fault-rezeroes-block", "fault-skips-entry-lock",
	"entry-wake-one", "write-skips-entry-wait", "write-invalidates-file", "setflag-flips-live",
	"sync-fault-holds-handle", "fault-enospc-sigbus",
}

var registry = map[string]*Mutant{}

func register(m *Mutant) {
	if _, dup := registry[m.Name]; dup {
		panic("mutants: duplicate " + m.Name)
	}
	registry[m.Name] = m
}

// All lists every mutant in order.
func All() []*Mutant {
	out := make([]*Mutant, 0, len(order))
	for _, n := range order {
		out = append(out, registry[n])
	}
	return out
}

// Names lists the mutant names in order.
func Names() []string { return append([]string(nil), order...) }

// Lookup finds a mutant by name.
func Lookup(name string) (*Mutant, bool) {
	m, ok := registry[name]
	return m, ok
}

// Apply edits k with the named mutants, in the registry's order whatever the
// order of names, and records them in k.Mutants. k must not be sealed yet.
func Apply(k *model.Kernel, names []string) error {
	want := map[string]bool{}
	for _, n := range names {
		if _, ok := registry[n]; !ok {
			return fmt.Errorf("unknown mutant %q (see 'daxsim mutants')", n)
		}
		want[n] = true
	}
	for _, n := range order {
		if want[n] {
			registry[n].Apply(k)
			k.Mutants = append(k.Mutants, n)
		}
	}
	return nil
}

// wrapper is the type of a step wrapper (model.Kernel.Wrap).
type wrapper = func(do model.StepFunc) model.StepFunc
