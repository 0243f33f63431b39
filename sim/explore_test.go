package sim_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// ---- the corpus: small kernels and initial states ----------------------------------

// world is a kernel and the initial state to explore it from.
type world struct {
	name string
	k    *model.Kernel
	init model.State
}

// buildScn parses and builds scenario text; proposal "" keeps the file's own.
func buildScn(t testing.TB, name, src, proposal string) world {
	t.Helper()
	scn, err := scenarios.Parse(name, []byte(src), scenarios.ParseOptions{})
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	b, err := scenarios.Build(scn, scenarios.Options{Proposal: proposal})
	if err != nil {
		t.Fatalf("build %s: %v", name, err)
	}
	if proposal != "" {
		name += "@" + proposal
	}
	return world{name: name, k: b.Kernel, init: b.Init}
}

func loadScn(t testing.TB, path string) world {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return buildScn(t, path, string(src), "")
}

// scnDir is where the scenario files are, seen from package sim.
const scnDir = "../testdata/scenarios"

// aopsSwapFiles are the seed-003 scenario files.
func aopsSwapFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(scnDir, "aops-swap", "*.scn"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files under %s/aops-swap: %v", scnDir, err)
	}
	sort.Strings(files)
	return append([]string{filepath.Join(scnDir, "aops-swap.scn")}, files...)
}

// Inline scenarios: two threads doing open/mmap/load/store on a 1- or 2-page file.

// daxTwoProcs: two processes fault the two pages of a DAX file (one hole, one
// written block) through shared mappings: DAX fault paths, entry locks, block
// allocation (under flip-dir-inherit the file is not DAX: page-cache paths).
const daxTwoProcs = `scenario dax-two-procs
proposal flip-live
file f pages=2 dax=on extents=hole,written
process p1 uid=0
process p2 uid=0
thread a p1
  open f rw as fd
  mmap fd 0-1 shared rw as m
  store m 0 A
  load m 1
thread b p2
  open f rw as fd
  mmap fd 0-1 shared rw as m
  load m 0
  store m 1 B
`

// pcOneProc: two threads of one process (one mmap_lock) on a page-cache file:
// mmap's write lock against a fault's read lock, page locks, ->page_mkwrite, and
// a flag flip after the munmap.
const pcOneProc = `scenario pc-one-proc
proposal flip-locked
file f pages=1 dax=off
process app uid=0
thread a app
  open f rw as fd
  mmap fd 0 shared rw as m
  store m 0 A
thread b app
  open f rw as fd
  mmap fd 0 shared rw as m
  load m 0
  munmap m
  setflag fd dax=on
`

// flipPrivate: a private mapping and a shared one race a live flag flip.
const flipPrivate = `scenario flip-private
proposal flip-live
file f pages=1 dax=off
process p1 uid=0
process p2 uid=0
thread a p1
  open f rw as fd
  mmap fd 0 private rw as m
  store m 0 A
  load m 0
thread b p2
  open f rw as fd
  mmap fd 0 shared rw as m
  load m 0
  setflag fd dax=on
`

// inlineWorlds are the inline scenarios under several proposals.
func inlineWorlds(t testing.TB) []world {
	return []world{
		buildScn(t, "dax-two-procs", daxTwoProcs, ""),
		buildScn(t, "dax-two-procs", daxTwoProcs, "flip-dir-inherit"),
		buildScn(t, "pc-one-proc", pcOneProc, ""),
		buildScn(t, "pc-one-proc", pcOneProc, "flip-aops-refcount"),
		buildScn(t, "flip-private", flipPrivate, ""),
		buildScn(t, "flip-private", flipPrivate, "flip-aops-refcount"),
		buildScn(t, "flip-private", flipPrivate, "flip-xarray-check"),
	}
}

// lockKernel builds a kernel with one thread per order: thread i runs one
// statement that takes the i_rwsems of the inodes listed in orders[i] for write
// (model.DownWrite), in that order, then releases them all and returns ok. The
// paths go in spare path slots (statx, evict, rename).
func lockKernel(orders ...[]int) *model.Kernel {
	slots := []struct {
		op   model.Op
		path model.PathID
	}{{model.OpStatx, model.PathStatx}, {model.OpEvict, model.PathEvict}, {model.OpRename, model.PathRename}}
	k := model.NewKernel(model.Ext4)
	k.Proposal = "toy-locks"
	k.Files = []string{"a", "b", "c", "d"}
	k.Procs = []string{"p"}
	k.Values = []string{"0"}
	k.Threads = nil
	for i, order := range orders {
		var steps []model.Step
		var names []string
		for _, ino := range order {
			l := model.LockIRwsem(ino)
			names = append(names, k.Files[ino])
			steps = append(steps, model.DownWrite("lock-"+k.Files[ino], "down_write(i_rwsem "+k.Files[ino]+")",
				func(*model.Ctx) model.LockID { return l })...)
		}
		held := append([]int(nil), order...)
		steps = append(steps, model.Step{Label: "unlock", Fn: "up_write all", Do: func(c *model.Ctx) model.Outcome {
			for j := len(held) - 1; j >= 0; j-- {
				c.UpWrite(model.LockIRwsem(held[j]))
			}
			return c.Return(model.ResOK)
		}})
		text := "lock " + strings.Join(names, ",")
		k.Paths[slots[i].path] = model.Path{Name: text, Steps: steps}
		k.Threads = append(k.Threads, model.ThreadInfo{Name: fmt.Sprintf("t%d", i), Proc: 0,
			Prog: []model.Stmt{{Op: slots[i].op, Inode: 0, File: -1, VMA: -1, Dir: -1, Text: text}}})
	}
	k.Seal()
	return k
}

// leakKernel is one thread with two statements that each take i_rwsem(a) for
// write and return without releasing it: the second waits forever on the first
// (a self-deadlock). Its state graph is a chain of 4 states, the last one stuck at
// depth 3.
func leakKernel() *model.Kernel {
	k := model.NewKernel(model.Ext4)
	k.Proposal = "toy-leak"
	k.Files = []string{"a"}
	k.Procs = []string{"p"}
	k.Values = []string{"0"}
	take := func(*model.Ctx) model.LockID { return model.LockIRwsem(0) }
	steps := append(model.DownWrite("lock", "down_write(i_rwsem a)", take),
		model.Step{Label: "return", Fn: "return holding it", Do: func(c *model.Ctx) model.Outcome { return c.Return(model.ResOK) }})
	k.Paths[model.PathStatx] = model.Path{Name: "leak", Steps: steps}
	st := model.Stmt{Op: model.OpStatx, Inode: 0, File: -1, VMA: -1, Dir: -1, Text: "lock a and keep it"}
	k.Threads = []model.ThreadInfo{{Name: "t0", Proc: 0, Prog: []model.Stmt{st, st}}}
	k.Seal()
	return k
}

func toyWorlds() []world {
	return []world{
		{name: "toy-abba", k: lockKernel([]int{0, 1}, []int{1, 0})},
		{name: "toy-same-order", k: lockKernel([]int{0, 1}, []int{0, 1})},
		{name: "toy-three-cycle", k: lockKernel([]int{0, 1}, []int{1, 2}, []int{2, 0})},
		{name: "toy-leak", k: leakKernel()},
	}
}

// allWorlds is the whole small corpus.
func allWorlds(t testing.TB) []world {
	var ws []world
	for _, f := range aopsSwapFiles(t) {
		ws = append(ws, loadScn(t, f))
	}
	ws = append(ws, inlineWorlds(t)...)
	return append(ws, toyWorlds()...)
}

// ---- checks ----------------------------------------------------------------------

func property(t testing.TB, name string) sim.Check {
	t.Helper()
	p, ok := checker.Lookup(name)
	if !ok || !p.Checkable() {
		t.Fatalf("property %s is not checkable", name)
	}
	return p.Check(checker.Config{})
}

// positionClass names where every thread is: statement, path and step.
func positionClass(k *model.Kernel, s *model.State) string {
	var b strings.Builder
	for t := range k.Threads {
		th := &s.Threads[t]
		if th.Status == model.ThreadDone {
			b.WriteString("done;")
			continue
		}
		fmt.Fprintf(&b, "%d.%d.%d;", th.PC, th.Path, th.Step)
	}
	return b.String()
}

// probeChecks are synthetic checks that fire all over the state graph, with many
// classes, so that the shortest witness of each class pins down the search order.
func probeChecks() []sim.Check {
	return []sim.Check{
		{
			Name: "probe-position",
			State: func(j *sim.Judge, k *model.Kernel, s *model.State) {
				j.Judged(1)
				if c := positionClass(k, s); j.Fail(c) {
					j.Explain("threads at " + c)
				}
			},
		},
		{
			Name: "probe-return",
			Step: func(j *sim.Judge, k *model.Kernel, before, after *model.State, ev *model.Event) {
				if !ev.Returned {
					return
				}
				j.Judged(1)
				if c := fmt.Sprintf("%s:%d=%s", k.ThreadName(ev.Thread), ev.PC+1, k.ResultName(ev.Result)); j.Fail(c) {
					j.Explain(c + " after " + positionClass(k, before))
				}
			},
		},
		{
			Name: "probe-stuck",
			Stuck: func(j *sim.Judge, k *model.Kernel, s *model.State, blocked []model.Event) {
				var c []string
				for _, ev := range blocked {
					c = append(c, fmt.Sprintf("%s@%s", k.ThreadName(ev.Thread), ev.Fn))
				}
				j.Judged(1)
				if cl := strings.Join(c, " "); j.Fail(cl) {
					j.Explain(cl + " at " + positionClass(k, s))
				}
			},
		},
	}
}

// allChecks is the checker's properties plus the probes.
func allChecks(t testing.TB) []sim.Check {
	return append([]sim.Check{property(t, "aops-consistent"), property(t, "no-deadlock")}, probeChecks()...)
}

// ---- results -----------------------------------------------------------------------

type witnessKey struct{ check, class string }

func witnesses(r *sim.Result) map[witnessKey]sim.Violation {
	m := map[witnessKey]sim.Violation{}
	for _, v := range r.Violations {
		m[witnessKey{v.Check, v.Class}] = v
	}
	return m
}

func classSet(r *sim.Result) []string {
	var out []string
	for _, v := range r.Violations {
		out = append(out, v.Check+"/"+v.Class)
	}
	sort.Strings(out)
	return out
}

// blockedEvents runs every running thread of s on a copy; ok is false if one can
// move. It returns the blocked events of the running threads.
func blockedEvents(k *model.Kernel, s *model.State) ([]model.Event, bool) {
	var evs []model.Event
	running := 0
	for t := range k.Threads {
		if !k.Running(s, t) {
			continue
		}
		running++
		next := *s
		var ev model.Event
		if k.Exec(&next, t, &ev) {
			return nil, false
		}
		evs = append(evs, ev)
	}
	return evs, running > 0
}

// ---- 1. the toy lock kernels -----------------------------------------------------

func TestABBADeadlockFound(t *testing.T) {
	k := lockKernel([]int{0, 1}, []int{1, 0})
	var init model.State
	nd := property(t, "no-deadlock")
	var seen []string
	// One worker (the default): mine is called on one goroutine.
	mine := sim.Check{Name: "stuck", Stuck: func(j *sim.Judge, k *model.Kernel, s *model.State, blocked []model.Event) {
		var waits []string
		for _, ev := range blocked {
			if !ev.Blocked {
				t.Errorf("Stuck got an event that is not blocked: %+v", ev)
			}
			waits = append(waits, fmt.Sprintf("%s waits %s holding %s", k.ThreadName(ev.Thread), k.LockName(ev.WaitOn), k.DescribeHeld(s, ev.Thread)))
		}
		msg := strings.Join(waits, "; ")
		seen = append(seen, msg)
		if j.Fail("cycle") {
			j.Explain(msg)
		}
	}}
	checks := []sim.Check{nd, mine}
	bfs := sim.Explore(k, &init, checks, sim.Options{})
	dfs := sim.Explore(k, &init, checks, sim.Options{DFS: true})
	for _, r := range []*sim.Result{bfs, dfs} {
		if !r.Complete {
			t.Fatalf("%s: incomplete: %s", r.Search, r.Limit)
		}
		for _, name := range []string{"no-deadlock", "stuck"} {
			v, ok := r.First(name)
			if !ok {
				t.Fatalf("%s: no %s violation in the ABBA kernel; violations %v", r.Search, name, classSet(r))
			}
			steps, err := sim.Replay(k, &init, v.Trace)
			if err != nil {
				t.Fatalf("%s: replay of %v: %v", r.Search, v.Trace, err)
			}
			end := init
			if len(steps) > 0 {
				end = steps[len(steps)-1].After
			}
			evs, stuck := blockedEvents(k, &end)
			if !stuck {
				t.Fatalf("%s: %s trace %v ends in a state where a thread can move:\n%s", r.Search, name, v.Trace, k.DescribeThreads(&end))
			}
			if len(evs) != 2 {
				t.Errorf("%s: %d threads blocked at the end of %v, want both", r.Search, len(evs), v.Trace)
			}
			for _, ev := range evs {
				if !ev.Blocked || ev.WaitOn == model.NoLock {
					t.Errorf("%s: thread %d is not blocked on a lock: %+v", r.Search, ev.Thread, ev)
				}
				if end.Threads[ev.Thread].Held == 0 {
					t.Errorf("%s: thread %d waits holding nothing in an ABBA deadlock", r.Search, ev.Thread)
				}
			}
			if f := nd.JudgeStuck(k, &end, evs); !f.Failed || (name == "no-deadlock" && f.Msg != v.Msg) {
				t.Errorf("%s: no-deadlock at the replayed end gives (%q, %q), engine reported %q", r.Search, f.Class, f.Msg, v.Msg)
			}
		}
	}
	vb, _ := bfs.First("no-deadlock")
	vd, _ := dfs.First("no-deadlock")
	if len(vb.Trace) > len(vd.Trace) {
		t.Errorf("BFS witness %v is longer than DFS witness %v", vb.Trace, vd.Trace)
	}
	// The shortest ABBA: each thread takes its first lock, then registers as a
	// waiting writer of the other's: 4 steps.
	if len(vb.Trace) != 4 {
		t.Errorf("BFS deadlock witness %v has %d steps, want 4", vb.Trace, len(vb.Trace))
	}
	if bfs.Terminal != 1 || dfs.Terminal != 1 || bfs.States != dfs.States || bfs.Transitions != dfs.Transitions {
		t.Errorf("bfs %+v / dfs %+v: terminal or counts differ", bfs, dfs)
	}
	if len(seen) == 0 {
		t.Error("the Stuck function was never called")
	}
}

func TestSameOrderNoDeadlock(t *testing.T) {
	for _, orders := range [][][]int{
		{{0, 1}, {0, 1}},
		{{0, 1}, {1}},
		{{0, 1}, {1, 2}, {0, 2}},
	} {
		k := lockKernel(orders...)
		var init model.State
		for _, dfs := range []bool{false, true} {
			r := sim.Explore(k, &init, []sim.Check{property(t, "no-deadlock")}, sim.Options{DFS: dfs})
			if !r.Complete || r.Limit != "" {
				t.Errorf("%v %s: Complete=%v Limit=%q", orders, r.Search, r.Complete, r.Limit)
			}
			if r.Violated("no-deadlock") {
				v, _ := r.First("no-deadlock")
				t.Errorf("%v %s: deadlock with locks taken in order: %s (trace %v)", orders, r.Search, v.Msg, v.Trace)
			}
			if r.Terminal != 1 {
				t.Errorf("%v %s: %d terminal states, want 1 (every lock released, every thread done)", orders, r.Search, r.Terminal)
			}
		}
	}
}

// ---- 4. limits --------------------------------------------------------------------

func TestMaxStates(t *testing.T) {
	ws := []world{
		loadScn(t, filepath.Join(scnDir, "aops-swap.scn")),
		{name: "toy-abba", k: lockKernel([]int{0, 1}, []int{1, 0})},
		buildScn(t, "pc-one-proc", pcOneProc, ""),
	}
	for _, w := range ws {
		checks := allChecks(t)
		for _, dfs := range []bool{false, true} {
			full := sim.Explore(w.k, &w.init, checks, sim.Options{DFS: dfs})
			if !full.Complete {
				t.Fatalf("%s: unlimited run incomplete: %s", w.name, full.Limit)
			}
			fullW := witnesses(full)
			n := full.States
			for m := 1; m <= n+2; m++ {
				r := sim.Explore(w.k, &w.init, checks, sim.Options{DFS: dfs, MaxStates: m})
				if m <= n {
					if r.Complete {
						t.Fatalf("%s %s MaxStates=%d of %d: Complete", w.name, r.Search, m, n)
					}
					if !strings.Contains(r.Limit, "max-states") {
						t.Fatalf("%s %s MaxStates=%d: Limit %q does not mention max-states", w.name, r.Search, m, r.Limit)
					}
					// The limit is checked after each expansion (the root's
					// included), which adds at most one state per thread.
					if r.States < m || r.States > max(m-1, 1)+len(w.k.Threads) {
						t.Errorf("%s %s MaxStates=%d: %d states", w.name, r.Search, m, r.States)
					}
				} else if !r.Complete || r.States != n || r.Transitions != full.Transitions || r.Limit != "" {
					t.Fatalf("%s %s MaxStates=%d > %d states: Complete=%v States=%d Limit=%q", w.name, r.Search, m, n, r.Complete, r.States, r.Limit)
				}
				// Whatever a limited run reports is a real witness, and BFS ones
				// are as short as the full run's.
				for key, v := range witnesses(r) {
					fv, ok := fullW[key]
					if !ok {
						t.Errorf("%s %s MaxStates=%d: witness %v not in the full run", w.name, r.Search, m, key)
						continue
					}
					if !dfs && len(v.Trace) != len(fv.Trace) {
						t.Errorf("%s bfs MaxStates=%d: %v witness of %d steps, full run %d", w.name, m, key, len(v.Trace), len(fv.Trace))
					}
					if _, err := sim.Replay(w.k, &w.init, v.Trace); err != nil {
						t.Errorf("%s %s MaxStates=%d: %v: %v", w.name, r.Search, m, key, err)
					}
				}
			}
		}
	}
}

// maxDist is the BFS depth of the state graph: the length of the longest
// shortest path from the initial state.
func maxDist(w world) int {
	r := sim.Explore(w.k, &w.init, nil, sim.Options{})
	return r.Depth
}

// TestMaxDepthCuts checks the depth limit where the cut level still has states
// that can move: the run is incomplete, says max-depth, and what it reports is real.
func TestMaxDepthCuts(t *testing.T) {
	for _, w := range []world{
		loadScn(t, filepath.Join(scnDir, "aops-swap.scn")),
		{name: "toy-abba", k: lockKernel([]int{0, 1}, []int{1, 0})},
		buildScn(t, "flip-private", flipPrivate, ""),
	} {
		checks := allChecks(t)
		full := sim.Explore(w.k, &w.init, checks, sim.Options{})
		fullW := witnesses(full)
		d := full.Depth
		for _, dfs := range []bool{false, true} {
			for md := 1; md < d; md++ {
				r := sim.Explore(w.k, &w.init, checks, sim.Options{DFS: dfs, MaxDepth: md})
				if r.Complete {
					t.Fatalf("%s %s MaxDepth=%d of %d: Complete", w.name, r.Search, md, d)
				}
				if !strings.Contains(r.Limit, "max-depth") {
					t.Fatalf("%s %s MaxDepth=%d: Limit %q does not mention max-depth", w.name, r.Search, md, r.Limit)
				}
				if r.States >= full.States {
					t.Errorf("%s %s MaxDepth=%d: %d states, as many as the full run", w.name, r.Search, md, r.States)
				}
				for key, v := range witnesses(r) {
					fv, ok := fullW[key]
					switch {
					case !ok:
						t.Errorf("%s %s MaxDepth=%d: witness %v not in the full run", w.name, r.Search, md, key)
					case len(v.Trace) > md:
						t.Errorf("%s %s MaxDepth=%d: witness %v of %d steps", w.name, r.Search, md, key, len(v.Trace))
					case !dfs && len(v.Trace) != len(fv.Trace):
						t.Errorf("%s bfs MaxDepth=%d: witness %v of %d steps, full run %d", w.name, md, key, len(v.Trace), len(fv.Trace))
					}
				}
				if !dfs {
					if r.Depth != md-1 {
						t.Errorf("%s bfs MaxDepth=%d: Depth %d, want %d", w.name, md, r.Depth, md-1)
					}
					// BFS reaches exactly the states within md steps.
					if want := statesWithin(w, md); r.States != want {
						t.Errorf("%s bfs MaxDepth=%d: %d states, %d are within %d steps", w.name, md, r.States, want, md)
					}
				}
			}
			for _, md := range []int{d + 1, d + 5} {
				r := sim.Explore(w.k, &w.init, checks, sim.Options{DFS: dfs, MaxDepth: md})
				if !r.Complete || r.States != full.States || r.Terminal != full.Terminal ||
					!reflect.DeepEqual(classSet(r), classSet(full)) {
					t.Errorf("%s %s MaxDepth=%d > depth %d: Complete=%v States=%d/%d Terminal=%d/%d classes differ=%v",
						w.name, r.Search, md, d, r.Complete, r.States, full.States, r.Terminal, full.Terminal,
						!reflect.DeepEqual(classSet(r), classSet(full)))
				}
			}
		}
	}
}

// statesWithin counts the states at most n steps from the start, by the naive
// search of bruteforce_test.go.
func statesWithin(w world, n int) int {
	g := enumerate(w.k, &w.init)
	c := 0
	for _, d := range g.dist {
		if d <= n {
			c++
		}
	}
	return c
}

// TestMaxDepthCompleteMeansExhaustive: a run that says Complete under a depth limit
// must have found everything the unlimited run finds.
func TestMaxDepthCompleteMeansExhaustive(t *testing.T) {
	// Minimal reproduction: one thread takes i_rwsem(a) and keeps it, then asks
	// for it again. States: s0 -take-> s1 -return-> s2 -register waiter-> s3,
	// and s3 is stuck (depth 3). With MaxDepth 3 the engine stops at level 3,
	// sees that no state there can move, and declares the search complete,
	// without running the Stuck checks on s3: no-deadlock "passes".
	k := leakKernel()
	var init model.State
	nd := []sim.Check{property(t, "no-deadlock")}
	full := sim.Explore(k, &init, nd, sim.Options{})
	if !full.Complete || !full.Violated("no-deadlock") || full.Depth != 3 {
		t.Fatalf("unlimited: Complete=%v deadlock=%v Depth=%d", full.Complete, full.Violated("no-deadlock"), full.Depth)
	}
	for _, dfs := range []bool{false, true} {
		r := sim.Explore(k, &init, nd, sim.Options{DFS: dfs, MaxDepth: 3})
		if r.Complete && !r.Violated("no-deadlock") {
			t.Errorf("%s MaxDepth=3: Complete with no deadlock; the unlimited run finds %q", r.Search, full.Violations[0].Msg)
		}
	}
	// And in general, over the corpus and every depth.
	for _, w := range allWorlds(t) {
		checks := allChecks(t)
		full := sim.Explore(w.k, &w.init, checks, sim.Options{})
		for _, dfs := range []bool{false, true} {
			for md := 1; md <= full.Depth+1; md++ {
				r := sim.Explore(w.k, &w.init, checks, sim.Options{DFS: dfs, MaxDepth: md})
				if r.Complete && (r.Terminal != full.Terminal || !reflect.DeepEqual(classSet(r), classSet(full))) {
					t.Errorf("%s %s MaxDepth=%d: Complete, but Terminal %d (unlimited %d), witnesses missing %v", w.name,
						r.Search, md, r.Terminal, full.Terminal, missing(classSet(full), classSet(r)))
				}
			}
		}
	}
}

// missing lists the elements of want that are not in got.
func missing(want, got []string) []string {
	have := map[string]bool{}
	for _, g := range got {
		have[g] = true
	}
	var out []string
	for _, w := range want {
		if !have[w] {
			out = append(out, w)
		}
	}
	return out
}

func TestStopWhenAllViolated(t *testing.T) {
	w := loadScn(t, filepath.Join(scnDir, "aops-swap.scn"))
	ac := property(t, "aops-consistent")
	full := sim.Explore(w.k, &w.init, []sim.Check{ac}, sim.Options{})
	for _, dfs := range []bool{false, true} {
		r := sim.Explore(w.k, &w.init, []sim.Check{ac}, sim.Options{DFS: dfs, StopWhenAllViolated: true})
		if !r.Violated("aops-consistent") || r.Complete || r.Limit == "" {
			t.Errorf("%s: Violated=%v Complete=%v Limit=%q", r.Search, r.Violated("aops-consistent"), r.Complete, r.Limit)
		}
		if r.States >= full.States {
			t.Errorf("%s: stopping at the first witness visited %d states, the full run %d", r.Search, r.States, full.States)
		}
		if !dfs {
			v, _ := r.First("aops-consistent")
			fv, _ := full.First("aops-consistent")
			if len(v.Trace) != len(fv.Trace) {
				t.Errorf("bfs: early stop witness has %d steps, full run's shortest %d", len(v.Trace), len(fv.Trace))
			}
		}
	}
	// A check that never fires: the run goes to the end and is complete.
	nd := property(t, "no-deadlock")
	r := sim.Explore(w.k, &w.init, []sim.Check{ac, nd}, sim.Options{StopWhenAllViolated: true})
	if !r.Complete || r.States != full.States {
		t.Errorf("with a check that holds: Complete=%v States=%d/%d Limit=%q", r.Complete, r.States, full.States, r.Limit)
	}
}

// ---- DFS and BFS agree; determinism -------------------------------------------------

func TestDFSAndBFSAgree(t *testing.T) {
	for _, w := range allWorlds(t) {
		checks := allChecks(t)
		b := sim.Explore(w.k, &w.init, checks, sim.Options{})
		d := sim.Explore(w.k, &w.init, checks, sim.Options{DFS: true})
		if b.Search != "bfs" || d.Search != "dfs" {
			t.Errorf("%s: Search %q / %q", w.name, b.Search, d.Search)
		}
		if !b.Complete || !d.Complete || b.Limit != "" || d.Limit != "" {
			t.Errorf("%s: Complete %v/%v Limit %q/%q", w.name, b.Complete, d.Complete, b.Limit, d.Limit)
		}
		if b.States != d.States || b.Transitions != d.Transitions || b.Terminal != d.Terminal {
			t.Errorf("%s: bfs states/transitions/terminal %d/%d/%d, dfs %d/%d/%d", w.name,
				b.States, b.Transitions, b.Terminal, d.States, d.Transitions, d.Terminal)
		}
		if !reflect.DeepEqual(classSet(b), classSet(d)) {
			t.Errorf("%s: violated classes differ:\nbfs %v\ndfs %v", w.name, classSet(b), classSet(d))
		}
		dw := witnesses(d)
		for key, v := range witnesses(b) {
			if dv, ok := dw[key]; ok && len(v.Trace) > len(dv.Trace) {
				t.Errorf("%s: %v: BFS witness %d steps, DFS %d", w.name, key, len(v.Trace), len(dv.Trace))
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	type summary struct {
		States, Transitions, Depth, Terminal int
		Complete                             bool
		Limit, Search                        string
		Violations                           []sim.Violation
	}
	sum := func(r *sim.Result) summary {
		s := summary{r.States, r.Transitions, r.Depth, r.Terminal, r.Complete, r.Limit, r.Search, nil}
		for _, v := range r.Violations {
			v.At = 0
			s.Violations = append(s.Violations, v)
		}
		return s
	}
	for _, w := range allWorlds(t) {
		for _, opt := range []sim.Options{{}, {DFS: true}, {MaxStates: 50}, {DFS: true, MaxDepth: 6}} {
			a := sum(sim.Explore(w.k, &w.init, allChecks(t), opt))
			b := sum(sim.Explore(w.k, &w.init, allChecks(t), opt))
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s %+v: two runs differ:\n%+v\n%+v", w.name, opt, a, b)
			}
		}
	}
}

func TestResultFirstAndViolated(t *testing.T) {
	r := &sim.Result{Violations: []sim.Violation{
		{Check: "x", Class: "a", Trace: []int{0, 1, 0}},
		{Check: "y", Class: "a", Trace: []int{0}},
		{Check: "x", Class: "b", Trace: []int{1}},
		{Check: "x", Class: "c", Trace: []int{1, 1}},
	}}
	if v, ok := r.First("x"); !ok || v.Class != "b" {
		t.Errorf("First(x) = %+v, %v; want class b", v, ok)
	}
	if _, ok := r.First("z"); ok || r.Violated("z") || !r.Violated("y") {
		t.Error("Violated/First of a check without witness")
	}
}

// ---- 5. replay ---------------------------------------------------------------------

// reproduces reports whether one of the check's functions gives class and msg at
// the end of the replayed trace: Step on the last step, State on the final state,
// Stuck on it if every running thread is blocked there.
func reproduces(k *model.Kernel, init *model.State, c sim.Check, steps []sim.Step, class, msg string) (string, bool) {
	end := *init
	if len(steps) > 0 {
		end = steps[len(steps)-1].After
	}
	if c.Step != nil && len(steps) > 0 {
		last := steps[len(steps)-1]
		ev := last.Event
		if f := c.JudgeStep(k, &last.Before, &last.After, &ev); f.Failed && f.Class == class && f.Msg == msg {
			return "step", true
		}
	}
	if c.State != nil {
		if f := c.JudgeState(k, &end); f.Failed && f.Class == class && f.Msg == msg {
			return "state", true
		}
	}
	if c.Stuck != nil {
		if evs, stuck := blockedEvents(k, &end); stuck {
			if f := c.JudgeStuck(k, &end, evs); f.Failed && f.Class == class && f.Msg == msg {
				return "stuck", true
			}
		}
	}
	return "", false
}

func TestReplayWitnesses(t *testing.T) {
	total := 0
	for _, w := range allWorlds(t) {
		checks := allChecks(t)
		byName := map[string]sim.Check{}
		for _, c := range checks {
			byName[c.Name] = c
		}
		for _, opt := range []sim.Options{{}, {DFS: true}} {
			r := sim.Explore(w.k, &w.init, checks, opt)
			for _, v := range r.Violations {
				total++
				steps, err := sim.Replay(w.k, &w.init, v.Trace)
				if err != nil {
					t.Errorf("%s %s %s/%s: replay %v: %v", w.name, r.Search, v.Check, v.Class, v.Trace, err)
					continue
				}
				if len(steps) != len(v.Trace) {
					t.Errorf("%s: replay gave %d steps for a trace of %d", w.name, len(steps), len(v.Trace))
				}
				for i, st := range steps {
					if st.Event.Thread != v.Trace[i] || st.Event.Blocked {
						t.Errorf("%s: replay step %d: event %+v for thread %d", w.name, i, st.Event, v.Trace[i])
					}
					if i > 0 && st.Before != steps[i-1].After {
						t.Errorf("%s: replay step %d does not start where step %d ended", w.name, i, i-1)
					}
				}
				how, ok := reproduces(w.k, &w.init, byName[v.Check], steps, v.Class, v.Msg)
				if !ok {
					t.Errorf("%s %s: %s/%s (%q) is not reproduced at the end of its trace %v", w.name, r.Search, v.Check, v.Class, v.Msg, v.Trace)
				}
				if v.Check == "probe-return" && how != "step" {
					t.Errorf("%s: step-check witness reproduced by %q", w.name, how)
				}
			}
		}
	}
	if total < 50 {
		t.Errorf("only %d witnesses replayed: the corpus does not exercise the checks", total)
	}
}

func TestReplayRejectsBadTraces(t *testing.T) {
	k := lockKernel([]int{0, 1}, []int{1, 0})
	var init model.State
	if _, err := sim.Replay(k, &init, []int{2}); err == nil {
		t.Error("Replay accepted a thread that does not exist")
	}
	if _, err := sim.Replay(k, &init, []int{-1}); err == nil {
		t.Error("Replay accepted thread -1")
	}
	// t0 takes a, t1 takes b, both register as waiters: now neither can move.
	steps, err := sim.Replay(k, &init, []int{0, 1, 0, 1})
	if err != nil || len(steps) != 4 {
		t.Fatalf("Replay of the ABBA schedule: %v", err)
	}
	if _, err := sim.Replay(k, &init, []int{0, 1, 0, 1, 0}); err == nil {
		t.Error("Replay moved a deadlocked thread")
	}
	// A finished thread cannot move either.
	steps, err = sim.Replay(k, &init, []int{0, 0, 0})
	if err != nil || steps[2].After.Threads[0].Status != model.ThreadDone {
		t.Fatalf("t0 alone: %v", err)
	}
	if _, err := sim.Replay(k, &init, []int{0, 0, 0, 0}); err == nil {
		t.Error("Replay moved a finished thread")
	}
}
