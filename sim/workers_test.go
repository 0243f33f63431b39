package sim_test

import (
	"reflect"
	"testing"

	"github.com/daxsim/daxsim/sim"
)

// TestWorkersSameResult: the parallel BFS gives the same states, transitions,
// witnesses and traces for any number of workers.
func TestWorkersSameResult(t *testing.T) {
	for _, w := range allWorlds(t) {
		one := sim.Explore(w.k, &w.init, allChecks(t), sim.Options{Workers: 1})
		for _, n := range []int{2, 3, 8} {
			got := sim.Explore(w.k, &w.init, allChecks(t), sim.Options{Workers: n})
			if got.States != one.States || got.Transitions != one.Transitions || got.Terminal != one.Terminal ||
				got.Complete != one.Complete || !reflect.DeepEqual(traces(got), traces(one)) {
				t.Errorf("%s: workers=%d differs from workers=1 (%d/%d states)", w.name, n, got.States, one.States)
			}
		}
	}
}

func traces(r *sim.Result) []string {
	var out []string
	for _, v := range r.Violations {
		out = append(out, v.Check+"|"+v.Class+"|"+v.Msg+"|"+string(rune(len(v.Trace))))
		for _, t := range v.Trace {
			out = append(out, string(rune('0'+t)))
		}
	}
	return out
}

// TestRandomDeterministic: a random search depends only on the seed, not on the
// number of workers; its witnesses replay.
func TestRandomDeterministic(t *testing.T) {
	for _, w := range allWorlds(t) {
		mk := func() []sim.Check { return allChecks(t) }
		a := sim.RandomSearch(w.k, &w.init, mk, nil, sim.RandomOptions{Seed: 7, Runs: 64, Workers: 1})
		b := sim.RandomSearch(w.k, &w.init, mk, nil, sim.RandomOptions{Seed: 7, Runs: 64, Workers: 3})
		if a.Steps != b.Steps || !reflect.DeepEqual(a.Run, b.Run) || len(a.Violations) != len(b.Violations) {
			t.Fatalf("%s: workers change the random search", w.name)
		}
		for i := range a.Violations {
			if !reflect.DeepEqual(a.Violations[i].Trace, b.Violations[i].Trace) {
				t.Fatalf("%s: witness %d differs between worker counts", w.name, i)
			}
			if _, err := sim.Replay(w.k, &w.init, a.Violations[i].Trace); err != nil {
				t.Fatalf("%s: random witness does not replay: %v", w.name, err)
			}
		}
		c := sim.RandomSearch(w.k, &w.init, mk, nil, sim.RandomOptions{Seed: 8, Runs: 64, Workers: 1})
		_ = c // another seed may or may not differ; it must not panic
	}
}
