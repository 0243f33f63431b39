package kernel

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/daxsim/daxsim/scenarios"
)

// Exit statuses of the commands (SPEC.md section 2).
const (
	exitOK       = 0
	exitBadInput = 2
)

const reproUsage = `usage: daxsim repro [flags] FILE

Prints the scenario as a self-contained C program for a real Linux kernel
(build: gcc -static -Wall -O2 -pthread; run as root: ./repro DIR, DIR on a
DAX filesystem). Each statement is the system call it stands for and prints
"THREAD:N RESULT". Statements no kernel has (daxfile, seal, mincore,
setflag immutable=, mmap direct) are refused: FILE:LINE:COL: message, exit 2.

  -schedule serial      the threads one after another in file order (default)
  -schedule witness     the statements in the total order given by -order
  -schedule concurrent  all threads released at once from a barrier (with -loop)
  -order t1:1,t2:1,...  the witness order (the statements it leaves out run
                        after it, thread by thread)
  -witness N            the witness order of counterexample N (its "index"):
                        of the JSON report FILE.json ('daxsim check -format
                        json'), or of the check of scenario FILE; the order is
                        the one in which the counterexample's statements
                        return (a statement still running when it ends comes
                        after, in the order they started)
`

// WitnessOrder resolves -witness N for FILE (a scenario, or a JSON report of
// 'daxsim check'): the scenario, and the statement order of its counterexample
// N. The command line provides it: running the checker is not this package's.
type WitnessOrder func(file string, n int) (scn *scenarios.Scenario, order []StmtRef, from string, err error)

// parseArgs parses args with flags allowed after the file names too, and
// returns the files; when !ok the command ends with code (0 after -h).
func parseArgs(fs *flag.FlagSet, args []string) (files []string, code int, ok bool) {
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitBadInput, false
		}
		if fs.NArg() == 0 {
			return files, 0, true
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
}

// ReproCommand is 'daxsim repro': it returns the exit status.
func ReproCommand(args []string, stdout, stderr io.Writer, witnessOrder WitnessOrder) int {
	fs := flag.NewFlagSet("repro", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, reproUsage+"\nflags:\n")
		fs.PrintDefaults()
	}
	schedule := fs.String("schedule", ScheduleSerial, "serial, witness or concurrent")
	order := fs.String("order", "", "witness schedule: the total order, THREAD:N,THREAD:N,...")
	witness := fs.Int("witness", -1, "witness schedule: the order of counterexample N of FILE.json (a 'daxsim check -format json' report) or of the check of scenario FILE")
	loop := fs.Int("loop", 0, "run the workload N times on fresh files, printing RUN i before each run")
	crash := fs.String("crash-after", "", "T:N: after that statement returns, print DAXSIM-CUT and block (the host cuts the power)")
	dir := fs.String("dir", "", "the directory of the files, compiled in (default: the program's first argument)")
	fsName := fs.String("fs", "", "ext4 or xfs: the filesystem it will run on (default: the scenario's fs line)")
	direct := fs.Bool("direct-as-unknown", false, "map the mmap flag direct (never merged) to a flag bit no kernel defines instead of refusing it")
	reader := fs.Bool("reader", false, "print the readback program (run after a power cut) instead, with the arguments for FILE in its first line")
	out := fs.String("o", "", "write the program to this file instead of stdout")
	files, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(files) != 1 {
		fs.Usage()
		return exitBadInput
	}
	var scn *scenarios.Scenario
	var witnessRefs []StmtRef
	var witnessFrom string
	var err error
	if *witness >= 0 {
		switch {
		case witnessOrder == nil:
			fmt.Fprintln(stderr, "daxsim repro: -witness needs the checker (run it as 'daxsim repro'); give the order with -order")
			return exitBadInput
		case *order != "":
			fmt.Fprintln(stderr, "daxsim repro: -witness and -order: give one of them")
			return exitBadInput
		case *schedule != ScheduleSerial && *schedule != ScheduleWitness:
			fmt.Fprintf(stderr, "daxsim repro: -witness gives a witness schedule, not -schedule %s\n", *schedule)
			return exitBadInput
		}
		if scn, witnessRefs, witnessFrom, err = witnessOrder(files[0], *witness); err != nil {
			fmt.Fprintf(stderr, "daxsim repro: -witness: %v\n", err)
			return exitBadInput
		}
		*schedule = ScheduleWitness
	} else if scn, err = scenarios.ParseFile(files[0], scenarios.ParseOptions{}); err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return exitBadInput
	}
	var src []byte
	if *reader {
		src = append([]byte(fmt.Sprintf("/* for %s: daxsim-reader DIR %s */\n", files[0], strings.Join(ReaderArgs(scn), " "))), Reader()...)
	} else {
		opt := ReproOptions{Schedule: *schedule, Loop: *loop, Dir: *dir, FS: *fsName, DirectAsUnknown: *direct,
			Witness: witnessRefs, WitnessFrom: witnessFrom}
		if *order != "" {
			if opt.Witness, err = ParseOrder(*order); err != nil {
				fmt.Fprintf(stderr, "daxsim repro: -order: %v\n", err)
				return exitBadInput
			}
		}
		if *crash != "" {
			r, err := ParseStmtRef(*crash)
			if err != nil {
				fmt.Fprintf(stderr, "daxsim repro: -crash-after: %v\n", err)
				return exitBadInput
			}
			opt.CrashAfter = &r
		}
		if src, err = Repro(scn, opt); err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			return exitBadInput
		}
	}
	if *out != "" {
		if err := os.WriteFile(*out, src, 0o644); err != nil {
			fmt.Fprintf(stderr, "daxsim repro: %v\n", err)
			return exitBadInput
		}
		return exitOK
	}
	if _, err := stdout.Write(src); err != nil {
		return exitBadInput
	}
	return exitOK
}
