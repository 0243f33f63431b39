package main

import (
	"fmt"
	"io"

	"github.com/daxsim/daxsim/checker"
)

// cmdReplay is 'daxsim replay TRACE.json': see issue #5 (work in progress in this commit).
func cmdReplay(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "daxsim replay: not implemented yet (issue #5)")
	return checker.ExitBadInput
}
