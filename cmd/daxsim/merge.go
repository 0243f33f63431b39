package main

// 'daxsim merge': join the JSON reports of the shards of a run.

import (
	"bytes"
	"fmt"
	"io"

	"github.com/daxsim/daxsim/internal/input"
	"github.com/daxsim/daxsim/report"
	"github.com/daxsim/daxsim/run"
)

// cmdMerge is 'daxsim merge FILE.json...': it joins the -format json reports of
// the shards of a run (check -shard i/n) into one report per run.
func cmdMerge(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("merge", "daxsim merge [-format json|text|html] [-o FILE] REPORT.json...", stderr)
	out := fs.String("o", "", "write the merged report to this file instead of stdout")
	format := fs.String("format", "json", "json (read by 'daxsim replay' and by merge again), text (verdicts and one line per counterexample) or html")
	if !parseFlags(fs, args, 1, -1) {
		return run.ExitBadInput
	}
	if *format != "json" && *format != "text" && *format != "html" {
		fmt.Fprintf(stderr, "daxsim merge: -format must be json, text or html, not %q\n", *format)
		return run.ExitBadInput
	}
	var all []report.ReportData
	for _, path := range fs.Args() {
		data, err := input.ReadFile(path, input.MaxReport)
		if err != nil {
			fmt.Fprintf(stderr, "daxsim merge: %v\n", err)
			return run.ExitBadInput
		}
		ds, err := report.ReadReports(data)
		if err != nil {
			fmt.Fprintf(stderr, "daxsim merge: %s: %v\n", path, err)
			return run.ExitBadInput
		}
		all = append(all, ds...)
	}
	merged, err := report.MergeAll(all)
	if err != nil {
		fmt.Fprintf(stderr, "daxsim merge: %v\n", err)
		return run.ExitBadInput
	}
	var buf bytes.Buffer
	switch *format {
	case "text":
		for i, m := range merged {
			if i > 0 {
				fmt.Fprintln(&buf)
			}
			fmt.Fprintf(&buf, "== %s (merged)\n", m.Scenario.Path)
			report.WriteSummary(&buf, m)
		}
	case "html":
		if err := report.WriteHTMLData(&buf, merged); err != nil {
			fmt.Fprintf(stderr, "daxsim merge: %v\n", err)
			return run.ExitBadInput
		}
	default:
		if err := report.WriteData(&buf, merged); err != nil {
			fmt.Fprintf(stderr, "daxsim merge: %v\n", err)
			return run.ExitBadInput
		}
	}
	if !emit(*out, buf.Bytes(), stdout, stderr, "merge") {
		return run.ExitBadInput
	}
	var codes []int
	for _, m := range merged {
		codes = append(codes, m.Exit)
	}
	return combineExit(codes)
}
