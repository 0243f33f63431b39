package daxsimtest_test

import (
	"testing"

	"github.com/daxsim/daxsim/daxsimtest"
)

// TestRun runs the seed-003 scenarios as subtests.
func TestRun(t *testing.T) {
	daxsimtest.Run(t, "../testdata/scenarios/aops-swap/*.scn")
}
