package main

// 'daxsim merge': join the JSON reports of the shards of a run.

import (
	"bytes"
	"fmt"
	"io"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/internal/input"
)

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
