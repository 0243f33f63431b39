package report

import (
	"fmt"
	"io"
	"strings"
)

// WriteSummary writes a report given as data (read back from JSON, or merged
// by 'daxsim merge') as text: the search, the verdicts, the expect lines, and
// one line per counterexample with the command that prints it in full. The
// step tables need the scenario built: 'daxsim replay' prints them.
func WriteSummary(w io.Writer, d *ReportData) {
	fmt.Fprintf(w, "scenario %s  proposal %s  fs %s  threads %d\n", d.Scenario.Name, d.Proposal, d.FS, len(d.Threads))
	s := d.Search
	coverage := "exhaustive"
	if !s.Complete {
		coverage = "INCOMPLETE (" + s.Limit + ")"
	}
	order := s.Order
	if s.Order == "swarm" && s.Seed != 0 {
		order = fmt.Sprintf("swarm (seed %d)", s.Seed)
	}
	if s.Shard != "" {
		order += ", shard " + s.Shard
	}
	fmt.Fprintf(w, "search   %s, %s: %d states, %d transitions, depth %d, %d terminal\n",
		order, coverage, s.States, s.Transitions, s.Depth, s.Terminal)
	if s.Reduction != "" {
		fmt.Fprintf(w, "reduce   %s\n", s.Reduction)
	}
	if len(d.Mutants) > 0 {
		fmt.Fprintf(w, "mutants  %s\n", strings.Join(d.Mutants, " "))
	}
	fmt.Fprintf(w, "crashes  %s\n\n", d.Crash)
	tw := NewTable(w)
	fmt.Fprintln(tw, "property\tverdict\tdetail")
	for _, p := range d.Properties {
		verdict, detail := p.cells()
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, verdict, detail)
	}
	tw.Flush()
	if len(d.Expects) > 0 {
		fmt.Fprintln(w)
		tw = NewTable(w)
		for _, e := range d.Expects {
			word := e.Holds
			if word == "fails" {
				word = "FAILS"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Text, word, e.Why)
		}
		tw.Flush()
	}
	ws := d.Witnesses()
	if len(ws) == 0 {
		return
	}
	fmt.Fprintln(w, "\ncounterexamples (the command prints one again; 'daxsim replay -witness N' of the JSON report, step by step):")
	tw = NewTable(w)
	for _, x := range ws {
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%d steps\t%s\n", x.Index, x.Check, x.Class, len(x.Trace), x.Reproduce)
	}
	tw.Flush()
}

// cells are the verdict and detail columns of a property's row: "-" for one
// listed but not checked, the shortest counterexample for a violation.
func (p *PropData) cells() (verdict, detail string) {
	verdict, detail = string(p.Verdict), p.Why
	if p.Implicit {
		verdict = "-"
	}
	if len(p.Witnesses) > 0 {
		detail = violationDetail(len(p.Witnesses[0].Trace), p.Witnesses[0].Class, len(p.Witnesses))
	}
	return verdict, detail
}
