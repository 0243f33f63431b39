package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/internal/input"
	"github.com/daxsim/daxsim/report"
	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/scenarios"
)

// cmdReplay is 'daxsim replay TRACE.json': it rebuilds the scenario a JSON report
// (check -format json) was made from, replays one counterexample step by step
// printing the state after each step, and says whether the property still reports
// it. Exit 0: it reproduces; 1: it does not (the model or the scenario changed);
// 2: bad input.
func cmdReplay(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("replay", "daxsim replay [flags] TRACE.json", stderr)
	witness := fs.Int("witness", 0, "the counterexample to replay: its index over all properties, then all expect lines (the report's \"index\")")
	reportIndex := fs.Int("report", 0, "the report to take when the file holds an array of them (several files checked)")
	quiet := fs.Bool("quiet", false, "print only the verdict, not the steps and states")
	if !parseFlags(fs, args, 1, 1) {
		return run.ExitBadInput
	}
	jsonPath := fs.Arg(0)
	data, err := input.ReadFile(jsonPath, input.MaxReport)
	if err != nil {
		fmt.Fprintf(stderr, "daxsim replay: %v\n", err)
		return run.ExitBadInput
	}
	reports, err := report.ReadReports(data)
	if err != nil {
		fmt.Fprintf(stderr, "daxsim replay: %s: %v\n", jsonPath, err)
		return run.ExitBadInput
	}
	if *reportIndex < 0 || *reportIndex >= len(reports) {
		fmt.Fprintf(stderr, "daxsim replay: %s holds %d report(s), no -report %d\n", jsonPath, len(reports), *reportIndex)
		return run.ExitBadInput
	}
	rd := &reports[*reportIndex]
	ws := rd.Witnesses()
	if *witness < 0 || *witness >= len(ws) {
		fmt.Fprintf(stderr, "daxsim replay: the report of %s has %d counterexample(s), no -witness %d\n",
			rd.Scenario.Path, len(ws), *witness)
		return run.ExitBadInput
	}
	w := ws[*witness]
	if err := validTrace(rd, w); err != nil {
		fmt.Fprintf(stderr, "daxsim replay: %s: %v\n", jsonPath, err)
		return run.ExitBadInput
	}

	path := scenarioPath(rd.Scenario.Path, jsonPath)
	bo := scenarios.Options{Proposal: rd.Proposal, Mutants: rd.Mutants, Crash: rd.Crash}
	var b *scenarios.Built
	if src := []byte(rd.Scenario.Source); len(src) > 0 {
		// The report carries its scenario: replay that, and say so when the
		// file by that name now holds something else.
		if report.SourceHash(src) != rd.Scenario.SHA256 {
			fmt.Fprintf(stderr, "daxsim replay: warning: the scenario embedded in %s does not match its sha256 (edited by hand?)\n", jsonPath)
		}
		if disk, err := readScenario(path); err == nil && report.SourceHash(disk) != report.SourceHash(src) {
			fmt.Fprintf(stderr, "daxsim replay: warning: %s has changed since the report was written; replaying the report's copy\n", path)
		}
		b, err = loadSource(rd.Scenario.Path, src, bo)
	} else {
		b, err = load(path, bo)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return run.ExitBadInput
	}
	k := b.Kernel
	if rd.FS != "" && rd.FS != k.FS.Name {
		fmt.Fprintf(stderr, "daxsim replay: %s: the report is of fs %s, the scenario builds fs %s\n", jsonPath, rd.FS, k.FS.Name)
		return run.ExitBadInput
	}
	if b.Scn.Name != rd.Scenario.Name {
		fmt.Fprintf(stderr, "daxsim replay: warning: %s is now scenario %s, the report was of %s\n", path, b.Scn.Name, rd.Scenario.Name)
	}
	var threads []string
	for t := range k.Threads {
		threads = append(threads, k.ThreadName(t))
	}
	if strings.Join(threads, " ") != strings.Join(rd.Threads, " ") {
		fmt.Fprintf(stderr, "daxsim replay: warning: the threads are now %s, the report had %s\n",
			strings.Join(threads, " "), strings.Join(rd.Threads, " "))
	}

	fmt.Fprintf(stdout, "replay %s witness %d: %s (%s)\n", jsonPath, *witness, w.Check, w.Class)
	fmt.Fprintf(stdout, "scenario %s (%s)  proposal %s  fs %s  crash %s", b.Scn.Name, path, k.Proposal, k.FS, b.Scn.Crash)
	if len(rd.Mutants) > 0 {
		fmt.Fprintf(stdout, "  mutants %s", strings.Join(rd.Mutants, ","))
	}
	fmt.Fprintf(stdout, "\nreported: %s\n", indentAfterFirst(w.Message))

	var related [][]int
	for _, rel := range w.Related {
		related = append(related, rel.Trace)
	}
	if !*quiet {
		for i, rel := range w.Related {
			fmt.Fprintf(stdout, "\n-- related trace %d: %s\n", i+1, rel.Note)
			_, views, err := report.ReplaySteps(b, rel.Trace)
			for j := range views {
				fmt.Fprintf(stdout, "  %s\n", views[j].Line())
			}
			if err != nil {
				fmt.Fprintf(stdout, "  (does not replay: %v)\n", err)
			}
		}
		fmt.Fprintf(stdout, "\n-- the trace, %d steps\n\ninitial state:\n%s", len(w.Trace), indentLines(report.DescribeState(k, &b.Init)))
		steps, views, err := report.ReplaySteps(b, w.Trace)
		for i := range views {
			mark := ""
			if i == len(views)-1 && err == nil {
				mark = "=> "
			}
			fmt.Fprintf(stdout, "\n%s%s\n%s", mark, views[i].Line(), indentLines(report.DescribeState(k, &steps[i].After)))
		}
		if err != nil {
			fmt.Fprintf(stdout, "\nthe trace does not replay: %v\n", err)
		}
		fmt.Fprintln(stdout)
	}
	ok, why := run.Reproduce(b, checker.Config{Crash: b.Scn.Crash}, w.Check, w.Class, w.Trace, related)
	if ok {
		fmt.Fprintf(stdout, "REPRODUCED: %s\n", why)
		return run.ExitOK
	}
	fmt.Fprintf(stdout, "NOT REPRODUCED: %s\n(the model or the scenario changed since the report was written)\n", why)
	return run.ExitFail
}

// maxTraceSteps bounds a trace replay accepts: far above any search depth.
const maxTraceSteps = 100_000

// validTrace checks a report's witness before anything is replayed: a known
// crash mode, traces of bounded length naming only the report's threads.
func validTrace(rd *report.ReportData, w *report.WitnessData) error {
	switch rd.Crash {
	case "", "anywhere", "never", "after":
	default:
		return fmt.Errorf("crash %q: expected anywhere, never or after", rd.Crash)
	}
	traces := [][]int{w.Trace}
	for _, rel := range w.Related {
		traces = append(traces, rel.Trace)
	}
	for _, tr := range traces {
		if len(tr) > maxTraceSteps {
			return fmt.Errorf("a trace of %d steps (at most %d)", len(tr), maxTraceSteps)
		}
		for i, t := range tr {
			if t < 0 || t >= len(rd.Threads) {
				return fmt.Errorf("step %d of a trace names thread %d; the report has %d threads", i+1, t, len(rd.Threads))
			}
		}
	}
	return nil
}

// scenarioPath is where the scenario of a report is: the recorded path, or, when
// it is relative and not found from the current directory, relative to the
// report's directory.
func scenarioPath(recorded, jsonPath string) string {
	if filepath.IsAbs(recorded) {
		return recorded
	}
	if _, err := os.Stat(recorded); err == nil {
		return recorded
	}
	alt := filepath.Join(filepath.Dir(jsonPath), recorded)
	if _, err := os.Stat(alt); err == nil {
		return alt
	}
	return recorded
}

func indentLines(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString("    " + l)
		}
	}
	return b.String()
}

func indentAfterFirst(s string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}
