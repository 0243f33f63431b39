// Package proposals holds the kernel design proposals daxsim compares, one file
// each. A proposal is a set of overrides of the baseline kernel of package model
// (never an "if proposal ==" in shared code): it replaces paths (model.PathID)
// and hooks (the fields of model.Hooks), declared in Overrides, possibly on top
// of other proposals it is built from (Uses).
//
// What a proposal may call in package model is the exported surface its doc
// lists under "For proposals and mutants".
package proposals

import (
	"fmt"
	"slices"

	"github.com/daxsim/daxsim/model"
)

// Proposal is one kernel design.
type Proposal struct {
	Name    string
	Rank    int      // its row in SPEC.md section 4's table: the order of the matrix
	Source  string   // the seed file or kernel version and commit it comes from
	Summary string   // one line
	Rules   []string // what it changes, for 'daxsim explain'
	// Verdicts are the known verdicts and the scenario files under testdata/ that
	// assert them, for 'daxsim explain'.
	Verdicts []string
	// Uses are the proposals it is built from, applied first, in order. Two of
	// them must not override the same path or hook: that composition is an
	// error. Its own Apply may refine what they set.
	Uses []string
	// Overrides names what its own Apply replaces or wraps: paths by their
	// model.PathID name ("setflag-dax"), hooks by their model.Hooks field name
	// ("MmapFlags"). A test checks the list against what Apply really changes.
	Overrides []string
	// Apply edits the kernel; nil when the proposal is only its Uses.
	Apply func(k *model.Kernel)
}

// registry holds the proposals by name; all of them in Rank order.
var (
	registry = map[string]*Proposal{}
	all      []*Proposal
)

// register adds a proposal (from its file's init): its name is written there once.
func register(p *Proposal) {
	if _, dup := registry[p.Name]; dup || p.Rank <= 0 {
		panic("proposals: " + p.Name + " registered twice or without a rank")
	}
	registry[p.Name] = p
	i, _ := slices.BinarySearchFunc(all, p.Rank, func(q *Proposal, r int) int { return q.Rank - r })
	if i < len(all) && all[i].Rank == p.Rank {
		panic("proposals: " + all[i].Name + " and " + p.Name + " have the same rank")
	}
	all = slices.Insert(all, i, p)
}

// Lookup finds a proposal by its stable name.
func Lookup(name string) (*Proposal, bool) {
	p, ok := registry[name]
	return p, ok
}

// All lists every proposal in SPEC order.
func All() []*Proposal { return slices.Clone(all) }

// Names lists every proposal name in SPEC order.
func Names() []string {
	out := make([]string, len(all))
	for i, p := range all {
		out[i] = p.Name
	}
	return out
}

// AllOverrides is everything the proposal overrides, its Uses' first, each
// entry "what (by whom)".
func (p *Proposal) AllOverrides() []string {
	var out []string
	for _, u := range p.Uses {
		for _, o := range registry[u].AllOverrides() {
			out = append(out, o)
		}
	}
	for _, o := range p.Overrides {
		out = append(out, fmt.Sprintf("%s (%s)", o, p.Name))
	}
	return out
}

// overrideSet is what p and its Uses override.
func (p *Proposal) overrideSet() []string {
	var out []string
	for _, u := range p.Uses {
		out = append(out, registry[u].overrideSet()...)
	}
	return append(out, p.Overrides...)
}

// apply applies p's Uses, checking that no two override the same thing, then
// p's own overrides.
func (p *Proposal) apply(k *model.Kernel) error {
	owner := map[string]string{}
	for _, u := range p.Uses {
		q, ok := registry[u]
		if !ok {
			return fmt.Errorf("proposal %s uses unknown proposal %q", p.Name, u)
		}
		for _, o := range q.overrideSet() {
			if prev, dup := owner[o]; dup {
				return fmt.Errorf("proposal %s composes %s and %s, which both override %s", p.Name, prev, u, o)
			}
			owner[o] = u
		}
		if err := q.apply(k); err != nil {
			return err
		}
	}
	if p.Apply != nil {
		p.Apply(k)
	}
	return nil
}

// Kernel builds the kernel of proposal name on filesystem fs, unsealed: the
// mutants may edit it before it is sealed.
func Kernel(name string, fs *model.FS) (*model.Kernel, error) {
	p, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown proposal %q (see 'daxsim proposals')", name)
	}
	k := model.NewKernel(fs)
	k.Proposal = name
	if err := p.apply(k); err != nil {
		return nil, err
	}
	return k, nil
}

// overrides reports what p's own Apply changes in a kernel that already has
// its Uses: the paths whose steps changed and the hooks that were replaced.
func (p *Proposal) overridesDetected(fs *model.FS) ([]string, error) {
	k := model.NewKernel(fs)
	for _, u := range p.Uses {
		if err := registry[u].apply(k); err != nil {
			return nil, err
		}
	}
	before := model.Fingerprint(k)
	if p.Apply != nil {
		p.Apply(k)
	}
	after := model.Fingerprint(k)
	var out []string
	for name, f := range after {
		if before[name] != f {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}
