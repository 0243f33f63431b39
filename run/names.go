package run

import (
	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model/mutants"
	"github.com/daxsim/daxsim/model/proposals"
	"github.com/daxsim/daxsim/scenarios"
)

// ParseOptions are the names a scenario may use: every proposal, property and
// mutant daxsim knows.
func ParseOptions() scenarios.ParseOptions {
	return scenarios.ParseOptions{Proposals: proposals.Names(), Properties: checker.Names(), Mutants: mutants.Names()}
}
