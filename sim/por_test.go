package sim_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/model/mutants"
	"github.com/daxsim/daxsim/model/proposals"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// The tests of partial-order reduction's declarations (model/footprint.go):
// over the states explored for every scenario under testdata and the built-in
// suite under every proposal, what each step changes lies in what it
// declares, steps declared independent commute, and the state graph is
// acyclic. The reduction's verdicts are compared with the unreduced search's
// in run (por_test.go).

// porStatesPerWorld bounds the states explored per scenario.
const porStatesPerWorld = 20000

// porWorlds is every scenario file under testdata and every built-in workload
// under every proposal.
func porWorlds(t testing.TB) []world {
	t.Helper()
	var out []world
	err := filepath.WalkDir("../testdata", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".scn") {
			out = append(out, loadScn(t, path))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range scenarios.BuiltinNames() {
		src, _ := scenarios.Builtin(name)
		for _, p := range proposals.Names() {
			out = append(out, buildScn(t, "builtin:"+name, string(src), p))
		}
	}
	for _, p := range []string{"flip-dontcache", "flip-xarray-check"} {
		out = append(out, buildScn(t, "perf-n3", perfScenario(3, p), ""))
	}
	return out
}

// bfsStates explores w breadth-first (no reduction) and calls f on every state
// reached, up to max states; it reports whether the space was explored whole.
func bfsStates(w world, max int, f func(s *model.State)) bool {
	seen := map[uint64]bool{w.init.Hash(): true}
	frontier := []model.State{w.init}
	var ev model.Event
	for len(frontier) > 0 {
		var next []model.State
		for i := range frontier {
			s := &frontier[i]
			f(s)
			for t := range w.k.Threads {
				n := *s
				if !w.k.Exec(&n, t, &ev) {
					continue
				}
				if h := n.Hash(); !seen[h] {
					if len(seen) >= max {
						return false
					}
					seen[h] = true
					next = append(next, n)
				}
			}
		}
		frontier = next
	}
	return true
}

// TestFootprintsDeclared: every step of every path and every hook is declared
// in every proposal, with every mutant, on both filesystems (an undeclared
// one is sound, as dependent on everything, but reduces nothing).
func TestFootprintsDeclared(t *testing.T) {
	for _, fs := range model.Filesystems {
		for _, p := range proposals.Names() {
			for _, m := range append([]string{""}, mutants.Names()...) {
				k, err := proposals.Kernel(p, fs)
				if err != nil {
					t.Fatal(err)
				}
				var ms []string
				if m != "" {
					ms = []string{m}
				}
				if err := mutants.Apply(k, ms); err != nil {
					t.Fatal(err)
				}
				k.Seal()
				for _, u := range model.Undeclared(k) {
					t.Errorf("%s on %s with mutants %v: %s is not declared", p, fs, ms, u)
				}
			}
		}
	}
}

// TestFootprintsHold checks the declarations against what the steps do
// (model.Deps.Verify: cover, commute, no enabling) in every explored state of
// every world.
func TestFootprintsHold(t *testing.T) {
	var st model.VerifyStats
	states := 0
	for _, w := range porWorlds(t) {
		d := model.NewDeps(w.k)
		failed := 0
		bfsStates(w, porStatesPerWorld, func(s *model.State) {
			states++
			if failed > 3 {
				return
			}
			for _, err := range d.Verify(s, &st) {
				t.Errorf("%s: %v", w.name, err)
				failed++
			}
		})
	}
	t.Logf("%d states, %d steps, %d independent pairs, %d blocked-independent pairs", states, st.Steps, st.Pairs, st.BlockedPairs)
}

// TestStateGraphAcyclic: no explored state reaches itself, which makes the
// ample-set reduction's cycle proviso (C3) hold trivially (sim/por.go). It
// searches every space depth-first, with the states on the current path
// marked.
func TestStateGraphAcyclic(t *testing.T) {
	total := 0
	for _, w := range porWorlds(t) {
		const (
			onPath = 1
			done   = 2
		)
		mark := map[uint64]uint8{w.init.Hash(): onPath}
		type frame struct {
			s    model.State
			next int
		}
		stack := []frame{{s: w.init}}
		var ev model.Event
		for len(stack) > 0 && len(mark) < 4*porStatesPerWorld {
			top := &stack[len(stack)-1]
			if top.next >= len(w.k.Threads) {
				mark[top.s.Hash()] = done
				stack = stack[:len(stack)-1]
				continue
			}
			th := top.next
			top.next++
			n := top.s
			if !w.k.Exec(&n, th, &ev) {
				continue
			}
			switch h := n.Hash(); mark[h] {
			case onPath:
				t.Errorf("%s: a cycle: thread %s at %s returns to a state on its own path", w.name, w.k.ThreadName(th), ev.Fn)
				stack = nil
			case 0:
				mark[h] = onPath
				stack = append(stack, frame{s: n})
			}
		}
		total += len(mark)
	}
	t.Logf("%d states", total)
}

// TestPORWorkersSameResult: with partial-order reduction the parallel BFS
// gives the same states, transitions, witnesses and traces for any number of
// workers (Ample is a function of the state), and so does Reshorten.
func TestPORWorkersSameResult(t *testing.T) {
	worlds := allWorlds(t)
	for _, p := range []string{"flip-dontcache", "flip-xarray-check"} {
		worlds = append(worlds, buildScn(t, "perf-n2", perfScenario(2, p), ""))
	}
	for _, w := range worlds {
		por := func() sim.Reduction { return sim.NewPOR(w.k, model.Observe(model.RXADrop, model.RPTE)) }
		one := sim.Explore(w.k, &w.init, allChecks(t), sim.Options{Workers: 1, Reduce: por()})
		short1, _ := sim.Reshorten(w.k, &w.init, func() []sim.Check { return allChecks(t) }, sim.Options{Workers: 1}, one)
		for _, n := range []int{2, 3} {
			got := sim.Explore(w.k, &w.init, allChecks(t), sim.Options{Workers: n, Reduce: por()})
			if got.States != one.States || got.Transitions != one.Transitions || got.Terminal != one.Terminal ||
				got.Complete != one.Complete || !reflect.DeepEqual(traces(got), traces(one)) {
				t.Errorf("%s: workers=%d differs from workers=1 (%d/%d states)", w.name, n, got.States, one.States)
			}
			short, _ := sim.Reshorten(w.k, &w.init, func() []sim.Check { return allChecks(t) }, sim.Options{Workers: n}, got)
			if !reflect.DeepEqual(traces(short), traces(short1)) {
				t.Errorf("%s: workers=%d re-shortens differently", w.name, n)
			}
		}
	}
}

// TestPORDFS: depth-first search with the reduction finds the same checks and
// classes violated, and the same terminal states, as breadth-first search
// without it (the reduction needs no cycle proviso in either order: the state
// graph is acyclic).
func TestPORDFS(t *testing.T) {
	checks := func() []sim.Check {
		// (Not lock-order: its classes name cycles as the search order closes them.)
		return []sim.Check{property(t, "aops-consistent"), property(t, "no-deadlock"), property(t, "no-stale-pte"),
			property(t, "read-your-writes")}
	}
	vis := model.Observe(model.RXADrop, model.RPTE, model.RVMA, model.RMap, model.RBUsed, model.RXA, model.RData)
	for _, w := range allWorlds(t) {
		full := sim.Explore(w.k, &w.init, checks(), sim.Options{})
		dfs := sim.Explore(w.k, &w.init, checks(), sim.Options{DFS: true, Reduce: sim.NewPOR(w.k, vis)})
		if !reflect.DeepEqual(classSet(full), classSet(dfs)) || full.Terminal != dfs.Terminal {
			t.Errorf("%s: DFS with the reduction finds %v (%d terminal states), BFS without %v (%d)", w.name,
				classSet(dfs), dfs.Terminal, classSet(full), full.Terminal)
		}
	}
}

// TestReshortenStopFirst: a reduced search stopped at its first violation
// finds a longer one than the unreduced search (on the racy perf workload);
// Reshorten with StopFirst gives the unreduced search's shortest.
func TestReshortenStopFirst(t *testing.T) {
	w := buildScn(t, "perf-n3", perfScenario(3, "flip-xarray-check"), "")
	checks := func() []sim.Check { return propertyChecks() }
	shortest := func(r *sim.Result) int {
		n := -1
		for _, v := range r.Violations {
			if n < 0 || len(v.Trace) < n {
				n = len(v.Trace)
			}
		}
		return n
	}
	full := sim.Explore(w.k, &w.init, checks(), sim.Options{StopFirst: true})
	red := sim.Explore(w.k, &w.init, checks(), sim.Options{StopFirst: true, Reduce: sim.NewPOR(w.k, model.Observe(model.RXADrop))})
	if shortest(red) <= shortest(full) {
		t.Fatalf("the reduced witness (%d steps) is not longer than the shortest (%d): this test shows nothing", shortest(red), shortest(full))
	}
	short, rs := sim.Reshorten(w.k, &w.init, checks, sim.Options{StopFirst: true}, red)
	if shortest(short) != shortest(full) || !rs.Complete {
		t.Fatalf("re-shortened to %d steps (complete %v), the shortest has %d", shortest(short), rs.Complete, shortest(full))
	}
	for _, v := range short.Violations {
		if _, err := sim.Replay(w.k, &w.init, v.Trace); err != nil {
			t.Fatal(err)
		}
	}
}
