package run_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/model/mutants"
	"github.com/daxsim/daxsim/model/proposals"
	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// TestRapidPOR: on random workloads (genScenario) under a random proposal, a
// random mutant half of the time, every property and crash mode, the
// partial-order reduction keeps every check's verdict and, re-shortened, the
// length of every class's shortest witness (lock-order: of the check, whose
// classes name the cycle as the search order closes it), the terminal states,
// and whether each check judged anything.
func TestRapidPOR(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.SampledFrom(proposals.Names()).Draw(t, "proposal")
		var ms []string
		if rapid.Bool().Draw(t, "mutated") {
			ms = []string{rapid.SampledFrom(mutants.Names()).Draw(t, "mutant")}
		}
		src := genScenario(t, p)
		src += "crash " + rapid.SampledFrom([]string{"anywhere", "never"}).Draw(t, "crash") + "\n"
		scn, err := scenarios.Parse("gen.scn", []byte(src), scenarios.ParseOptions{})
		if err != nil {
			t.Fatalf("%v\n%s", err, src)
		}
		build := func() *scenarios.Built {
			b, err := scenarios.Build(scn, scenarios.Options{Mutants: ms})
			if err != nil {
				t.Fatalf("%v\n%s", err, src)
			}
			return b
		}
		const max = 20000
		b0 := build()
		full := sim.Explore(b0.Kernel, &b0.Init, run.Checks(b0), sim.Options{MaxStates: max})
		b1 := build()
		red := sim.Explore(b1.Kernel, &b1.Init, run.Checks(b1), sim.Options{MaxStates: max, Reduce: run.POR(b1)})
		if !full.Complete || !red.Complete {
			t.Skip("incomplete")
		}
		red, _ = sim.Reshorten(b1.Kernel, &b1.Init, func() []sim.Check { return run.Checks(b1) }, sim.Options{}, red)
		if a, b := lengths(full), lengths(red); a != b {
			t.Fatalf("mutants %v: the witnesses differ\nwithout: %s\nwith:    %s\n%s", ms, a, b, src)
		}
		if full.Terminal != red.Terminal {
			t.Fatalf("mutants %v: %d terminal states without the reduction, %d with\n%s", ms, full.Terminal, red.Terminal, src)
		}
		for name, n := range full.Coverage {
			if (n == 0) != (red.Coverage[name] == 0) {
				t.Fatalf("mutants %v: %s judged %d things without the reduction, %d with\n%s", ms, name, n, red.Coverage[name], src)
			}
		}
	})
}

// lengths is every witnessed check and class with its shortest witness's
// length, in a canonical text.
func lengths(r *sim.Result) string {
	best := map[string]int{}
	for _, v := range r.Violations {
		k := v.Check + "/" + v.Class
		if v.Check == "lock-order" {
			k = v.Check
		}
		if n, ok := best[k]; !ok || len(v.Trace) < n {
			best[k] = len(v.Trace)
		}
	}
	var out []string
	for k, n := range best {
		out = append(out, fmt.Sprintf("%s=%d", k, n))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// TestRapidFootprints: on random workloads under a random proposal and, half
// of the time, a random mutant, the declared footprints hold in every
// explored state (model.Deps.Verify: cover, commute, no enabling): random
// races exercise reads the scenario files may not.
func TestRapidFootprints(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.SampledFrom(proposals.Names()).Draw(t, "proposal")
		var ms []string
		if rapid.Bool().Draw(t, "mutated") {
			ms = []string{rapid.SampledFrom(mutants.Names()).Draw(t, "mutant")}
		}
		src := genScenario(t, p)
		scn, err := scenarios.Parse("gen.scn", []byte(src), scenarios.ParseOptions{})
		if err != nil {
			t.Fatalf("%v\n%s", err, src)
		}
		b, err := scenarios.Build(scn, scenarios.Options{Mutants: ms})
		if err != nil {
			t.Fatalf("%v\n%s", err, src)
		}
		k := b.Kernel
		d := model.NewDeps(k)
		var st model.VerifyStats
		seen := map[uint64]bool{b.Init.Hash(): true}
		stack := []model.State{b.Init}
		var ev model.Event
		for len(stack) > 0 && len(seen) < 2000 {
			s := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if errs := d.Verify(&s, &st); len(errs) > 0 {
				t.Fatalf("mutants %v: %v\n%s", ms, errs[0], src)
			}
			for th := range k.Threads {
				n := s
				if k.Exec(&n, th, &ev) && !seen[n.Hash()] {
					seen[n.Hash()] = true
					stack = append(stack, n)
				}
			}
		}
	})
}
