package sim_test

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/daxsim/daxsim/sim"
)

// TestSwarmCompleteIsExhaustive: a swarm search that ends within its bound has
// covered the whole space whatever its seed: the same states, terminal states
// and classes of violation (with the probes: every position, return and stuck
// class) as BFS.
func TestSwarmCompleteIsExhaustive(t *testing.T) {
	for _, w := range allWorlds(t) {
		bfs := sim.Explore(w.k, &w.init, allChecks(t), sim.Options{})
		for seed := uint64(1); seed <= 4; seed++ {
			sw := sim.Explore(w.k, &w.init, allChecks(t), sim.Options{DFS: true, Swarm: true, Seed: seed})
			if !sw.Complete || sw.Search != "swarm" {
				t.Fatalf("%s seed %d: complete %v search %q", w.name, seed, sw.Complete, sw.Search)
			}
			if sw.States != bfs.States || sw.Terminal != bfs.Terminal ||
				!reflect.DeepEqual(classSet(sw), classSet(bfs)) {
				t.Errorf("%s seed %d: %d states %d terminal %v; BFS %d %d %v", w.name, seed,
					sw.States, sw.Terminal, classSet(sw), bfs.States, bfs.Terminal, classSet(bfs))
			}
		}
	}
}

// TestSwarmSeedsDiffer: bounded swarm searches with different seeds reach
// different states (so their union covers more than one of them), and a seed
// gives the same search every time.
func TestSwarmSeedsDiffer(t *testing.T) {
	w := loadScn(t, filepath.Join(scnDir, "aops-swap", "flip-xarray-check.scn"))
	bound := sim.Explore(w.k, &w.init, allChecks(t), sim.Options{}).States / 3
	reached := map[string]bool{}
	for seed := uint64(1); seed <= 6; seed++ {
		opt := sim.Options{DFS: true, Swarm: true, Seed: seed, MaxStates: bound}
		a := sim.Explore(w.k, &w.init, allChecks(t), opt)
		b := sim.Explore(w.k, &w.init, allChecks(t), opt)
		if !reflect.DeepEqual(summarize(a), summarize(b)) {
			t.Fatalf("seed %d: two runs differ", seed)
		}
		if a.Complete || a.States != bound {
			t.Fatalf("seed %d: complete %v with %d states; want the bound %d", seed, a.Complete, a.States, bound)
		}
		for _, c := range classSet(a) {
			reached[c] = true
		}
	}
	one := sim.Explore(w.k, &w.init, allChecks(t), sim.Options{DFS: true, Swarm: true, Seed: 1, MaxStates: bound})
	if len(reached) <= len(classSet(one)) {
		t.Errorf("six seeds reached %d classes (positions, returns, stuck states), no more than seed 1 alone (%d)",
			len(reached), len(classSet(one)))
	}
}
