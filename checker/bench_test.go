package checker_test

import (
	"testing"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// crashStates explores a scenario and returns every reachable state: each is a
// crash point under "crash anywhere".
func crashStates(b *testing.B, path string) (*model.Kernel, []model.State) {
	scn, err := scenarios.ParseFile(path, scenarios.ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	built, err := scenarios.Build(scn, scenarios.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var states []model.State
	// One worker: the check is called in search order on one goroutine.
	collect := sim.Check{Name: "collect", State: func(_ *sim.Judge, _ *model.Kernel, s *model.State) {
		states = append(states, *s)
	}}
	sim.Explore(built.Kernel, &built.Init, []sim.Check{collect}, sim.Options{Workers: 1})
	return built.Kernel, states
}

// BenchmarkCrashCheck runs the crash properties (no-lost-block, flush-is-durable,
// no-data-leak's crash part) on every crash point of two durability scenarios and
// reports crash checks per second and the crash images per crash point that eager
// enumeration would have had to build.
func BenchmarkCrashCheck(b *testing.B) {
	for _, path := range []string{
		"../testdata/scenarios/durability/map-sync-flush.scn",
		"../testdata/scenarios/durability/baseline-write-fsync.scn",
	} {
		b.Run(path[len("../testdata/scenarios/durability/"):], func(b *testing.B) {
			k, states := crashStates(b, path)
			var checks []sim.Check
			for _, n := range []string{"no-lost-block", "flush-is-durable", "no-data-leak"} {
				p, _ := checker.Lookup(n)
				checks = append(checks, p.Check(checker.Config{}))
			}
			images := 0
			for i := range states {
				images += checker.CrashImages(k, &states[i])
			}
			b.ResetTimer()
			for it := 0; it < b.N; it++ {
				for i := range states {
					for _, c := range checks {
						c.JudgeState(k, &states[i])
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(len(states)), "crash-points")
			b.ReportMetric(float64(images)/float64(len(states)), "images/point")
			b.ReportMetric(float64(b.N*len(states))/b.Elapsed().Seconds(), "crash-checks/s")
		})
	}
}
