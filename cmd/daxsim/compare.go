package main

import (
	"fmt"
	"io"

	"github.com/daxsim/daxsim/checker"
)

// cmdCompare is 'daxsim compare': see issue #5 (work in progress in this commit).
func cmdCompare(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "daxsim compare: not implemented yet (issue #5)")
	return checker.ExitBadInput
}
