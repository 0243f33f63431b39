package main

// 'daxsim proposals', 'properties', 'scenarios', 'mutants': the catalogues.

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model/mutants"
	"github.com/daxsim/daxsim/model/proposals"
	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/scenarios"
)

func cmdMutants(w io.Writer) int {
	for _, m := range mutants.All() {
		fmt.Fprintf(w, "%-28s breaks %-14s caught by testdata/mutants/%s.scn\n", m.Name, m.Breaks, m.Name)
		fmt.Fprintf(w, "%-28s   %s\n%-28s   source: %s\n", "", m.What, "", m.Source)
	}
	return run.ExitOK
}

func cmdProposals(w io.Writer) int {
	for _, p := range proposals.All() {
		fmt.Fprintf(w, "%-20s %s (%s)\n", p.Name, p.Summary, p.Source)
	}
	return run.ExitOK
}

func cmdProperties(w io.Writer) int {
	for _, p := range checker.All() {
		status := ""
		if !p.Checkable() {
			status = "  [not checkable yet: issue " + p.Issue + "]"
		}
		fmt.Fprintf(w, "%-18s %s%s\n", p.Name, p.Rule, status)
	}
	return run.ExitOK
}

func cmdScenarios(args []string, w, stderr io.Writer) int {
	fs := newFlags("scenarios", "daxsim scenarios [-show NAME]", stderr)
	show := fs.String("show", "", "print the source of this built-in scenario (check it as builtin:NAME)")
	if !parseFlags(fs, args, 0, 0) {
		return run.ExitBadInput
	}
	if *show != "" {
		src, ok := scenarios.Builtin(*show)
		if !ok {
			fmt.Fprintf(stderr, "daxsim scenarios: -show: no built-in scenario %q\n", *show)
			return run.ExitBadInput
		}
		w.Write(src)
		return run.ExitOK
	}
	names := scenarios.BuiltinNames()
	sort.Strings(names)
	for _, n := range names {
		src, _ := scenarios.Builtin(n)
		fmt.Fprintf(w, "%-24s %s\n", n, firstComment(src))
	}
	return run.ExitOK
}

func firstComment(src []byte) string {
	for _, l := range strings.Split(string(src), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "#") {
			return strings.TrimSpace(strings.TrimLeft(l, "#"))
		}
	}
	return ""
}
