package sim_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"unsafe"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/sim"
)

// The naive search: breadth-first over whole states, deduplicated by comparing
// states with == (a map keyed by model.State), never by State.Hash. Its graph is
// the reference the engine is compared with.

type edge struct {
	thread int
	to     int
	ev     model.Event
}

type graph struct {
	states      []model.State
	index       map[model.State]int
	dist        []int    // shortest number of steps from the initial state
	edges       [][]edge // successful steps from each state, threads in index order
	blocked     [][]model.Event
	terminal    []bool // every scenario thread done, nothing can move
	stuck       []bool // some thread running, all running threads blocked
	transitions int
}

func enumerate(k *model.Kernel, init *model.State) *graph {
	g := &graph{index: map[model.State]int{}}
	add := func(s *model.State, d int) int {
		i := len(g.states)
		g.states = append(g.states, *s)
		g.index[*s] = i
		g.dist = append(g.dist, d)
		return i
	}
	add(init, 0)
	// The queue is g.states itself: states are appended in BFS order, so dist is
	// the true shortest distance.
	for i := 0; i < len(g.states); i++ {
		s := g.states[i]
		var out []edge
		var blocked []model.Event
		running := 0
		for t := range k.Threads {
			if !k.Running(&s, t) {
				continue
			}
			daemon := k.Threads[t].Daemon
			if !daemon {
				running++
			}
			next := s
			var ev model.Event
			if !k.Exec(&next, t, &ev) {
				if !daemon {
					blocked = append(blocked, ev)
				}
				continue
			}
			j, ok := g.index[next]
			if !ok {
				j = add(&next, g.dist[i]+1)
			}
			out = append(out, edge{thread: t, to: j, ev: ev})
		}
		g.transitions += len(out)
		g.edges = append(g.edges, out)
		g.blocked = append(g.blocked, blocked)
		// Terminal: every scenario thread finished and nothing (not even the
		// journal daemon) can move; stuck: a scenario thread is left and nothing
		// can move.
		g.terminal = append(g.terminal, running == 0 && len(out) == 0)
		g.stuck = append(g.stuck, running > 0 && len(out) == 0)
	}
	return g
}

func (g *graph) count(f []bool) int {
	n := 0
	for _, b := range f {
		if b {
			n++
		}
	}
	return n
}

func (g *graph) maxDist() int {
	m := 0
	for _, d := range g.dist {
		m = max(m, d)
	}
	return m
}

// naiveWitness is the shortest witness length of one (check, class) over the
// whole graph, and every message a witness of that length gives.
type naiveWitness struct {
	steps int
	msgs  map[string]bool
}

// naiveViolations evaluates the checks on every state, transition and stuck state
// of g.
func naiveViolations(k *model.Kernel, g *graph, checks []sim.Check) map[witnessKey]*naiveWitness {
	out := map[witnessKey]*naiveWitness{}
	note := func(check string, f sim.Finding, steps int) {
		if !f.Failed {
			return
		}
		class, msg := f.Class, f.Msg
		key := witnessKey{check, class}
		w := out[key]
		switch {
		case w == nil || steps < w.steps:
			out[key] = &naiveWitness{steps: steps, msgs: map[string]bool{msg: true}}
		case steps == w.steps:
			w.msgs[msg] = true
		}
	}
	for i := range g.states {
		s := &g.states[i]
		for _, c := range checks {
			if c.State != nil {
				note(c.Name, c.JudgeState(k, s), g.dist[i])
			}
			if c.Step != nil {
				for _, e := range g.edges[i] {
					ev := e.ev
					note(c.Name, c.JudgeStep(k, s, &g.states[e.to], &ev), g.dist[i]+1)
				}
			}
			if c.Stuck != nil && g.stuck[i] {
				evs := append([]model.Event(nil), g.blocked[i]...)
				note(c.Name, c.JudgeStuck(k, s, evs), g.dist[i])
			}
		}
	}
	return out
}

// TestBruteForceStates compares the engine's counts with the naive search.
func TestBruteForceStates(t *testing.T) {
	for _, w := range allWorlds(t) {
		g := enumerate(w.k, &w.init)
		if len(g.states) < 4 {
			t.Errorf("%s: only %d states; the corpus should exercise the engine", w.name, len(g.states))
		}
		for _, opt := range []sim.Options{{}, {DFS: true}} {
			r := sim.Explore(w.k, &w.init, nil, opt)
			if !r.Complete || r.Limit != "" {
				t.Errorf("%s %s: Complete=%v Limit=%q", w.name, r.Search, r.Complete, r.Limit)
			}
			if r.States != len(g.states) || r.Transitions != g.transitions || r.Terminal != g.count(g.terminal) {
				t.Errorf("%s %s: states/transitions/terminal %d/%d/%d, brute force %d/%d/%d", w.name, r.Search,
					r.States, r.Transitions, r.Terminal, len(g.states), g.transitions, g.count(g.terminal))
			}
			if !opt.DFS && r.Depth != g.maxDist() {
				t.Errorf("%s bfs: Depth %d, the deepest state is %d steps away", w.name, r.Depth, g.maxDist())
			}
		}
	}
}

// TestBruteForceViolations compares the checks' verdicts and the BFS shortest
// witnesses with the naive search evaluating the same check functions.
func TestBruteForceViolations(t *testing.T) {
	for _, w := range allWorlds(t) {
		g := enumerate(w.k, &w.init)
		checks := allChecks(t)
		naive := naiveViolations(w.k, g, checks)
		// The toy lock kernels must agree with what we know of them.
		switch w.name {
		case "toy-abba", "toy-three-cycle", "toy-leak":
			if naive[witnessKey{"no-deadlock", "deadlock"}] == nil {
				t.Errorf("%s: the naive search finds no deadlock", w.name)
			}
		case "toy-same-order":
			if naive[witnessKey{"no-deadlock", "deadlock"}] != nil {
				t.Errorf("%s: the naive search finds a deadlock", w.name)
			}
		}
		for _, opt := range []sim.Options{{}, {DFS: true}} {
			r := sim.Explore(w.k, &w.init, checks, opt)
			got := witnesses(r)
			if len(got) != len(r.Violations) {
				t.Errorf("%s %s: %d violations for %d distinct (check, class)", w.name, r.Search, len(r.Violations), len(got))
			}
			for key, nw := range naive {
				v, ok := got[key]
				if !ok {
					t.Errorf("%s %s: %s/%s is violated (in %d steps, e.g. %q) but the engine does not report it",
						w.name, r.Search, key.check, key.class, nw.steps, anyMsg(nw.msgs))
					continue
				}
				if len(v.Trace) < nw.steps {
					t.Errorf("%s %s: %s/%s witness of %d steps, but the shortest is %d", w.name, r.Search, key.check, key.class, len(v.Trace), nw.steps)
				}
				if opt.DFS {
					continue
				}
				if len(v.Trace) != nw.steps {
					t.Errorf("%s bfs: %s/%s witness of %d steps %v, the shortest has %d", w.name, key.check, key.class, len(v.Trace), v.Trace, nw.steps)
				} else if !nw.msgs[v.Msg] {
					t.Errorf("%s bfs: %s/%s message %q is none of those of the shortest witnesses %v", w.name, key.check, key.class, v.Msg, nw.msgs)
				}
			}
			for key, v := range got {
				if naive[key] == nil {
					t.Errorf("%s %s: engine reports %s/%s (%q) which the naive search never sees", w.name, r.Search, key.check, key.class, v.Msg)
				}
			}
			for _, c := range checks {
				if r.Violated(c.Name) != naiveViolated(naive, c.Name) {
					t.Errorf("%s %s: %s violated: engine %v, naive %v", w.name, r.Search, c.Name, r.Violated(c.Name), naiveViolated(naive, c.Name))
				}
			}
		}
	}
}

func anyMsg(m map[string]bool) string {
	var l []string
	for s := range m {
		l = append(l, s)
	}
	sort.Strings(l)
	if len(l) == 0 {
		return ""
	}
	return l[0]
}

func naiveViolated(naive map[witnessKey]*naiveWitness, check string) bool {
	for key := range naive {
		if key.check == check {
			return true
		}
	}
	return false
}

// TestScenarioVerdicts pins the verdicts the seed-003 files expect, as the naive
// search sees them.
func TestScenarioVerdicts(t *testing.T) {
	want := map[string]bool{ // file -> aops-consistent violated
		"aops-swap.scn":             true,
		"flip-aops-refcount.scn":    true,
		"flip-dir-inherit.scn":      false,
		"flip-dontcache.scn":        false,
		"flip-live.scn":             true,
		"flip-locked.scn":           true,
		"flip-xarray-check.scn":     true,
		"reopen-flip-dontcache.scn": false,
		"reopen-flip-locked.scn":    true,
	}
	for _, f := range aopsSwapFiles(t) {
		w := loadScn(t, f)
		exp, ok := want[filepath.Base(f)]
		if !ok {
			continue
		}
		naive := naiveViolations(w.k, enumerate(w.k, &w.init), allChecks(t))
		if got := naiveViolated(naive, "aops-consistent"); got != exp {
			t.Errorf("%s: aops-consistent violated %v, the file expects %v", f, got, exp)
		}
		if naiveViolated(naive, "no-deadlock") {
			t.Errorf("%s: deadlock", f)
		}
	}
}

// ---- 3. step purity -----------------------------------------------------------------

func stateBytes(s *model.State) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(s)), unsafe.Sizeof(*s))
}

// TestStepPurity: on every reachable state, for every thread, a step that cannot
// run changes nothing, and a step is a function of the state.
func TestStepPurity(t *testing.T) {
	for _, w := range allWorlds(t) {
		k := w.k
		g := enumerate(k, &w.init)
		fails := 0
		fail := func(format string, args ...any) {
			if fails++; fails <= 5 {
				t.Errorf("%s: %s", w.name, fmt.Sprintf(format, args...))
			}
		}
		for i := range g.states {
			s := g.states[i]
			orig := append([]byte(nil), stateBytes(&s)...)
			for th := 0; th < len(k.Threads)+1; th++ { // one past the last thread too
				a, b := s, s
				var ea, eb model.Event
				oka := k.Exec(&a, th, &ea)
				okb := k.Exec(&b, th, &eb)
				if !bytes.Equal(stateBytes(&s), orig) {
					fail("Exec of thread %d changed the state it was not given", th)
				}
				if oka != okb || !bytes.Equal(stateBytes(&a), stateBytes(&b)) || ea != eb {
					fail("thread %d from state %d: two runs of the same step differ (%v/%v, %+v / %+v)", th, i, oka, okb, ea, eb)
				}
				if ea.Thread != th {
					fail("event of thread %d says thread %d", th, ea.Thread)
				}
				running := k.Running(&s, th)
				if !oka {
					if !bytes.Equal(stateBytes(&a), orig) {
						fail("thread %d at %q: a step that did not run changed the state:\n%s", th, ea.Fn, k.DescribeThreads(&s))
					}
					if ea.Blocked != running {
						fail("thread %d (running %v) could not move, Blocked=%v", th, running, ea.Blocked)
					}
					if ea.Returned {
						fail("thread %d could not move but Returned", th)
					}
					continue
				}
				if !running {
					fail("thread %d is not running but moved", th)
				}
				if ea.Blocked || ea.WaitOn != model.NoLock {
					fail("thread %d moved but its event says blocked: %+v", th, ea)
				}
				if a == s {
					fail("thread %d at %q: a step that ran changed nothing (a self-loop)", th, ea.Fn)
				}
				// Only this thread's position moves.
				for o := range a.Threads {
					if o != th && (a.Threads[o].PC != s.Threads[o].PC || a.Threads[o].Path != s.Threads[o].Path ||
						a.Threads[o].Step != s.Threads[o].Step || a.Threads[o].Status != s.Threads[o].Status ||
						a.Threads[o].R != s.Threads[o].R || a.Threads[o].Held != s.Threads[o].Held) {
						fail("a step of thread %d (%q) changed thread %d", th, ea.Fn, o)
					}
				}
				if _, known := g.index[a]; !known {
					fail("a step leads out of the enumerated graph")
				}
			}
			if err := k.CheckInvariants(&s); err != nil {
				fail("state %d (%d steps from the start): %v\n%s", i, g.dist[i], err, k.DescribeThreads(&s))
			}
		}
	}
}
