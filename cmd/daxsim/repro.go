package main

import (
	"io"

	"github.com/daxsim/daxsim/kernel"
)

// cmdRepro is 'daxsim repro [flags] FILE': the scenario as a self-contained C
// program for a real Linux kernel (kernel.Repro; see kernel.ReproCommand for
// the flags). A statement no kernel has is "FILE:LINE:COL: message", exit 2.
func cmdRepro(args []string, stdout, stderr io.Writer) int {
	return kernel.ReproCommand(args, stdout, stderr)
}
