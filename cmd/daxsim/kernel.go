package main

import (
	"io"

	"github.com/daxsim/daxsim/kernel"
	"github.com/daxsim/daxsim/run"
)

// cmdKernel is 'daxsim kernel': the scenarios on a real kernel under QEMU,
// compared with the linux model (package kernel does the work).
func cmdKernel(args []string, stdout, stderr io.Writer) int {
	return kernel.KernelCommand(args, stdout, stderr, run.ParseOptions())
}
