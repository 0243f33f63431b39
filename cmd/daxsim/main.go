// Command daxsim is the command line of the DAX model checker: see SPEC.md section 2
// and 'daxsim help'.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"golang.org/x/term"

	"github.com/daxsim/daxsim/internal/input"
	"github.com/daxsim/daxsim/model/mutants"
	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/scenarios"
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
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// realMain is main without the process: it returns the exit status. A panic is
// daxsim's own bug, never the input's: it exits 4 with what to report.
func realMain(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "daxsim: internal error: %v\n\nThis is a bug in daxsim, not in your scenario. Please report it with the scenario file(s) and this command:\n  daxsim %s\n\n%s",
				p, strings.Join(args, " "), debug.Stack())
			code = run.ExitInternal
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return run.ExitBadInput
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
	return run.ExitBadInput
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
	scn, err := scenarios.Parse(path, src, run.ParseOptions())
	if err != nil {
		var perr *scenarios.Error
		if errors.As(err, &perr) {
			return nil, err
		}
		return nil, fmt.Errorf("daxsim: %v", err)
	}
	return scenarios.Build(scn, bo)
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// isTerminal reports whether w is a terminal (progress goes there only then).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
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
