// Package daxsim is the Go API of daxsim, a model checker of Linux DAX kernel
// semantics: check a scenario file (SPEC.md section 3) the way 'daxsim check'
// does, from a test or a program.
//
//	res, err := daxsim.CheckFile("testdata/aops-swap.scn", daxsim.Options{})
//	if err != nil {
//		return err // bad input: file:line:col and what was expected
//	}
//	if res.Exit() != 0 {
//		fmt.Print(res.Text()) // verdicts and counterexamples
//	}
//
// The zero Options run the scenario as its file says (proposal, mutants, crash
// line) with the default limits. Bad input is an error, never a panic. Package
// daxsimtest runs scenario files as subtests.
package daxsim

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/daxsim/daxsim/model/mutants"
	"github.com/daxsim/daxsim/model/proposals"
	"github.com/daxsim/daxsim/report"
	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// Options change how a scenario is checked. The zero value is the file's own
// settings and the default limits of 'daxsim check'.
type Options struct {
	Proposal string   // run under this proposal instead of the file's proposal line
	Mutants  []string // run with these seeded kernel bugs too
	Crash    string   // anywhere or never: replaces the file's crash line
	// MaxStates bounds the exhaustive search (0: no bound but MaxMemory); past
	// it the verdicts it could not decide are unknown (exit 3).
	MaxStates int
	// MaxMemory bounds the bytes the search's states may take (0: the command
	// line's default, half of what the machine or the process may use).
	MaxMemory int64
	Workers   int // parallel workers (0: GOMAXPROCS); the result does not depend on it

	_ struct{} // disallow positional literals, for extensibility
}

// Result is what one check found.
type Result struct {
	report *run.Report
}

// Exit is the exit status 'daxsim check' would give: 0 the expect lines hold
// (or, without expect lines, every property holds), 1 a violation or a failed
// expectation, 3 a limit cut the search short.
func (r *Result) Exit() int { return r.report.Exit }

// Text is the text report of 'daxsim check': verdicts, expect lines and every
// counterexample.
func (r *Result) Text() string {
	var b bytes.Buffer
	report.WriteText(&b, r.report, false)
	return b.String()
}

// JSON is the report as 'daxsim check -format json' writes it (read by 'daxsim
// replay').
func (r *Result) JSON() ([]byte, error) {
	var b bytes.Buffer
	err := report.WriteJSON(&b, r.report)
	return b.Bytes(), err
}

// Verdict is the verdict on property name ("pass", "violation", "unknown"), or
// "" when the scenario did not check it.
func (r *Result) Verdict(name string) string {
	for _, p := range r.report.Props {
		if p.Name == name {
			return string(p.Verdict)
		}
	}
	return ""
}

// CheckFile checks the scenario file at path.
func CheckFile(path string, opt Options) (*Result, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Check(path, src, opt)
}

// Check checks the scenario text src; name is used in error positions and in
// the report.
func Check(name string, src []byte, opt Options) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("daxsim: internal error checking %s: %v (please report it with the scenario)", name, r)
		}
	}()
	scn, err := scenarios.Parse(name, src, ParseOptions())
	if err != nil {
		return nil, err
	}
	for _, m := range opt.Mutants {
		if _, ok := mutants.Lookup(m); !ok {
			return nil, fmt.Errorf("daxsim: Options.Mutants: unknown mutant %q", m)
		}
	}
	if opt.Proposal != "" {
		if _, ok := proposals.Lookup(opt.Proposal); !ok {
			return nil, fmt.Errorf("daxsim: Options.Proposal: unknown proposal %q", opt.Proposal)
		}
	}
	switch opt.Crash {
	case "", "anywhere", "never":
	default:
		return nil, fmt.Errorf("daxsim: Options.Crash: %q is not anywhere or never", opt.Crash)
	}
	if opt.MaxStates < 0 || opt.MaxMemory < 0 || opt.Workers < 0 {
		return nil, errors.New("daxsim: Options.MaxStates, MaxMemory and Workers must not be negative")
	}
	b, err := scenarios.Build(scn, scenarios.Options{Proposal: opt.Proposal, Mutants: opt.Mutants, Crash: opt.Crash})
	if err != nil {
		return nil, err
	}
	maxMemory, workers := opt.MaxMemory, opt.Workers
	if maxMemory == 0 {
		maxMemory = sim.DefaultMaxMemory()
	}
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	r := run.RunMode(b, run.Options{
		Sim:      sim.Options{MaxStates: opt.MaxStates, MaxMemory: maxMemory, Workers: workers},
		Fallback: true,
		RandOpt:  sim.RandomOptions{Seed: 1, Runs: 1000, Workers: workers},
	})
	return &Result{report: r}, nil
}

// ParseOptions are the names a scenario may use: every proposal, property and
// mutant daxsim knows.
func ParseOptions() scenarios.ParseOptions {
	return run.ParseOptions()
}
