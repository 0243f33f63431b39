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
                        after it, thread by thread). Taking it from the N-th
                        counterexample of 'daxsim check -format json' (-witness N)
                        is not implemented yet.
`

// ReproCommand is 'daxsim repro': it returns the exit status.
func ReproCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("repro", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, reproUsage+"\nflags:\n")
		fs.PrintDefaults()
	}
	schedule := fs.String("schedule", ScheduleSerial, "serial, witness or concurrent")
	order := fs.String("order", "", "witness schedule: the total order, THREAD:N,THREAD:N,...")
	witness := fs.Int("witness", -1, "the N-th counterexample of 'daxsim check -format json' as the order (not implemented yet: use -order)")
	loop := fs.Int("loop", 0, "run the workload N times on fresh files, printing RUN i before each run")
	crash := fs.String("crash-after", "", "T:N: after that statement returns, print DAXSIM-CUT and block (the host cuts the power)")
	dir := fs.String("dir", "", "the directory of the files, compiled in (default: the program's first argument)")
	fsName := fs.String("fs", "", "ext4 or xfs: the filesystem it will run on (default: the scenario's fs line)")
	direct := fs.Bool("direct-as-unknown", false, "map the mmap flag direct (never merged) to a flag bit no kernel defines instead of refusing it")
	reader := fs.Bool("reader", false, "print the readback program (run after a power cut) instead, with the arguments for FILE in its first line")
	out := fs.String("o", "", "write the program to this file instead of stdout")
	// Flags may follow the file name.
	var files []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitBadInput
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) != 1 {
		fs.Usage()
		return exitBadInput
	}
	if *witness >= 0 {
		fmt.Fprintln(stderr, "daxsim repro: -witness N is not implemented yet (it will take the N-th counterexample of 'daxsim check -format json'); give the order with -schedule witness -order t1:1,t2:1,...")
		return exitBadInput
	}
	scn, err := scenarios.ParseFile(files[0], scenarios.ParseOptions{})
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return exitBadInput
	}
	var src []byte
	if *reader {
		src = append([]byte(fmt.Sprintf("/* for %s: daxsim-reader DIR %s */\n", files[0], strings.Join(ReaderArgs(scn), " "))), Reader()...)
	} else {
		opt := ReproOptions{Schedule: *schedule, Loop: *loop, Dir: *dir, FS: *fsName, DirectAsUnknown: *direct}
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
