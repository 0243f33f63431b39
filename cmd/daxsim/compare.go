package main

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model/proposals"
	"github.com/daxsim/daxsim/scenarios"
)

// cmdCompare is 'daxsim compare': every workload of the built-in suite under every
// proposal, folded into a proposal x property matrix with cost figures (SPEC.md
// section 1, job 2). Violations are findings, not failures: the exit status is 0,
// or 2 for bad flags or input.
func cmdCompare(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("compare", "daxsim compare [flags]", stderr)
	suite := fs.String("suite", "builtin", "the workload suite (builtin: 'daxsim scenarios')")
	format := fs.String("format", "text", "text, markdown, json or html")
	props := fs.String("proposals", "", "comma list of proposals, in the order of the rows (default: all, SPEC order)")
	works := fs.String("workloads", "", "comma list of workloads of the suite (default: all)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "runs at once")
	maxStates := fs.Int("max-states", 500_000, "per run: stop after this many distinct states (verdict unknown); 0 = no limit")
	times := fs.Bool("times", false, "include elapsed times (makes the output differ between runs)")
	out := fs.String("o", "", "write the matrix to this file instead of stdout")
	var mutants listFlag
	fs.Var(&mutants, "mutant", "run every workload with this seeded kernel bug too (repeatable; see 'daxsim mutants')")
	if !parseFlags(fs, args, 0, -1) {
		return checker.ExitBadInput
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "daxsim compare: "+format+"\n", a...)
		return checker.ExitBadInput
	}
	if fs.NArg() > 0 {
		return bad("unexpected arguments %q (compare takes only flags)", fs.Args())
	}
	if *suite != "builtin" {
		return bad("-suite must be builtin, not %q", *suite)
	}
	switch *format {
	case "text", "markdown", "json", "html":
	default:
		return bad("-format must be text, markdown, json or html, not %q", *format)
	}
	if *workers < 1 {
		return bad("-workers must be at least 1")
	}
	if *maxStates < 0 {
		return bad("-max-states must not be negative")
	}
	propNames, err := pickList("proposal", *props, proposals.Names())
	if err != nil {
		return bad("%v (see 'daxsim proposals')", err)
	}
	builtins := scenarios.BuiltinNames()
	sort.Strings(builtins)
	workNames, err := pickList("workload", *works, builtins)
	if err != nil {
		return bad("%v (see 'daxsim scenarios')", err)
	}
	var wl []checker.Workload
	for _, n := range workNames {
		src, _ := scenarios.Builtin(n)
		wl = append(wl, checker.Workload{Name: n, Path: "scenarios/builtin/" + n + ".scn", Src: src})
	}
	m, err := checker.BuildMatrix(checker.MatrixOptions{Suite: *suite, Proposals: propNames, Workloads: wl,
		Workers: *workers, MaxStates: *maxStates, Mutants: mutants})
	if err != nil {
		return bad("%v", err)
	}
	var buf bytes.Buffer
	switch *format {
	case "markdown":
		m.WriteMarkdown(&buf, *times)
	case "json":
		err = m.WriteJSON(&buf, *times)
	case "html":
		err = m.WriteHTML(&buf, *times)
	default:
		m.WriteText(&buf, *times)
	}
	if err != nil {
		return bad("%v", err)
	}
	if !emit(*out, buf.Bytes(), stdout, stderr, "compare") {
		return checker.ExitBadInput
	}
	return checker.ExitOK
}

// pickList parses a comma list of names among known; empty means all of known.
// The order given is kept; a repeated name counts once.
func pickList(kind, list string, known []string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return known, nil
	}
	ok := map[string]bool{}
	for _, n := range known {
		ok[n] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
			return nil, fmt.Errorf("empty %s name in %q", kind, list)
		case !ok[n]:
			return nil, fmt.Errorf("unknown %s %q", kind, n)
		case !seen[n]:
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}
