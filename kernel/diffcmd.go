package kernel

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/daxsim/daxsim/scenarios"
)

const kernelUsage = `usage: daxsim kernel [flags] FILE...

Runs each scenario's program on a real Linux kernel (Debian's, under QEMU with
an emulated NVDIMM; KVM when it works, TCG otherwise) and compares what it
shows with the linux model for the same filesystem, mount option and schedule:

  serial      every statement's result equals the model's under the same
              total order (the threads in file order; after clauses respected)
  power cut   a file with "crash after T:N" (or -crash-after T:N): QEMU is
              killed once T:N has returned, the machine boots again on the same
              NVDIMM file and every page of every file is read back; each must
              be one the model allows after T:N
  concurrent  with -runs N, every file runs N times with its threads released
              together; each run's tuple of results must be in the model's set

The serial cases of one filesystem and mount share one boot; a power cut costs
two. Progress goes to stderr.

exit status: 0 everything agrees, 1 a disagreement (a side-by-side table per
case), 2 bad input (a file the real kernel cannot run: a proposal never
merged), 3 unknown (no guest booted, a timeout, a model search cut short).
`

// KernelCommand is 'daxsim kernel': it returns the exit status. parse are the
// names the scenario parser accepts (the command's proposals and mutants).
func KernelCommand(args []string, stdout, stderr io.Writer, parse scenarios.ParseOptions) int {
	fs := flag.NewFlagSet("kernel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, kernelUsage+"\nflags:\n")
		fs.PrintDefaults()
	}
	fsName := fs.String("fs", "", "ext4, xfs or ext4,xfs: run every file on it (on each) (default: each file's fs line)")
	mount := fs.String("mount", "", "dax, dax=inode or dax=never: mount with it and build the model with it (default: each file's mount line)")
	runs := fs.Int("runs", 0, "run every file N times concurrently (-schedule concurrent -loop N) and compare the set of outcomes")
	crash := fs.String("crash-after", "", "T:N: cut the power once that statement has returned, in every file")
	format := fs.String("format", "text", "text or json")
	out := fs.String("o", "", "write the report to this file instead of stdout")
	maxStates := fs.Int("max-states", 2_000_000, "bound each model search (an incomplete set makes a difference unknown); 0 = no limit")
	accel := fs.String("accel", "", "kvm or tcg (default: KVM when /dev/kvm works, TCG otherwise)")
	work := fs.String("work", "", "keep the job's images, archives and consoles in this directory")
	bootTimeout := fs.Duration("boot-timeout", 0, "bound each boot up to the mounted filesystem (default 180s)")
	progTimeout := fs.Duration("timeout", 0, "bound each program (default 120s; concurrent: 60s + 1s a run)")
	files, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(files) == 0 {
		fs.Usage()
		return exitBadInput
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "daxsim kernel: -format must be text or json, not %q\n", *format)
		return exitBadInput
	}
	opt := DiffOptions{FS: *fsName, Mount: *mount, Runs: *runs, Parse: parse, MaxStates: *maxStates,
		Accel: *accel, WorkDir: *work, KeepWork: *work != "", Progress: stderr,
		BootTimeout: *bootTimeout, ProgramTimeout: *progTimeout}
	if *crash != "" {
		r, err := ParseStmtRef(*crash)
		if err != nil {
			fmt.Fprintf(stderr, "daxsim kernel: -crash-after: %v\n", err)
			return exitBadInput
		}
		opt.CrashAfter = &r
	}
	if *bootTimeout < 0 || *progTimeout < 0 {
		fmt.Fprintln(stderr, "daxsim kernel: timeouts must not be negative")
		return exitBadInput
	}
	if *maxStates < 0 {
		fmt.Fprintln(stderr, "daxsim kernel: -max-states must not be negative")
		return exitBadInput
	}
	if *accel != "" && *accel != "kvm" && *accel != "tcg" {
		fmt.Fprintf(stderr, "daxsim kernel: -accel must be kvm or tcg, not %q\n", *accel)
		return exitBadInput
	}
	// An interrupt stops the runs (QEMU is killed); the report says unknown.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := Diff(ctx, files, opt)
	if err != nil {
		fmt.Fprintf(stderr, "daxsim kernel: %v\n", err)
		return exitBadInput
	}
	w := stdout
	var f *os.File
	if *out != "" {
		if f, err = os.Create(*out); err != nil {
			fmt.Fprintf(stderr, "daxsim kernel: %v\n", err)
			return exitBadInput
		}
		defer f.Close()
		w = f
	}
	if *format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "daxsim kernel: %v\n", err)
			return exitBadInput
		}
	} else {
		rep.WriteText(w)
	}
	for _, c := range rep.Cases {
		if c.Verdict == VerdictRefused {
			fmt.Fprintf(stderr, "%s\n", c.Note)
		}
	}
	return rep.Exit()
}
