package main

// 'daxsim explain NAME': a proposal, a property or a seeded bug.

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/model/mutants"
	"github.com/daxsim/daxsim/model/proposals"
	"github.com/daxsim/daxsim/run"
)

// cmdExplain is 'daxsim explain NAME' for a proposal, a property or a mutant.
func cmdExplain(args []string, w, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: daxsim explain PROPOSAL|PROPERTY|MUTANT")
		return run.ExitBadInput
	}
	found := false
	if p, ok := checker.Lookup(args[0]); ok {
		explainProperty(w, p)
		found = true
	}
	if m, ok := mutants.Lookup(args[0]); ok {
		if found {
			fmt.Fprintln(w)
		}
		explainMutant(w, m)
		found = true
	}
	p, ok := proposals.Lookup(args[0])
	if !ok {
		if found {
			return run.ExitOK
		}
		fmt.Fprintf(stderr, "daxsim explain: %q is no proposal, property or mutant (see 'daxsim proposals', 'daxsim properties', 'daxsim mutants')\n", args[0])
		return run.ExitBadInput
	}
	if found {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s: %s\nsource: %s\n", p.Name, p.Summary, p.Source)
	if len(p.Uses) > 0 {
		fmt.Fprintf(w, "built from: %s\n", strings.Join(p.Uses, ", "))
	}
	if o := p.AllOverrides(); len(o) > 0 {
		fmt.Fprintf(w, "overrides: %s\n", strings.Join(o, ", "))
	} else {
		fmt.Fprintln(w, "overrides: nothing (the baseline kernel)")
	}
	fmt.Fprintln(w, "rules:")
	for _, r := range p.Rules {
		fmt.Fprintf(w, "  - %s\n", r)
	}
	fmt.Fprintln(w, "known verdicts:")
	for _, v := range p.Verdicts {
		fmt.Fprintf(w, "  - %s\n", v)
	}
	return run.ExitOK
}

// explainProperty prints a property's rule, where it is judged and the
// seeded bugs it must catch.
func explainProperty(w io.Writer, p *checker.Property) {
	fmt.Fprintf(w, "property %s: %s\n", p.Name, p.Rule)
	switch {
	case !p.Checkable():
		fmt.Fprintf(w, "not checkable yet (issue %s)\n", p.Issue)
	case p.Crash:
		fmt.Fprintln(w, "judged on the image a crash leaves at every crash point (not under crash never)")
	default:
		fmt.Fprintln(w, "judged on every explored step and state")
	}
	var caught []string
	for _, m := range mutants.All() {
		if m.Breaks == p.Name {
			caught = append(caught, m.Name)
		}
	}
	if len(caught) > 0 {
		fmt.Fprintf(w, "seeded bugs it catches: %s\n", strings.Join(caught, ", "))
	}
	fmt.Fprintf(w, "the kernel rule, with sources: checker/%s.go\n", strings.ReplaceAll(p.Name, "-", "_"))
}

// explainMutant prints a seeded bug and the kernel paths and hooks it
// changes in the linux kernel on each filesystem.
func explainMutant(w io.Writer, m *mutants.Mutant) {
	fmt.Fprintf(w, "mutant %s: %s\nsource: %s\nbreaks: %s (caught by testdata/mutants/%s.scn)\n",
		m.Name, m.What, m.Source, m.Breaks, m.Name)
	for _, fs := range model.Filesystems {
		clean, err := proposals.Kernel("linux", fs)
		if err != nil {
			continue
		}
		mut, err := proposals.Kernel("linux", fs)
		if err != nil {
			continue
		}
		m.Apply(mut)
		a, b := model.Fingerprint(clean), model.Fingerprint(mut)
		var changed []string
		for name, v := range a {
			if b[name] != v {
				changed = append(changed, name)
			}
		}
		sort.Strings(changed)
		if len(changed) == 0 {
			changed = []string{"nothing (linux on this filesystem lacks what the bug is about)"}
		}
		fmt.Fprintf(w, "changes under linux on %s: %s\n", fs, strings.Join(changed, ", "))
	}
}
