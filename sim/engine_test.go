package sim_test

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/sim"
)

// Tests of the lean engine: the compact layout, the fingerprint set, the memory
// budget, interrupts, stop-first, coverage, and random mode's streaming.

// everyProperty is every checkable property (lock-order's traced check, the
// crash checks) plus the probes.
func everyProperty(t testing.TB) []sim.Check {
	var cs []sim.Check
	for _, p := range checker.All() {
		if p.Checkable() {
			cs = append(cs, p.Check(checker.Config{}))
		}
	}
	return append(cs, probeChecks()...)
}

// summary is what must not depend on workers, layouts or limits' timing.
type summary struct {
	States, Transitions, Depth, Terminal int
	Complete                             bool
	Limit                                string
	Coverage                             map[string]int64
	Witnesses                            []string
}

func summarize(r *sim.Result) summary {
	s := summary{r.States, r.Transitions, r.Depth, r.Terminal, r.Complete, r.Limit, r.Coverage, traces(r)}
	for _, v := range r.Violations {
		for _, rel := range v.Related {
			s.Witnesses = append(s.Witnesses, "related "+rel.Note+" "+string(rune(len(rel.Trace))))
		}
	}
	return s
}

// TestWorkersSameEverything: with every property (lock-order's traced check
// included), any number of workers gives the same states, witnesses (traces,
// messages, related schedules, order), coverage and limits, with and without
// limits.
func TestWorkersSameEverything(t *testing.T) {
	for _, w := range allWorlds(t) {
		for _, opt := range []sim.Options{{}, {MaxStates: 37}, {MaxDepth: 7}, {StopFirst: true}} {
			opt.Workers = 1
			one := summarize(sim.Explore(w.k, &w.init, everyProperty(t), opt))
			for _, n := range []int{2, 5} {
				opt.Workers = n
				got := summarize(sim.Explore(w.k, &w.init, everyProperty(t), opt))
				if !reflect.DeepEqual(got, one) {
					t.Errorf("%s %+v: workers=%d differs from workers=1:\n%+v\n%+v", w.name, opt, n, got, one)
				}
			}
		}
	}
}

// TestLayoutDoesNotMatter: the learnt compact layout gives exactly what the
// whole state as layout gives, BFS and DFS.
func TestLayoutDoesNotMatter(t *testing.T) {
	for _, w := range allWorlds(t) {
		for _, opt := range []sim.Options{{}, {DFS: true}, {Workers: 3}} {
			got := sim.Explore(w.k, &w.init, everyProperty(t), opt)
			want := sim.ExploreWholeState(w.k, &w.init, everyProperty(t), opt)
			if !reflect.DeepEqual(summarize(got), summarize(want)) {
				t.Errorf("%s %+v: the learnt layout changes the result", w.name, opt)
			}
			if got.Widened == 0 || got.StateWords == 0 || got.StateWords >= want.StateWords {
				t.Errorf("%s: layout of %d words (widened %d times), whole state %d words", w.name, got.StateWords,
					got.Widened, want.StateWords)
			}
		}
	}
}

// TestStopFirst: stop-first ends at the first violation, which is as short as the
// shortest witness of the full search; what it finds is what the full search
// finds; checks it could not decide make the run incomplete.
func TestStopFirst(t *testing.T) {
	tested := 0
	for _, w := range allWorlds(t) {
		checks := []sim.Check{property(t, "aops-consistent"), property(t, "no-deadlock"), property(t, "lock-order")}
		full := sim.Explore(w.k, &w.init, checks, sim.Options{})
		r := sim.Explore(w.k, &w.init, checks, sim.Options{StopFirst: true})
		if len(full.Violations) == 0 {
			if !r.Complete || r.States != full.States {
				t.Errorf("%s: no violation, but stop-first stopped: %q after %d of %d states", w.name, r.Limit, r.States, full.States)
			}
			continue
		}
		tested++
		if r.Complete || r.Limit != "stopped at the first violation" || len(r.Violations) == 0 {
			t.Fatalf("%s: Complete=%v Limit=%q violations=%d", w.name, r.Complete, r.Limit, len(r.Violations))
		}
		shortest := len(full.Violations[0].Trace)
		for _, v := range full.Violations {
			shortest = min(shortest, len(v.Trace))
		}
		if got := len(r.Violations[0].Trace); got != shortest {
			t.Errorf("%s: stop-first's first witness has %d steps, the full search's shortest %d", w.name, got, shortest)
		}
		fw := witnesses(full)
		for key, v := range witnesses(r) {
			if fv, ok := fw[key]; !ok || !reflect.DeepEqual(fv.Trace, v.Trace) || fv.Msg != v.Msg {
				t.Errorf("%s: stop-first witness %v is not the full search's", w.name, key)
			}
		}
		if r.States > full.States {
			t.Errorf("%s: stop-first stored %d states, the full search %d", w.name, r.States, full.States)
		}
		d := sim.Explore(w.k, &w.init, checks, sim.Options{StopFirst: true, DFS: true})
		if d.Complete || len(d.Violations) == 0 {
			t.Errorf("%s dfs: stop-first Complete=%v with %d violations", w.name, d.Complete, len(d.Violations))
		}
	}
	if tested < 3 {
		t.Errorf("only %d worlds with a violation", tested)
	}
	// On the scaled workload, the racy proposal: the first counterexample comes
	// long before the end.
	b := buildScaled(t, 3, "flip-xarray-check")
	checks := propertyChecks()
	full := sim.Explore(b.Kernel, &b.Init, checks, sim.Options{})
	r := sim.Explore(b.Kernel, &b.Init, checks, sim.Options{StopFirst: true, Workers: 2})
	fv, _ := full.First("aops-consistent")
	v, ok := r.First("aops-consistent")
	if !ok || len(v.Trace) != len(fv.Trace) || r.States*4 > full.States {
		t.Errorf("scaled: stop-first found %v (%d steps, full %d) after %d of %d states", ok, len(v.Trace), len(fv.Trace),
			r.States, full.States)
	}
}

// TestMemoryBudget: a search that reaches its memory budget stops cleanly,
// incomplete, with the limit named and the witnesses found so far (real and, for
// BFS, shortest), within the budget, at the same state whatever the workers.
func TestMemoryBudget(t *testing.T) {
	b := buildScaled(t, 3, "flip-xarray-check")
	checks := propertyChecks()
	full := sim.Explore(b.Kernel, &b.Init, checks, sim.Options{})
	if !full.Complete || !full.Violated("aops-consistent") {
		t.Fatalf("full search: Complete=%v", full.Complete)
	}
	fw := witnesses(full)
	for _, dfs := range []bool{false, true} {
		var first *sim.Result
		for _, workers := range []int{1, 2} {
			opt := sim.Options{MaxMemory: 2 << 20, Workers: workers, DFS: dfs}
			if dfs {
				opt.MaxMemory = 3 << 19
			}
			r := sim.Explore(b.Kernel, &b.Init, checks, opt)
			if r.Complete || !strings.Contains(r.Limit, "max-memory "+sim.FormatBytes(opt.MaxMemory)+" reached") {
				t.Fatalf("dfs=%v workers=%d: Complete=%v Limit=%q", dfs, workers, r.Complete, r.Limit)
			}
			// The budget holds the projection; what is mapped may pass it by a
			// few chunks (of 64-128 KiB) that layouts widened in a batch left.
			if r.PeakBytes > opt.MaxMemory+1<<20 || r.States >= full.States || r.States == 0 {
				t.Errorf("dfs=%v: peak %d bytes of a %d budget, %d of %d states", dfs, r.PeakBytes, opt.MaxMemory, r.States, full.States)
			}
			if !dfs && !r.Violated("aops-consistent") {
				t.Errorf("the budget run lost the violation found before it")
			}
			for key, v := range witnesses(r) {
				fv, ok := fw[key]
				switch {
				case !ok:
					t.Errorf("witness %v not in the full run", key)
				case !dfs && len(fv.Trace) != len(v.Trace):
					t.Errorf("witness %v of %d steps, full run %d", key, len(v.Trace), len(fv.Trace))
				}
				if _, err := sim.Replay(b.Kernel, &b.Init, v.Trace); err != nil {
					t.Errorf("witness %v does not replay: %v", key, err)
				}
			}
			if first == nil {
				first = r
			} else if !dfs && !reflect.DeepEqual(summarize(r), summarize(first)) {
				t.Errorf("the budget stops at a different place with %d workers", workers)
			}
		}
	}
	// A budget too small for the first batch still ends with a report.
	r := sim.Explore(b.Kernel, &b.Init, checks, sim.Options{MaxMemory: 1 << 10})
	if r.Complete || !strings.Contains(r.Limit, "max-memory") {
		t.Errorf("1K budget: Complete=%v Limit=%q", r.Complete, r.Limit)
	}
}

// TestInterrupt: a cancelled context stops the search at the next batch
// boundary: incomplete, Limit Interrupted, what was found kept.
func TestInterrupt(t *testing.T) {
	b := buildScaled(t, 3, "flip-xarray-check")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, opt := range []sim.Options{{}, {DFS: true}, {Workers: 2}} {
		opt.Context = ctx
		r := sim.Explore(b.Kernel, &b.Init, propertyChecks(), opt)
		if r.Complete || r.Limit != sim.Interrupted || r.States > 1 {
			t.Errorf("%+v: cancelled before the start: Complete=%v Limit=%q States=%d", opt, r.Complete, r.Limit, r.States)
		}
	}
	// Cancelled while it runs (N=5 takes seconds), once it has stored 100,000
	// states: it stops soon, with the witness found in the first levels.
	big := buildScaled(t, 5, "flip-xarray-check")
	for _, opt := range []sim.Options{{Workers: 2}, {DFS: true}} {
		ctx, cancel := context.WithCancel(context.Background())
		var cancelled time.Time
		opt.Context = ctx
		opt.Progress = func(p sim.Progress) {
			if p.States > 100_000 && cancelled.IsZero() {
				cancelled = time.Now()
				cancel()
			}
		}
		r := sim.Explore(big.Kernel, &big.Init, propertyChecks(), opt)
		cancel()
		if el := time.Since(cancelled); cancelled.IsZero() || el > 3*time.Second {
			t.Errorf("%+v: the search ran %v after it was interrupted", opt, el)
		}
		if r.Complete || r.Limit != sim.Interrupted || r.States < 2 {
			t.Errorf("%+v: Complete=%v Limit=%q States=%d", opt, r.Complete, r.Limit, r.States)
		}
		if !opt.DFS && !r.Violated("aops-consistent") {
			t.Errorf("the interrupted search lost the early witness")
		}
	}
}

// TestDFSNeverExceedsMaxStates: DFS stores at most MaxStates states (exactly
// that many when the space is larger).
func TestDFSNeverExceedsMaxStates(t *testing.T) {
	for _, w := range allWorlds(t) {
		full := sim.Explore(w.k, &w.init, nil, sim.Options{DFS: true})
		n := full.States
		ms := []int{n / 3, n / 2, n - 1, n, n + 1}
		for m := 1; m <= min(n, 40); m++ {
			ms = append(ms, m)
		}
		for _, m := range ms {
			if m < 1 {
				continue
			}
			for _, dfs := range []bool{true, false} {
				r := sim.Explore(w.k, &w.init, allChecks(t), sim.Options{DFS: dfs, MaxStates: m})
				if r.States > m || (m <= full.States && r.States != m) {
					t.Fatalf("%s dfs=%v MaxStates=%d: %d states (%d in all)", w.name, dfs, m, r.States, full.States)
				}
			}
		}
	}
}

// TestCoverage: the checks' coverage is counted once per thing judged: the
// probes count every state, every return and every stuck state, which the naive
// search counts too.
func TestCoverage(t *testing.T) {
	for _, w := range allWorlds(t) {
		g := enumerate(w.k, &w.init)
		returns := 0
		for i := range g.edges {
			for _, e := range g.edges[i] {
				if e.ev.Returned {
					returns++
				}
			}
		}
		for _, opt := range []sim.Options{{}, {DFS: true}, {Workers: 4}} {
			r := sim.Explore(w.k, &w.init, probeChecks(), opt)
			want := map[string]int64{"probe-position": int64(len(g.states)), "probe-return": int64(returns),
				"probe-stuck": int64(g.count(g.stuck))}
			if !reflect.DeepEqual(r.Coverage, want) {
				t.Errorf("%s %+v: coverage %v, want %v", w.name, opt, r.Coverage, want)
			}
		}
	}
}

// TestFPSetAgainstMap: the fingerprint set agrees with a Go map on random
// fingerprints, through growth, and through the overflow of a partition that
// is full when the budget forbids growing.
func TestFPSetAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		budget int64
		n      int
	}{{0, 300_000}, {300 << 10, 100_000}} {
		s := sim.NewFPSet(c.budget)
		ref := map[uint64]bool{}
		var keys []uint64
		for i := 0; i < c.n; i++ {
			if i%1000 == 0 && c.budget == 0 {
				s.Room(1000)
			}
			h := rng.Uint64() | 1
			if len(keys) > 0 && rng.IntN(4) == 0 {
				h = keys[rng.IntN(len(keys))] // a repeat
			} else {
				keys = append(keys, h)
			}
			if got, want := s.Insert(h), !ref[h]; got != want {
				t.Fatalf("insert %x: new=%v, the map says %v", h, got, want)
			}
			ref[h] = true
			if q := rng.Uint64() | 1; s.Contains(q) != ref[q] {
				t.Fatalf("contains %x: %v, the map says %v", q, s.Contains(q), ref[q])
			}
		}
		for h := range ref {
			if !s.Contains(h) {
				t.Fatalf("lost %x", h)
			}
		}
		if s.Len() != len(ref) {
			t.Errorf("Len %d, map %d", s.Len(), len(ref))
		}
		if c.budget != 0 && !s.Overflowing() {
			t.Errorf("the table under a 64K budget did not overflow: the test does not reach the overflow path")
		}
		s.Free()
	}
}

// TestRandomStreams: random mode keeps nothing per run: a search of MaxInt runs
// cancelled after a moment returns, its memory did not grow with the runs it
// made, and it reports how many it made.
func TestRandomStreams(t *testing.T) {
	w := loadScn(t, scnDir+"/aops-swap.scn")
	mk := func() []sim.Check { return propertyChecks() } // the probes allocate, the properties do not
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := sim.RandomSearch(w.k, &w.init, mk, nil, sim.RandomOptions{Seed: 1, Runs: math.MaxInt, MaxSteps: 3, Workers: 2, Context: ctx})
	runtime.GC()
	runtime.ReadMemStats(&after)
	if r.Limit != sim.Interrupted || r.Runs < 100 || r.Runs == math.MaxInt {
		t.Fatalf("Limit %q after %d runs", r.Limit, r.Runs)
	}
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 1<<20 {
		t.Errorf("the heap grew by %d bytes over %d runs", grown, r.Runs)
	}
	// Allocation per run: the model's step context per step (Exec: every thread
	// tried, then the chosen one again) and nothing that grows with the runs.
	perRun := float64(after.Mallocs-before.Mallocs) / float64(r.Runs)
	if limit := float64(3*(len(w.k.Threads)+1) + 1); perRun > limit && !sim.InvariantsBuild {
		t.Errorf("%.1f allocations per run of 3 steps (at most %.0f expected)", perRun, limit)
	}
	// An interrupted search is a prefix of the runs' witnesses: what it reports
	// replays.
	for _, v := range r.Violations {
		if _, err := sim.Replay(w.k, &w.init, v.Trace); err != nil {
			t.Errorf("witness of run %d does not replay: %v", v.Run, err)
		}
	}
}

// TestRandomSameAsBefore pins random mode's witnesses: the lowest run of each
// class, the same for any number of workers, and coverage too.
func TestRandomCoverageWorkers(t *testing.T) {
	for _, w := range allWorlds(t) {
		mk := func() []sim.Check { return everyProperty(t) }
		a := sim.RandomSearch(w.k, &w.init, mk, nil, sim.RandomOptions{Seed: 3, Runs: 100, Workers: 1})
		b := sim.RandomSearch(w.k, &w.init, mk, nil, sim.RandomOptions{Seed: 3, Runs: 100, Workers: 4})
		if !reflect.DeepEqual(a.Coverage, b.Coverage) || !reflect.DeepEqual(a.Run, b.Run) || a.Steps != b.Steps {
			t.Errorf("%s: random coverage or witnesses depend on the workers", w.name)
		}
		for i := range a.Violations {
			va, vb := a.Violations[i], b.Violations[i]
			va.At, vb.At = 0, 0
			if !reflect.DeepEqual(va, vb) {
				t.Errorf("%s: witness %d differs between 1 and 4 workers", w.name, i)
			}
		}
	}
}

var _ = model.MaxThreads

// countingReduction is the identity reduction, counting its calls.
type countingReduction struct{ ample, canonical int }

func (r *countingReduction) Ample(k *model.Kernel, s *model.State) uint16 {
	r.ample++
	return ^uint16(0)
}

func (r *countingReduction) Canonical(k *model.Kernel, s *model.State) bool {
	r.canonical++
	return false
}

// firstThreadFirst explores only the lowest running thread while it can move.
type firstThreadFirst struct{}

func (firstThreadFirst) Ample(k *model.Kernel, s *model.State) uint16 {
	for t := range k.Threads {
		if k.Running(s, t) {
			return 1 << t
		}
	}
	return 0
}

func (firstThreadFirst) Canonical(*model.Kernel, *model.State) bool { return false }

// TestReductionHooks: the identity reduction changes nothing and is asked about
// every expanded state and every successor; an ample set of one thread is
// explored alone while that thread moves, the others when it cannot.
func TestReductionHooks(t *testing.T) {
	for _, w := range allWorlds(t) {
		want := summarize(sim.Explore(w.k, &w.init, allChecks(t), sim.Options{}))
		r := &countingReduction{}
		got := sim.Explore(w.k, &w.init, allChecks(t), sim.Options{Reduce: r})
		if !reflect.DeepEqual(summarize(got), want) {
			t.Errorf("%s: the identity reduction changes the result", w.name)
		}
		if r.ample != got.States || r.canonical != got.Transitions {
			t.Errorf("%s: Ample called %d times for %d states, Canonical %d for %d transitions", w.name, r.ample,
				got.States, r.canonical, got.Transitions)
		}
		for _, workers := range []int{1, 3} {
			red := sim.Explore(w.k, &w.init, nil, sim.Options{Reduce: firstThreadFirst{}, Workers: workers})
			if !red.Complete || red.States > got.States || red.Terminal == 0 && got.Terminal > 0 {
				t.Errorf("%s: one-thread ample sets: %d states (full %d), %d terminal (full %d)", w.name, red.States,
					got.States, red.Terminal, got.Terminal)
			}
		}
	}
}
