package main

// 'daxsim help [COMMAND]' and 'daxsim version'.

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/daxsim/daxsim/report"
	"github.com/daxsim/daxsim/run"
)

// cmdHelp is 'daxsim help [COMMAND]': the usage, or a command's flags (the
// command's own -h, on stdout).
func cmdHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return run.ExitOK
	}
	if len(args) > 1 {
		fmt.Fprintln(stderr, "usage: daxsim help [COMMAND]")
		return run.ExitBadInput
	}
	switch args[0] {
	case "check", "compare", "replay", "merge", "diff", "scenarios", "kernel", "repro":
		realMain([]string{args[0], "-h"}, stdout, stdout)
		return run.ExitOK
	}
	for _, l := range strings.Split(usage, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "daxsim "+args[0]) {
			fmt.Fprintln(stdout, "usage: "+strings.TrimSpace(l))
			return run.ExitOK
		}
	}
	fmt.Fprintf(stderr, "daxsim help: unknown command %q\n\n%s", args[0], usage)
	return run.ExitBadInput
}

// cmdVersion is 'daxsim version': the version, the Go release and the
// source revision it was built from, when the build recorded one.
func cmdVersion(w io.Writer) int {
	line := "daxsim " + report.Version + " (" + runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = ", modified"
				}
			}
		}
		if rev != "" {
			line += ", revision " + rev[:min(12, len(rev))] + dirty
		}
	}
	fmt.Fprintln(w, line+")")
	return run.ExitOK
}
