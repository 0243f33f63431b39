// Command daxsim is the command line of the DAX model checker: see SPEC.md section 2
// and 'daxsim help'.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/internal/input"
	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/model/mutants"
	"github.com/daxsim/daxsim/model/proposals"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

const usage = `daxsim: a model checker of Linux DAX kernel semantics

usage:
  daxsim check [flags] FILE...     explore each scenario file; verdicts and counterexamples
  daxsim compare [flags]           the proposal x property matrix over the built-in suite
  daxsim merge REPORT.json...      join the -format json reports of 'check -shard i/n'
  daxsim diff -proposals A,B FILE  where two proposals differ on one workload: each statement's results
  daxsim proposals                 list the kernel design proposals
  daxsim properties                list the properties
  daxsim scenarios                 list the built-in scenarios
  daxsim mutants                   list the seeded kernel bugs
  daxsim explain NAME              a proposal's rules, sources and verdicts; a property's
                                   rule and the mutants it catches; a mutant's bug and the
                                   kernel paths it changes
  daxsim replay [flags] TRACE.json re-run a counterexample saved by 'check -format json'
  daxsim kernel [flags] FILE...    run scenarios on a real kernel (QEMU) and judge the model
  daxsim help [COMMAND]            this text, or a command's flags
  daxsim version                   the version, Go and source revision

exit status: 0 expectations hold (or, without expect lines, every property holds),
1 a violation or a failed expectation, 2 bad input, 3 a limit cut the search short
(or it was interrupted), 4 an internal error of daxsim (please report it).
Run 'daxsim help COMMAND' for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status. A panic is
// daxsim's own bug, never the input's: it exits 4 with what to report.
func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "daxsim: internal error: %v\n\nThis is a bug in daxsim, not in your scenario. Please report it with the scenario file(s) and this command:\n  daxsim %s\n\n%s",
				p, strings.Join(args, " "), debug.Stack())
			code = checker.ExitInternal
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return checker.ExitBadInput
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "check":
		return cmdCheck(rest, stdout, stderr)
	case "proposals":
		return cmdProposals(stdout)
	case "properties":
		return cmdProperties(stdout)
	case "scenarios":
		return cmdScenarios(rest, stdout, stderr)
	case "mutants":
		return cmdMutants(stdout)
	case "explain":
		return cmdExplain(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		return cmdHelp(rest, stdout, stderr)
	case "version", "-version", "--version":
		return cmdVersion(stdout)
	case "compare":
		return cmdCompare(rest, stdout, stderr)
	case "replay":
		return cmdReplay(rest, stdout, stderr)
	case "merge":
		return cmdMerge(rest, stdout, stderr)
	case "diff":
		return cmdDiff(rest, stdout, stderr)
	case "repro":
		return cmdRepro(rest, stdout, stderr)
	case "kernel":
		return cmdKernel(rest, stdout, stderr)
	}
	fmt.Fprintf(stderr, "daxsim: unknown command %q\n\n%s", cmd, usage)
	return checker.ExitBadInput
}

func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", "daxsim check [flags] FILE...", stderr)
	proposal := fs.String("proposal", "", "run under this proposal instead of the file's proposal line")
	crash := fs.String("crash", "", "anywhere|never|fences: replaces the file's crash line")
	var mutants listFlag
	fs.Var(&mutants, "mutant", "run with this seeded kernel bug too (repeatable; see 'daxsim mutants')")
	mode := fs.String("mode", "exhaustive", "exhaustive (falls back to random runs when -max-states is hit) or random")
	seed := fs.Uint64("seed", 1, "random mode: the seed; the same seed gives the same runs and output")
	runs := fs.Int("runs", 1000, "random mode: number of runs")
	first := fs.Int("first", 0, "random mode: index of the first run (replay run K with -first K -runs 1)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "parallel workers (the output does not depend on it)")
	viz := fs.String("viz", "", "write porcupine's HTML view of the read-your-writes witness's history to this file")
	shard := fs.String("shard", "", "i/n: explore part i of n of the space (random mode: of the runs); 'daxsim merge' joins the -format json reports")
	search := fs.String("search", "bfs", "bfs (shortest counterexamples) or dfs (less memory)")
	maxStates := fs.Int("max-states", 0, "stop after this many distinct states (verdict unknown, exit 3); 0 = no limit but -max-memory")
	maxMemory := fs.String("max-memory", sim.FormatBytes(sim.DefaultMaxMemory()),
		"stop when the search's states would take more memory than this (4G, 512M, bytes; verdict unknown, exit 3); default: half of what the machine or the process may use; 0 = no limit")
	symmetry := fs.Bool("symmetry", true, "merge states that differ only by exchanging interchangeable threads (same process, same program); counterexamples are translated back")
	stopFirst := fs.Bool("stop-first", false, "stop at the first violation (for BFS still a shortest one); the verdicts not decided by then are unknown")
	maxDepth := fs.Int("max-depth", 0, "do not explore beyond this many steps (verdict unknown, exit 3); 0 = no limit")
	times := fs.Bool("times", false, "print the elapsed time (makes the output differ between runs)")
	outcomes := fs.Bool("outcomes", false, "print every reachable tuple of statement results (of executions that finish) instead of verdicts")
	format := fs.String("format", "text", "text (a table per counterexample; a splat instead when stdout is a terminal narrower than the table), splat (lockdep-style, at most 100 columns), json (read by 'daxsim replay') or html (one lane per thread)")
	out := fs.String("o", "", "write the report to this file instead of stdout")
	splatWidth := fs.Int("width", 0, fmt.Sprintf("the columns a splat fits (default: the terminal's, at most %d)", checker.SplatWidth))
	if !parseFlags(fs, args, 1, -1) {
		return checker.ExitBadInput
	}
	if *splatWidth < 0 {
		fmt.Fprintln(stderr, "daxsim check: -width must not be negative")
		return checker.ExitBadInput
	}
	if *proposal != "" && !slices.Contains(proposals.Names(), *proposal) {
		fmt.Fprintf(stderr, "daxsim check: -proposal: unknown proposal %q (see 'daxsim proposals')\n", *proposal)
		return checker.ExitBadInput
	}
	for _, m := range mutants {
		if !slices.Contains(mutantsNames(), m) {
			fmt.Fprintf(stderr, "daxsim check: -mutant: unknown mutant %q (see 'daxsim mutants')\n", m)
			return checker.ExitBadInput
		}
	}
	if *mode != "exhaustive" && *mode != "random" {
		fmt.Fprintf(stderr, "daxsim check: -mode must be exhaustive or random, not %q\n", *mode)
		return checker.ExitBadInput
	}
	if *runs <= 0 || *first < 0 || *workers <= 0 {
		fmt.Fprintln(stderr, "daxsim check: -runs and -workers must be positive, -first not negative")
		return checker.ExitBadInput
	}
	if *first > math.MaxInt-*runs {
		fmt.Fprintf(stderr, "daxsim check: -first %d -runs %d: the last run's index overflows\n", *first, *runs)
		return checker.ExitBadInput
	}
	if *crash != "" && *crash != "anywhere" && *crash != "never" && *crash != "fences" {
		fmt.Fprintf(stderr, "daxsim check: -crash must be anywhere, never or fences, not %q\n", *crash)
		return checker.ExitBadInput
	}
	if *format != "text" && *format != "splat" && *format != "json" && *format != "html" {
		fmt.Fprintf(stderr, "daxsim check: -format must be text, splat, json or html, not %q\n", *format)
		return checker.ExitBadInput
	}
	shardI, shardN := 0, 0
	if *shard != "" {
		a, b, ok := strings.Cut(*shard, "/")
		i, err1 := strconv.Atoi(a)
		n, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
			fmt.Fprintf(stderr, "daxsim check: -shard must be i/n with 0 <= i < n, not %q\n", *shard)
			return checker.ExitBadInput
		}
		if *search == "dfs" {
			fmt.Fprintln(stderr, "daxsim check: -shard needs -search bfs")
			return checker.ExitBadInput
		}
		shardI, shardN = i, n
	}
	if *search != "bfs" && *search != "dfs" {
		fmt.Fprintf(stderr, "daxsim check: -search must be bfs or dfs, not %q\n", *search)
		return checker.ExitBadInput
	}
	if *maxStates < 0 || *maxDepth < 0 {
		fmt.Fprintln(stderr, "daxsim check: -max-states and -max-depth must not be negative")
		return checker.ExitBadInput
	}
	memBudget, err := sim.ParseBytes(*maxMemory)
	if err != nil {
		fmt.Fprintf(stderr, "daxsim check: -max-memory: %v\n", err)
		return checker.ExitBadInput
	}
	opt := checker.Options{
		Sim: sim.Options{DFS: *search == "dfs", MaxStates: *maxStates, MaxDepth: *maxDepth, Workers: *workers,
			Shard: shardI, Shards: shardN, MaxMemory: memBudget, StopFirst: *stopFirst},
		Random:     *mode == "random",
		Fallback:   *mode == "exhaustive" && !*stopFirst, // -stop-first ends the search on purpose
		NoSymmetry: !*symmetry,
		RandOpt:    sim.RandomOptions{Seed: *seed, Runs: *runs, First: *first, Workers: *workers},
	}
	if isTerminal(stderr) {
		var last time.Time
		opt.Sim.Progress = func(p sim.Progress) {
			if time.Since(last) < 250*time.Millisecond {
				return
			}
			last = time.Now()
			rate := float64(p.States) / max(p.Elapsed.Seconds(), 1e-9)
			eta := "ETA unknown"
			if *maxStates > 0 {
				eta = fmt.Sprintf("at most %v to -max-states", (time.Duration(float64(*maxStates-p.States)/rate) * time.Second).Round(time.Second))
			}
			fmt.Fprintf(stderr, "\r\033[K%d states (%.0f/s), depth %d, frontier %d, %v, %s", p.States, rate, p.Depth,
				p.Frontier, p.Elapsed.Round(time.Second), eta)
		}
		start := time.Now()
		var mu sync.Mutex // random runs report from several workers
		opt.RandOpt.Progress = func(done, total int) {
			mu.Lock()
			defer mu.Unlock()
			if time.Since(last) < 250*time.Millisecond {
				return
			}
			last = time.Now()
			el := time.Since(start)
			left := time.Duration(float64(el) * float64(total-done) / float64(max(done, 1)))
			fmt.Fprintf(stderr, "\r\033[Krandom runs %d/%d, ETA %v", done, total, left.Round(time.Second))
		}
		defer fmt.Fprint(stderr, "\r\033[K")
	}
	var buf bytes.Buffer
	codes := []int{}
	if *outcomes {
		for _, path := range fs.Args() {
			codes = append(codes, outcomesFile(path, scenarios.Options{Proposal: *proposal, Mutants: mutants, Crash: *crash},
				*maxStates, *format, &buf, stderr))
		}
		if !emit(*out, buf.Bytes(), stdout, stderr, "check") {
			return checker.ExitBadInput
		}
		return combineExit(codes)
	}
	var reports []*checker.Report
	width := 0 // the terminal's columns, when the report goes to one
	if *out == "" {
		width = terminalWidth(stdout)
	}
	if *splatWidth > 0 {
		width = *splatWidth
	}
	for i, path := range fs.Args() {
		if i > 0 && (*format == "text" || *format == "splat") {
			fmt.Fprintln(&buf)
		}
		code, r := checkFile(path, scenarios.Options{Proposal: *proposal, Mutants: mutants, Crash: *crash}, opt, *format, width, *times, *viz, &buf, stderr)
		codes = append(codes, code)
		if r != nil {
			reports = append(reports, r)
		}
	}
	// json and html are one document: a single file's report, or for several files
	// a JSON array of reports / one page with every report.
	if (*format == "json" || *format == "html") && len(reports) > 0 {
		var err error
		switch {
		case *format == "html":
			err = checker.WriteHTMLReports(&buf, reports)
		case len(fs.Args()) == 1:
			err = reports[0].WriteJSON(&buf)
		default:
			err = checker.WriteJSONReports(&buf, reports)
		}
		if err != nil {
			fmt.Fprintf(stderr, "daxsim check: %v\n", err)
			return checker.ExitBadInput
		}
	}
	if len(reports) == 0 && *out != "" {
		return combineExit(codes) // nothing to report: an existing -o file stays as it was
	}
	if !emit(*out, buf.Bytes(), stdout, stderr, "check") {
		return checker.ExitBadInput
	}
	return combineExit(codes)
}

// emit writes a command's output to path, or to stdout when path is empty; it
// reports a write error on stderr and returns false. The file is written
// whole or not at all: to a temporary file in the same directory, renamed
// over path once complete, so a reader never sees a truncated or stale mix.
func emit(path string, data []byte, stdout, stderr io.Writer, cmd string) bool {
	if path == "" {
		stdout.Write(data)
		return true
	}
	if err := writeAtomic(path, data); err != nil {
		fmt.Fprintf(stderr, "daxsim %s: -o: %v\n", cmd, err)
		return false
	}
	return true
}

// writeAtomic writes data to path through a temporary file and a rename.
func writeAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// combineExit folds the statuses of several files: bad input beats a failure,
// which beats unknown, which beats success.
func combineExit(codes []int) int {
	rank := map[int]int{checker.ExitOK: 0, checker.ExitUnknown: 1, checker.ExitFail: 2, checker.ExitBadInput: 3, checker.ExitInternal: 4}
	best := checker.ExitOK
	for _, c := range codes {
		if rank[c] > rank[best] {
			best = c
		}
	}
	return best
}

// LoadOptions are the names the parser accepts.
func parseOptions() scenarios.ParseOptions {
	return scenarios.ParseOptions{Proposals: proposals.Names(), Properties: checker.Names(), Mutants: mutants.Names()}
}

// checkFile checks one scenario file. The text report goes to w; for the other
// formats the report is returned for cmdCheck to write.
// width is the terminal's columns (0: not a terminal): a text report wider
// than the terminal is drawn with splats instead, and a splat fits it.
func checkFile(path string, bo scenarios.Options, opt checker.Options, format string, width int, times bool, viz string, w, stderr io.Writer) (int, *checker.Report) {
	b, err := load(path, bo)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return checker.ExitBadInput, nil
	}
	r := checker.RunMode(b, opt)
	if r.Random != nil && !opt.Random {
		fmt.Fprintf(stderr, "daxsim: %s: the exhaustive search was cut short; fell back to %s\n", path, r.Random.Describe())
	}
	if res := r.Result; res.Shard != "" && res.Search == "bfs" && res.SplitDepth >= 0 {
		fmt.Fprintf(stderr, "daxsim: %s: exhaustive shard %s: the shards share the levels above %d and may meet the same states below it, "+
			"so together they explore more than one run: a split for memory or a job array, not a speed-up (-mode random splits the runs exactly)\n",
			path, res.Shard, res.SplitDepth)
	}
	if viz != "" {
		if err := r.WriteViz(viz); err != nil {
			fmt.Fprintf(stderr, "daxsim check: -viz: %v\n", err)
		}
	}
	switch format {
	case "text":
		fmt.Fprintf(w, "== %s\n", path)
		var table bytes.Buffer
		r.WriteText(&table, times)
		if width > 0 && widest(table.Bytes()) > width {
			r.WriteSplat(w, times, width)
		} else {
			w.Write(table.Bytes())
		}
	case "splat":
		fmt.Fprintf(w, "== %s\n", path)
		r.WriteSplat(w, times, width)
	}
	return r.Exit, r
}

// widest is the length of the longest line of text.
func widest(text []byte) int {
	n := 0
	for _, l := range bytes.Split(text, []byte("\n")) {
		n = max(n, len(l))
	}
	return n
}

// terminalWidth is the columns of the terminal w is, or 0.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return cols
}

// readScenario reads a scenario by its command-line name: a file, or
// builtin:NAME for a scenario of the built-in suite ('daxsim scenarios').
func readScenario(path string) ([]byte, error) {
	if name, ok := strings.CutPrefix(path, "builtin:"); ok {
		src, found := scenarios.Builtin(name)
		if !found {
			return nil, fmt.Errorf("no built-in scenario %q (see 'daxsim scenarios')", name)
		}
		return src, nil
	}
	return input.ReadFile(path, input.MaxScenario)
}

func load(path string, bo scenarios.Options) (*scenarios.Built, error) {
	src, err := readScenario(path)
	if err != nil {
		return nil, fmt.Errorf("daxsim: %v", err)
	}
	return loadSource(path, src, bo)
}

// loadSource builds scenario text src, named path in positions.
func loadSource(path string, src []byte, bo scenarios.Options) (*scenarios.Built, error) {
	scn, err := scenarios.Parse(path, src, parseOptions())
	if err != nil {
		var perr *scenarios.Error
		if errors.As(err, &perr) {
			return nil, err
		}
		return nil, fmt.Errorf("daxsim: %v", err)
	}
	return scenarios.Build(scn, bo)
}

// outcomesFile prints every reachable outcome tuple of one scenario file (text:
// one tuple a line; json: the statements and the tuples). It returns the exit
// status: 3 when a limit cut the enumeration.
func outcomesFile(path string, bo scenarios.Options, maxStates int, format string, w, stderr io.Writer) int {
	b, err := load(path, bo)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return checker.ExitBadInput
	}
	set := sim.Outcomes(b.Kernel, &b.Init, maxStates)
	code := checker.ExitOK
	if !set.Complete {
		code = checker.ExitUnknown
	}
	k := b.Kernel
	if format == "json" {
		doc := struct {
			Scenario string     `json:"scenario"`
			Proposal string     `json:"proposal"`
			Stmts    []string   `json:"statements"`
			Outcomes [][]string `json:"outcomes"`
			Complete bool       `json:"complete"`
			Limit    string     `json:"limit,omitempty"`
		}{Scenario: b.Scn.Name, Proposal: k.Proposal, Stmts: set.Stmts, Outcomes: [][]string{}, Complete: set.Complete, Limit: set.Limit}
		for _, o := range set.Tuples {
			var row []string
			for _, r := range o {
				name := "-"
				if r != model.ResNone {
					name = k.ResultName(r)
				}
				row = append(row, name)
			}
			doc.Outcomes = append(doc.Outcomes, row)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			fmt.Fprintf(stderr, "daxsim check: %v\n", err)
			return checker.ExitBadInput
		}
		return code
	}
	what := "every execution explored"
	if !set.Complete {
		what = "INCOMPLETE (" + set.Limit + ")"
	}
	fmt.Fprintf(w, "== %s\nscenario %s  proposal %s  fs %s: %d outcomes of the executions that finish; %s, %d (state, results) pairs",
		path, b.Scn.Name, k.Proposal, k.FS, len(set.Tuples), what, set.Nodes)
	if set.Stuck > 0 {
		fmt.Fprintf(w, ", %d stuck", set.Stuck)
	}
	fmt.Fprintln(w)
	for _, o := range set.Tuples {
		fmt.Fprintln(w, set.Text(k, o))
	}
	return code
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func cmdMutants(w io.Writer) int {
	for _, m := range mutants.All() {
		fmt.Fprintf(w, "%-28s breaks %-14s caught by testdata/mutants/%s.scn\n", m.Name, m.Breaks, m.Name)
		fmt.Fprintf(w, "%-28s   %s\n%-28s   source: %s\n", "", m.What, "", m.Source)
	}
	return checker.ExitOK
}

func cmdProposals(w io.Writer) int {
	for _, p := range proposals.All() {
		fmt.Fprintf(w, "%-20s %s (%s)\n", p.Name, p.Summary, p.Source)
	}
	return checker.ExitOK
}

func cmdProperties(w io.Writer) int {
	for _, p := range checker.All() {
		status := ""
		if !p.Checkable() {
			status = "  [not checkable yet: issue " + p.Issue + "]"
		}
		fmt.Fprintf(w, "%-18s %s%s\n", p.Name, p.Rule, status)
	}
	return checker.ExitOK
}

func cmdScenarios(args []string, w, stderr io.Writer) int {
	fs := newFlags("scenarios", "daxsim scenarios [-show NAME]", stderr)
	show := fs.String("show", "", "print the source of this built-in scenario (check it as builtin:NAME)")
	if !parseFlags(fs, args, 0, 0) {
		return checker.ExitBadInput
	}
	if *show != "" {
		src, ok := scenarios.Builtin(*show)
		if !ok {
			fmt.Fprintf(stderr, "daxsim scenarios: -show: no built-in scenario %q\n", *show)
			return checker.ExitBadInput
		}
		w.Write(src)
		return checker.ExitOK
	}
	names := scenarios.BuiltinNames()
	sort.Strings(names)
	for _, n := range names {
		src, _ := scenarios.Builtin(n)
		fmt.Fprintf(w, "%-24s %s\n", n, firstComment(src))
	}
	return checker.ExitOK
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

// cmdHelp is 'daxsim help [COMMAND]': the usage, or a command's flags (the
// command's own -h, on stdout).
func cmdHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return checker.ExitOK
	}
	if len(args) > 1 {
		fmt.Fprintln(stderr, "usage: daxsim help [COMMAND]")
		return checker.ExitBadInput
	}
	switch args[0] {
	case "check", "compare", "replay", "merge", "diff", "scenarios", "kernel", "repro":
		run([]string{args[0], "-h"}, stdout, stdout)
		return checker.ExitOK
	}
	for _, l := range strings.Split(usage, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "daxsim "+args[0]) {
			fmt.Fprintln(stdout, "usage: "+strings.TrimSpace(l))
			return checker.ExitOK
		}
	}
	fmt.Fprintf(stderr, "daxsim help: unknown command %q\n\n%s", args[0], usage)
	return checker.ExitBadInput
}

// cmdVersion is 'daxsim version': the version, the Go release and the
// source revision it was built from, when the build recorded one.
func cmdVersion(w io.Writer) int {
	line := "daxsim " + checker.Version + " (" + runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = ", modified"
				}
			}
		}
		if rev != "" {
			line += ", revision " + rev[:min(12, len(rev))] + dirty
		}
	}
	fmt.Fprintln(w, line+")")
	return checker.ExitOK
}

// cmdExplain is 'daxsim explain NAME' for a proposal, a property or a mutant.
func cmdExplain(args []string, w, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: daxsim explain PROPOSAL|PROPERTY|MUTANT")
		return checker.ExitBadInput
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
			return checker.ExitOK
		}
		fmt.Fprintf(stderr, "daxsim explain: %q is no proposal, property or mutant (see 'daxsim proposals', 'daxsim properties', 'daxsim mutants')\n", args[0])
		return checker.ExitBadInput
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
	return checker.ExitOK
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

// isTerminal reports whether w is a terminal (progress goes there only then).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// cmdMerge is 'daxsim merge FILE.json...': it joins the -format json reports of
// the shards of a run (check -shard i/n) into one report per run.
func cmdMerge(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("merge", "daxsim merge [-o FILE] REPORT.json...", stderr)
	out := fs.String("o", "", "write the merged JSON to this file instead of stdout")
	if !parseFlags(fs, args, 1, -1) {
		return checker.ExitBadInput
	}
	var all []checker.ReportData
	for _, path := range fs.Args() {
		data, err := input.ReadFile(path, input.MaxReport)
		if err != nil {
			fmt.Fprintf(stderr, "daxsim merge: %v\n", err)
			return checker.ExitBadInput
		}
		ds, err := checker.ReadReports(data)
		if err != nil {
			fmt.Fprintf(stderr, "daxsim merge: %s: %v\n", path, err)
			return checker.ExitBadInput
		}
		all = append(all, ds...)
	}
	merged, err := checker.MergeAll(all)
	if err != nil {
		fmt.Fprintf(stderr, "daxsim merge: %v\n", err)
		return checker.ExitBadInput
	}
	var buf bytes.Buffer
	if err := checker.WriteData(&buf, merged); err != nil {
		fmt.Fprintf(stderr, "daxsim merge: %v\n", err)
		return checker.ExitBadInput
	}
	if !emit(*out, buf.Bytes(), stdout, stderr, "merge") {
		return checker.ExitBadInput
	}
	var codes []int
	for _, m := range merged {
		codes = append(codes, m.Exit)
	}
	return combineExit(codes)
}

// newFlags is a command's flag set: errors and usage go to stderr.
func newFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: "+usage)
		fs.PrintDefaults()
	}
	return fs
}

// mutantsNames lists the mutants (cmdCheck's -mutant list shadows the package).
func mutantsNames() []string { return mutants.Names() }

// interspersed moves the flags of args (with their values) before the other
// arguments, for the flag package, which stops at the first non-flag.
func interspersed(fs *flag.FlagSet, args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // Parse reports it
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return append(append(flags, "--"), rest...)
}

// parseFlags parses args and checks that between min and max arguments (max < 0:
// no limit) are left; otherwise it prints the usage. It reports success.
//
// Flags may follow the arguments ("daxsim check FILE -proposal linux"), as in
// most tools; "--" ends the flags.
func parseFlags(fs *flag.FlagSet, args []string, min, max int) bool {
	if err := fs.Parse(interspersed(fs, args)); err != nil {
		return false
	}
	if fs.NArg() < min || max >= 0 && fs.NArg() > max {
		fs.Usage()
		return false
	}
	return true
}
