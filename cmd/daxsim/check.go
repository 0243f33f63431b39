package main

// 'daxsim check': explore scenario files and report verdicts and counterexamples.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/model/proposals"
	"github.com/daxsim/daxsim/report"
	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", "daxsim check [flags] FILE...", stderr)
	proposal := fs.String("proposal", "", "run under this proposal instead of the file's proposal line")
	crash := fs.String("crash", "", "anywhere|never: replaces the file's crash line (fences is refused: it would miss crashes between fences)")
	var mutants listFlag
	fs.Var(&mutants, "mutant", "run with this seeded kernel bug too (repeatable; see 'daxsim mutants')")
	mode := fs.String("mode", "exhaustive", "exhaustive (falls back to random runs when a limit is hit), random, or swarm (depth-first in a seeded order, bounded by -max-states and -max-memory; with -shard i/n each shard its own order)")
	seed := fs.Uint64("seed", 1, "random and swarm modes: the seed; the same seed gives the same runs and output")
	runs := fs.Int("runs", 1000, "random mode: number of runs")
	first := fs.Int("first", 0, "random mode: index of the first run (replay run K with -first K -runs 1)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "parallel workers (the output does not depend on it)")
	viz := fs.String("viz", "", "write porcupine's HTML view of the read-your-writes witness's history to this file")
	shard := fs.String("shard", "", "i/n: explore part i of n of the space (random mode: of the runs; swarm mode: the search in seeded order i of n); 'daxsim merge' joins the -format json reports")
	search := fs.String("search", "bfs", "bfs (shortest counterexamples) or dfs (less memory)")
	maxStates := fs.Int("max-states", 0, "stop after this many distinct states (verdict unknown, exit 3); 0 = no limit but -max-memory")
	maxMemory := fs.String("max-memory", sim.FormatBytes(sim.DefaultMaxMemory()),
		"stop when the search's states would take more memory than this (4G, 512M, bytes; verdict unknown, exit 3); default: half of what the machine or the process may use; 0 = no limit")
	por := fs.Bool("por", true, "partial-order reduction: explore one order of independent steps (off with -stop-first); counterexamples are made shortest again")
	symmetry := fs.Bool("symmetry", true, "merge states that differ only by exchanging interchangeable threads (same process, same program); counterexamples are translated back")
	stopFirst := fs.Bool("stop-first", false, "stop at the first violation (for BFS still a shortest one); the verdicts not decided by then are unknown")
	maxDepth := fs.Int("max-depth", 0, "do not explore beyond this many steps (verdict unknown, exit 3); 0 = no limit")
	times := fs.Bool("times", false, "print the elapsed time (makes the output differ between runs)")
	outcomes := fs.Bool("outcomes", false, "print every reachable tuple of statement results (of executions that finish) instead of verdicts")
	format := fs.String("format", "text", "text (a table per counterexample; a splat instead when stdout is a terminal narrower than the table), splat (lockdep-style, at most 100 columns), json (read by 'daxsim replay') or html (one lane per thread)")
	out := fs.String("o", "", "write the report to this file instead of stdout")
	splatWidth := fs.Int("width", 0, fmt.Sprintf("the columns a splat fits (default: the terminal's, at most %d)", report.SplatWidth))
	if !parseFlags(fs, args, 1, -1) {
		return run.ExitBadInput
	}
	if *splatWidth < 0 {
		fmt.Fprintln(stderr, "daxsim check: -width must not be negative")
		return run.ExitBadInput
	}
	if *proposal != "" && !slices.Contains(proposals.Names(), *proposal) {
		fmt.Fprintf(stderr, "daxsim check: -proposal: unknown proposal %q (see 'daxsim proposals')\n", *proposal)
		return run.ExitBadInput
	}
	for _, m := range mutants {
		if !slices.Contains(mutantsNames(), m) {
			fmt.Fprintf(stderr, "daxsim check: -mutant: unknown mutant %q (see 'daxsim mutants')\n", m)
			return run.ExitBadInput
		}
	}
	if *mode != "exhaustive" && *mode != "random" && *mode != "swarm" {
		fmt.Fprintf(stderr, "daxsim check: -mode must be exhaustive, random or swarm, not %q\n", *mode)
		return run.ExitBadInput
	}
	if *runs <= 0 || *first < 0 || *workers <= 0 {
		fmt.Fprintln(stderr, "daxsim check: -runs and -workers must be positive, -first not negative")
		return run.ExitBadInput
	}
	if *first > math.MaxInt-*runs {
		fmt.Fprintf(stderr, "daxsim check: -first %d -runs %d: the last run's index overflows\n", *first, *runs)
		return run.ExitBadInput
	}
	if *crash == "fences" {
		fmt.Fprintf(stderr, "daxsim check: -crash: %s\n", scenarios.FencesRefused)
		return run.ExitBadInput
	}
	if *crash != "" && *crash != "anywhere" && *crash != "never" {
		fmt.Fprintf(stderr, "daxsim check: -crash must be anywhere or never, not %q\n", *crash)
		return run.ExitBadInput
	}
	if *format != "text" && *format != "splat" && *format != "json" && *format != "html" {
		fmt.Fprintf(stderr, "daxsim check: -format must be text, splat, json or html, not %q\n", *format)
		return run.ExitBadInput
	}
	shardI, shardN := 0, 0
	if *shard != "" {
		a, b, ok := strings.Cut(*shard, "/")
		i, err1 := strconv.Atoi(a)
		n, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
			fmt.Fprintf(stderr, "daxsim check: -shard must be i/n with 0 <= i < n, not %q\n", *shard)
			return run.ExitBadInput
		}
		if *search == "dfs" && *mode != "swarm" {
			fmt.Fprintln(stderr, "daxsim check: -shard needs -search bfs (or -mode swarm)")
			return run.ExitBadInput
		}
		shardI, shardN = i, n
	}
	if *search != "bfs" && *search != "dfs" {
		fmt.Fprintf(stderr, "daxsim check: -search must be bfs or dfs, not %q\n", *search)
		return run.ExitBadInput
	}
	if *maxStates < 0 || *maxDepth < 0 {
		fmt.Fprintln(stderr, "daxsim check: -max-states and -max-depth must not be negative")
		return run.ExitBadInput
	}
	memBudget, err := sim.ParseBytes(*maxMemory)
	if err != nil {
		fmt.Fprintf(stderr, "daxsim check: -max-memory: %v\n", err)
		return run.ExitBadInput
	}
	opt := run.Options{
		Sim: sim.Options{DFS: *search == "dfs", MaxStates: *maxStates, MaxDepth: *maxDepth, Workers: *workers,
			Shard: shardI, Shards: shardN, MaxMemory: memBudget, StopFirst: *stopFirst},
		Random:     *mode == "random",
		Swarm:      *mode == "swarm",
		Fallback:   *mode == "exhaustive" && !*stopFirst, // -stop-first ends the search on purpose
		NoSymmetry: !*symmetry,
		NoPOR:      !*por,
		RandOpt:    sim.RandomOptions{Seed: *seed, Runs: *runs, First: *first, Workers: *workers},
	}
	// SIGINT or SIGTERM stops the search at the next batch: the report of what
	// was found is printed (verdicts unknown, "interrupted"), exit 3. A
	// second signal kills the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }()
	opt.Sim.Context, opt.RandOpt.Context = ctx, ctx
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
			return run.ExitBadInput
		}
		return combineExit(codes)
	}
	var reports []*run.Report
	width := 0 // the terminal's columns, when the report goes to one
	if *out == "" {
		width = terminalWidth(stdout)
	}
	if *splatWidth > 0 {
		width = *splatWidth
	}
	for i, path := range fs.Args() {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "daxsim: interrupted: %s not checked\n", path)
			codes = append(codes, run.ExitUnknown)
			continue
		}
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
			err = report.WriteHTMLReports(&buf, reports)
		case len(fs.Args()) == 1:
			err = report.WriteJSON(&buf, reports[0])
		default:
			err = report.WriteJSONReports(&buf, reports)
		}
		if err != nil {
			fmt.Fprintf(stderr, "daxsim check: %v\n", err)
			return run.ExitBadInput
		}
	}
	if len(reports) == 0 && *out != "" {
		return combineExit(codes) // nothing to report: an existing -o file stays as it was
	}
	if !emit(*out, buf.Bytes(), stdout, stderr, "check") {
		return run.ExitBadInput
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
	rank := map[int]int{run.ExitOK: 0, run.ExitUnknown: 1, run.ExitFail: 2, run.ExitBadInput: 3, run.ExitInternal: 4}
	best := run.ExitOK
	for _, c := range codes {
		if rank[c] > rank[best] {
			best = c
		}
	}
	return best
}

// checkFile checks one scenario file. The text report goes to w; for the other
// formats the report is returned for cmdCheck to write.
// width is the terminal's columns (0: not a terminal): a text report wider
// than the terminal is drawn with splats instead, and a splat fits it.
func checkFile(path string, bo scenarios.Options, opt run.Options, format string, width int, times bool, viz string, w, stderr io.Writer) (int, *run.Report) {
	b, err := load(path, bo)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return run.ExitBadInput, nil
	}
	r := run.RunMode(b, opt)
	if r.Random != nil && !opt.Random {
		fmt.Fprintf(stderr, "daxsim: %s: the exhaustive search was cut short; fell back to %s\n", path, r.Random.Describe())
	}
	if res := r.Result; res.Shard != "" && res.Search == "bfs" && res.SplitDepth >= 0 {
		fmt.Fprintf(stderr, "daxsim: %s: exhaustive shard %s: the shards share the levels above %d and may meet the same states below it, "+
			"so together they explore more than one run: a split for memory or a job array, not a speed-up (-mode random splits the runs exactly)\n",
			path, res.Shard, res.SplitDepth)
	}
	if viz != "" {
		if what, err := report.WriteViz(viz, r); err != nil {
			fmt.Fprintf(stderr, "daxsim check: -viz: nothing drawn: %v\n", err)
		} else {
			fmt.Fprintf(stderr, "daxsim check: -viz: %s: porcupine's view of %s\n", viz, what)
		}
	}
	switch format {
	case "text":
		fmt.Fprintf(w, "== %s\n", path)
		var table bytes.Buffer
		report.WriteText(&table, r, times)
		if width > 0 && widest(table.Bytes()) > width {
			report.WriteSplat(w, r, times, width)
		} else {
			w.Write(table.Bytes())
		}
	case "splat":
		fmt.Fprintf(w, "== %s\n", path)
		report.WriteSplat(w, r, times, width)
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

// outcomesFile prints every reachable outcome tuple of one scenario file (text:
// one tuple a line; json: the statements and the tuples). It returns the exit
// status: 3 when a limit cut the enumeration.
func outcomesFile(path string, bo scenarios.Options, maxStates int, format string, w, stderr io.Writer) int {
	b, err := load(path, bo)
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return run.ExitBadInput
	}
	set := sim.Outcomes(b.Kernel, &b.Init, maxStates)
	code := run.ExitOK
	if !set.Complete {
		code = run.ExitUnknown
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
			return run.ExitBadInput
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
