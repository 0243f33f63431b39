package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"

	"github.com/daxsim/daxsim/internal/input"
	"github.com/daxsim/daxsim/kernel"
	"github.com/daxsim/daxsim/report"
	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// cmdRepro is 'daxsim repro [flags] FILE': the scenario as a self-contained C
// program for a real Linux kernel (kernel.Repro; see kernel.ReproCommand for
// the flags). A statement no kernel has is "FILE:LINE:COL: message", exit 2.
func cmdRepro(args []string, stdout, stderr io.Writer) int {
	return kernel.ReproCommand(args, stdout, stderr, witnessOrder)
}

// witnessOrder is -witness N: counterexample N (the report's "index") of the
// JSON report FILE.json, or of 'daxsim check FILE' with the file's own
// settings and the default limits; its statements in the order they return
// in its trace, then those still running at its end in the order they
// started. The daemons (the journal) have no statements.
func witnessOrder(file string, n int) (*scenarios.Scenario, []kernel.StmtRef, string, error) {
	var b *scenarios.Built
	var ws []*report.WitnessData
	if strings.HasSuffix(file, ".json") {
		data, err := input.ReadFile(file, input.MaxReport)
		if err != nil {
			return nil, nil, "", err
		}
		reports, err := report.ReadReports(data)
		if err != nil {
			return nil, nil, "", fmt.Errorf("%s: %v", file, err)
		}
		if len(reports) != 1 {
			return nil, nil, "", fmt.Errorf("%s holds %d reports: give the report of one scenario", file, len(reports))
		}
		rd := &reports[0]
		if rd.Scenario.Source == "" {
			return nil, nil, "", fmt.Errorf("%s does not hold its scenario's text", file)
		}
		bo := scenarios.Options{Proposal: rd.Proposal, Mutants: rd.Mutants, Crash: rd.Crash}
		if b, err = loadSource(rd.Scenario.Path, []byte(rd.Scenario.Source), bo); err != nil {
			return nil, nil, "", err
		}
		ws = rd.Witnesses()
	} else {
		var err error
		if b, err = load(file, scenarios.Options{}); err != nil {
			return nil, nil, "", err
		}
		r := run.RunMode(b, run.Options{Fallback: true,
			Sim: sim.Options{MaxMemory: sim.DefaultMaxMemory(), Workers: runtime.GOMAXPROCS(0)}})
		ws = report.Data(r).Witnesses()
	}
	if n >= len(ws) {
		return nil, nil, "", fmt.Errorf("%s has %d counterexample(s), no %d", file, len(ws), n)
	}
	w := ws[n]
	k := b.Kernel
	steps, err := sim.Replay(k, &b.Init, w.Trace)
	if err != nil {
		return nil, nil, "", fmt.Errorf("counterexample %d does not replay: %v", n, err)
	}
	var order, running []kernel.StmtRef
	for i := range steps {
		ev := &steps[i].Event
		th := &k.Threads[ev.Thread]
		if th.Daemon {
			continue
		}
		ref := kernel.StmtRef{Thread: th.Name, Index: ev.PC + 1}
		if !slices.Contains(running, ref) {
			running = append(running, ref)
		}
		if ev.Returned {
			order = append(order, ref)
			running = slices.DeleteFunc(running, func(x kernel.StmtRef) bool { return x == ref })
		}
	}
	from := fmt.Sprintf("counterexample %d of %s\n * (%s, %s)", n, file, w.Check, w.Class)
	return b.Scn, append(order, running...), from, nil
}
