package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/daxsim/daxsim/model/proposals"
	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// cmdDiff is 'daxsim diff -proposals A,B FILE': where two (or more) proposals
// differ on one workload. For each statement it prints the set of results the
// statement has, over every execution that finishes, under each proposal, and
// marks the statements whose sets differ. Exit 0 when the sets are the same, 1
// when they differ, 3 when a limit cut an enumeration.
func cmdDiff(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("diff", "daxsim diff -proposals A,B[,C...] [-max-states N] FILE", stderr)
	list := fs.String("proposals", "", "the proposals to compare, comma-separated (at least two)")
	maxStates := fs.Int("max-states", 1_000_000, "stop an enumeration after this many (state, results) pairs (verdict unknown, exit 3)")
	if !parseFlags(fs, args, 1, 1) {
		return run.ExitBadInput
	}
	names := strings.Split(*list, ",")
	if *list == "" || len(names) < 2 {
		fmt.Fprintln(stderr, "daxsim diff: -proposals: name at least two proposals, comma-separated")
		return run.ExitBadInput
	}
	for _, n := range names {
		if _, ok := proposals.Lookup(n); !ok {
			fmt.Fprintf(stderr, "daxsim diff: -proposals: unknown proposal %q (see 'daxsim proposals')\n", n)
			return run.ExitBadInput
		}
	}
	if *maxStates < 0 {
		fmt.Fprintln(stderr, "daxsim diff: -max-states must not be negative")
		return run.ExitBadInput
	}
	path := fs.Arg(0)
	type column struct {
		sets     [][]string // per statement, the results seen
		complete bool
	}
	var cols []column
	var stmts, texts []string
	for _, n := range names {
		b, err := load(path, scenarios.Options{Proposal: n})
		if err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			return run.ExitBadInput
		}
		set := sim.Outcomes(b.Kernel, &b.Init, *maxStates)
		if stmts == nil {
			stmts = set.Stmts
			for _, th := range b.Kernel.Threads {
				if !th.Daemon {
					for _, st := range th.Prog {
						texts = append(texts, st.Text)
					}
				}
			}
		}
		col := column{sets: make([][]string, len(set.Stmts)), complete: set.Complete}
		for _, o := range set.Tuples {
			for i, r := range o {
				name := "-"
				if r != 0 {
					name = b.Kernel.ResultName(r)
				}
				if !slices.Contains(col.sets[i], name) {
					col.sets[i] = append(col.sets[i], name)
				}
			}
		}
		for i := range col.sets {
			slices.Sort(col.sets[i])
		}
		cols = append(cols, col)
	}
	fmt.Fprintf(stdout, "daxsim diff %s: results of every statement over the executions that finish\n\n", path)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\tstatement\t%s\n", strings.Join(names, "\t"))
	differ := false
	for i := range stmts {
		mark := " "
		cells := make([]string, len(cols))
		for j, c := range cols {
			cells[j] = "{" + strings.Join(c.sets[i], ", ") + "}"
			if !slices.Equal(c.sets[i], cols[0].sets[i]) {
				mark = "*"
			}
		}
		differ = differ || mark == "*"
		fmt.Fprintf(tw, "%s\t%s %s\t%s\n", mark, stmts[i], texts[i], strings.Join(cells, "\t"))
	}
	tw.Flush()
	fmt.Fprintln(stdout, "\n*: the proposals give this statement different sets of results; - : it never returned")
	code := run.ExitOK
	if differ {
		code = run.ExitFail
	}
	for j, c := range cols {
		if !c.complete {
			fmt.Fprintf(stdout, "%s: the enumeration was cut at -max-states %d: its sets may be missing results\n", names[j], *maxStates)
			code = run.ExitUnknown
		}
	}
	return code
}
