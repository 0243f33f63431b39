package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/daxsim/daxsim/compare"
	"github.com/daxsim/daxsim/model/proposals"
	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/scenarios"
)

// cmdCompare is 'daxsim compare': every workload of the built-in suite under every
// proposal, folded into a proposal x property matrix with cost figures (SPEC.md
// section 1, job 2). Violations are findings, not failures: the exit status is 0,
// or 2 for bad flags or input.
func cmdCompare(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("compare", "daxsim compare [flags] [FILE...]", stderr)
	suite := fs.String("suite", "builtin", "the workload suite: builtin ('daxsim scenarios') or a directory of .scn files; FILE arguments replace it")
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
		return run.ExitBadInput
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "daxsim compare: "+format+"\n", a...)
		return run.ExitBadInput
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
	all, err := suiteWorkloads(*suite, fs.Args())
	if err != nil {
		return bad("%v", err)
	}
	var names []string
	for _, w := range all {
		names = append(names, w.Name)
	}
	workNames, err := pickList("workload", *works, names)
	if err != nil {
		return bad("-workloads: %v (see 'daxsim scenarios')", err)
	}
	var wl []compare.Workload
	for _, w := range all {
		if slices.Contains(workNames, w.Name) {
			wl = append(wl, w)
		}
	}
	if fs.NArg() > 0 {
		*suite = "files"
	}
	m, err := compare.BuildMatrix(compare.MatrixOptions{Suite: *suite, Proposals: propNames, Workloads: wl,
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
		return run.ExitBadInput
	}
	return run.ExitOK
}

// suiteWorkloads is the workloads of a compare run: the FILE arguments when
// there are some, else the built-in suite or every .scn file of the directory
// suite names. A workload is named after its file.
func suiteWorkloads(suite string, files []string) ([]compare.Workload, error) {
	if len(files) == 0 && suite == "builtin" {
		names := scenarios.BuiltinNames()
		sort.Strings(names)
		var out []compare.Workload
		for _, n := range names {
			src, _ := scenarios.Builtin(n)
			out = append(out, compare.Workload{Name: n, Path: "builtin:" + n, Src: src})
		}
		return out, nil
	}
	if len(files) == 0 {
		st, err := os.Stat(suite)
		if err != nil || !st.IsDir() {
			return nil, fmt.Errorf("-suite: %q is neither builtin nor a directory", suite)
		}
		files, _ = filepath.Glob(filepath.Join(suite, "*.scn"))
		if len(files) == 0 {
			return nil, fmt.Errorf("-suite: no .scn file in %s", suite)
		}
		sort.Strings(files)
	}
	var out []compare.Workload
	seen := map[string]string{}
	for _, f := range files {
		src, err := readScenario(f)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(filepath.Base(strings.TrimPrefix(f, "builtin:")), ".scn")
		if prev, dup := seen[name]; dup {
			return nil, fmt.Errorf("two workloads named %s (%s and %s)", name, prev, f)
		}
		seen[name] = f
		out = append(out, compare.Workload{Name: name, Path: f, Src: src})
	}
	return out, nil
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
