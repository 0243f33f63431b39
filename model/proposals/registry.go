// Package proposals holds the kernel design proposals daxsim compares, one file
// each. A proposal is a set of overrides of the baseline kernel paths of package
// model (never an "if proposal ==" in shared code), plus its contract and sources.
package proposals

import (
	"fmt"

	"github.com/daxsim/daxsim/model"
)

// Proposal is one kernel design.
type Proposal struct {
	Name    string
	Source  string   // the seed file or kernel version and commit it comes from
	Summary string   // one line
	Rules   []string // what it changes, for 'daxsim explain'
	// Verdicts are the known verdicts and the scenario files under testdata/ that
	// assert them, for 'daxsim explain'.
	Verdicts []string
	// Apply overrides the baseline paths; nil when the proposal is not modeled yet.
	Apply func(k *model.Kernel)
	// Issue is where an unmodeled proposal is planned.
	Issue string
}

// Modeled reports whether the proposal can run.
func (p *Proposal) Modeled() bool { return p.Apply != nil }

// order is the stable order of SPEC.md section 4.
var order = []string{
	"baseline", "map-sync", "pmem-aware", "pmem-aware-retry", "daxfile", "pmem-immutable",
	"immutable-metadata", "map-direct", "flip-live", "flip-xarray-check", "flip-locked",
	"flip-aops-refcount", "flip-dir-inherit", "flip-dontcache", "remap-naive", "remap-kara",
	"mincore-dax", "linux",
}

var registry = map[string]*Proposal{}

func register(p *Proposal) {
	if _, dup := registry[p.Name]; dup {
		panic("proposals: duplicate " + p.Name)
	}
	registry[p.Name] = p
}

// Lookup finds a proposal by its stable name.
func Lookup(name string) (*Proposal, bool) {
	p, ok := registry[name]
	return p, ok
}

// All lists every proposal in SPEC order.
func All() []*Proposal {
	out := make([]*Proposal, 0, len(order))
	for _, n := range order {
		out = append(out, registry[n])
	}
	return out
}

// Names lists every proposal name in SPEC order.
func Names() []string { return append([]string(nil), order...) }

// Kernel builds the kernel of proposal name on filesystem fs.
func Kernel(name, fs string) (*model.Kernel, error) {
	p, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown proposal %q (see 'daxsim proposals')", name)
	}
	if !p.Modeled() {
		return nil, fmt.Errorf("proposal %q is not modeled yet (planned in issue %s)", name, p.Issue)
	}
	k := model.NewKernel(fs)
	k.Proposal = name
	p.Apply(k)
	return k, nil
}
