package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/daxsim/daxsim/model"
)

// Random mode: seeded schedules for scenarios too large to exhaust. Each run is
// one execution from the initial state to the end (every scenario thread done, or
// stuck, or MaxSteps); every state it passes is checked, so every state is a
// crash point, as in exhaustive mode. Runs alternate two schedulers:
//
//   - uniform: each step, a uniformly chosen thread among those that can move;
//   - PCT (Burckhardt et al., ASPLOS 2010): threads get random distinct
//     priorities, the highest-priority thread that can move runs, and at d-1
//     random change points the running thread drops to the lowest priority. PCT
//     finds bugs of depth d with probability at least 1/(n k^(d-1)).
//
// Run r of seed s draws from PCG(s, r) only, and a run's checks start fresh (the
// checks with memory, Traced ones, are made anew for each run), so a run's
// outcome does not depend on the other runs or on the number of workers. Runs are
// streamed to the workers in order and nothing is kept per run: of each check and
// class the witness of the lowest run is kept (the same one-witness set as the
// exhaustive search, keyed by run), so memory does not grow with Runs. A random
// search never proves a property: its verdicts are violation or unknown.

// RandomOptions configure random mode.
type RandomOptions struct {
	Seed     uint64
	First    int // index of the first run (to replay run K alone: First K, Runs 1)
	Runs     int // number of runs (default 1000)
	MaxSteps int // steps per run before it is cut (default 2000)
	PCTDepth int // d of PCT (default 3)
	Workers  int // goroutines (default 1)
	// Progress, when set, is called now and then with the runs done.
	Progress func(done, total int)
	// Context, when set, stops the search before the next run once it is done.
	Context context.Context
}

// Call is one statement of one run: when it started and ended (step indexes;
// End -1 when it never returned) and what it returned.
type Call struct {
	Thread, PC int
	Start, End int
	Result     model.Result
	Data       model.Data
}

// History is what one run did, for checks over whole executions (porcupine). A
// history check must not keep it: the engine reuses it for the next run.
type History struct {
	Run   int
	Calls []Call
	Trace []int
}

// RandomResult is the outcome of random mode.
type RandomResult struct {
	Runs       int // runs done (Limit says when the search stopped before all)
	Steps      int // steps over all runs
	States     int // states visited over all runs (with repeats)
	Cut        int // runs stopped by MaxSteps
	Violations []Violation
	Elapsed    time.Duration
	Seed       uint64
	First      int
	// Run is the run each violation came from (same order as Violations).
	Run []int
	// Coverage counts, for each check and history check (by name), what it
	// judged over all runs.
	Coverage map[string]int64
	// Limit is Interrupted when the Context stopped the search early.
	Limit string
}

// HistoryCheck is a check over a whole run's history.
type HistoryCheck struct {
	Name  string
	Check func(j *Judge, k *model.Kernel, h *History)
}

// RandomSearch runs the random schedules. checks builds a set of checks (once per
// worker, and for each run when some has memory); history checks run at the end
// of each run.
func RandomSearch(k *model.Kernel, init *model.State, checks func() []Check, hist []HistoryCheck, opt RandomOptions) *RandomResult {
	start := time.Now()
	if opt.Runs <= 0 {
		opt.Runs = 1000
	}
	if opt.MaxSteps <= 0 {
		opt.MaxSteps = 2000
	}
	if opt.PCTDepth <= 0 {
		opt.PCTDepth = 3
	}
	if opt.Workers <= 0 {
		opt.Workers = 1
	}
	workers := min(opt.Workers, opt.Runs)
	first := checks()
	all := append(append([]Check(nil), first...), historyAsChecks(hist)...)
	ws := newWitnessSet(all)
	lay := newLayout(init, nil)
	runners := make([]*runner, workers)
	for w := range runners {
		cs := first
		if w > 0 {
			cs = checks()
		}
		runners[w] = newRunner(k, init, lay, cs, checks, hist, ws, opt)
	}
	var nextRun, done atomic.Int64
	var stopped atomic.Bool
	const chunk = 16
	runWorkers(workers, func(w int) {
		r := runners[w]
		for {
			lo := nextRun.Add(chunk) - chunk
			if lo >= int64(opt.Runs) {
				return
			}
			hi := min(lo+chunk, int64(opt.Runs))
			for i := lo; i < hi; i++ {
				if opt.Context != nil && opt.Context.Err() != nil {
					stopped.Store(true)
					return
				}
				r.run(opt.First + int(i))
			}
			d := done.Add(hi - lo)
			if opt.Progress != nil {
				opt.Progress(int(d), opt.Runs)
			}
		}
	})
	out := &RandomResult{Seed: opt.Seed, First: opt.First, Coverage: map[string]int64{}}
	var sinks []*sink
	for _, r := range runners {
		out.Runs += r.runs
		out.Steps += r.steps
		out.States += r.steps
		out.Cut += r.cut
		for i, c := range r.counts {
			out.Coverage[all[i].Name] += c
		}
		sinks = append(sinks, r.sink)
	}
	if stopped.Load() {
		out.Limit = Interrupted
	}
	ws.merge(sinks, nil, 0, time.Since(start))
	out.Violations = ws.violations()
	for i := range out.Violations {
		v := &out.Violations[i]
		v.Run = int(ws.list[i].key.a)
		out.Run = append(out.Run, v.Run)
	}
	out.Elapsed = time.Since(start)
	return out
}

// historyAsChecks names the history checks in the witness set (after the checks).
func historyAsChecks(hist []HistoryCheck) []Check {
	var out []Check
	for _, h := range hist {
		out = append(out, Check{Name: h.Name})
	}
	return out
}

// runner is one worker of a random search.
type runner struct {
	k        *model.Kernel
	init     *model.State
	opt      RandomOptions
	x        *expander
	mk       func() []Check
	stateful bool
	hist     []HistoryCheck
	nchecks  int
	sink     *sink
	counts   []int64
	h        historyBuilder
	pcg      rand.PCG
	rng      *rand.Rand
	prio     []int
	change   []int
	trace    []int
	enabled  []int

	runs, steps, cut int
}

func newRunner(k *model.Kernel, init *model.State, lay *layout, checks []Check, mk func() []Check, hist []HistoryCheck,
	ws *witnessSet, opt RandomOptions) *runner {
	r := &runner{k: k, init: init, opt: opt, mk: mk, hist: hist, nchecks: len(checks)}
	r.counts = make([]int64, len(checks)+len(hist))
	r.sink = newSink(ws)
	r.x = newExpander(k, lay, checks, nil, r.counts)
	r.x.j.sink = r.sink
	for i := range checks {
		if checks[i].Traced != nil {
			r.stateful = true
		}
	}
	r.rng = rand.New(&r.pcg)
	r.prio = make([]int, len(k.Threads))
	r.h.open = make([]int, len(k.Threads))
	return r
}

// runRNG seeds the generator of run r: it depends on the seed and r only.
func (r *runner) seed(run int) {
	r.pcg.Seed(r.opt.Seed, uint64(run)*0x9E3779B97F4A7C15+1)
}

// perm is rand.Rand.Perm into r.prio (the same draws, no allocation).
func (r *runner) perm(n int) []int {
	p := r.prio[:n]
	for i := range p {
		p[i] = i
	}
	r.rng.Shuffle(n, func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p
}

func (r *runner) run(run int) {
	k, x, opt := r.k, r.x, &r.opt
	r.seed(run)
	n := len(k.Threads)
	pct := run%2 == 1
	prio := r.prio[:n]
	r.change = r.change[:0]
	if pct {
		perm := r.perm(n)
		for t := range prio {
			prio[t] = opt.PCTDepth + perm[t] // above every change-point priority
		}
		for i := 0; i < opt.PCTDepth-1; i++ {
			r.change = append(r.change, r.rng.IntN(200))
		}
	}
	if r.stateful && r.runs > 0 {
		x.setChecks(r.mk())
	}
	r.runs++
	seq := uint64(0)
	key := func() wkey { seq++; return wkey{uint64(run), seq} }
	j := &x.j
	r.trace = r.trace[:0]
	j.run = r.trace
	x.cur = *r.init
	j.at(-1, -1)
	x.judgeState(&x.cur, key())
	r.h.reset(run)
	for step := 0; ; step++ {
		if step >= opt.MaxSteps {
			r.cut++
			break
		}
		x.begin()
		r.enabled = r.enabled[:0]
		for t := 0; t < n; t++ {
			if x.try(t) == moved {
				r.enabled = append(r.enabled, t)
			}
		}
		if len(r.enabled) == 0 {
			if x.running > 0 {
				j.at(-1, -1)
				x.judgeStuck(key())
			}
			break
		}
		t := r.enabled[0]
		if pct {
			for i, cp := range r.change {
				if cp == step {
					prio[highest(r.enabled, prio)] = i
				}
			}
			t = highest(r.enabled, prio)
		} else {
			t = r.enabled[r.rng.IntN(len(r.enabled))]
		}
		x.try(t) // its step again, into w
		r.h.record(k, &x.cur, t, &x.ev, step)
		j.at(-1, t)
		x.judgeStep(key())
		if len(x.traced) > 0 {
			x.judgeTraced(key())
		}
		x.cur = x.w
		r.trace = append(r.trace, t)
		j.run = r.trace
		r.steps++
		j.at(-1, -1)
		x.judgeState(&x.cur, key())
	}
	r.h.Trace = r.trace
	for i := range r.hist {
		j.begin(r.nchecks+i, key())
		r.hist[i].Check(j, k, &r.h.History)
		j.end()
	}
}

// highest is the enabled thread with the highest priority.
func highest(enabled, prio []int) int {
	best := enabled[0]
	for _, t := range enabled[1:] {
		if prio[t] > prio[best] {
			best = t
		}
	}
	return best
}

// Describe is a one-line summary of a random search.
func (r *RandomResult) Describe() string {
	runs := fmt.Sprintf("%d runs", r.Runs)
	if r.First != 0 {
		runs = fmt.Sprintf("runs %d-%d", r.First, r.First+r.Runs-1)
	}
	s := fmt.Sprintf("random, seed %d: %s (%d cut at the step limit), %d steps", r.Seed, runs, r.Cut, r.Steps)
	if r.Limit != "" {
		s += ", " + r.Limit
	}
	return s
}

// HistoryOf replays a schedule and returns the history it makes (for the
// porcupine visualization of a witness).
func HistoryOf(k *model.Kernel, init *model.State, trace []int) *History {
	h := &historyBuilder{History: History{Trace: trace}, open: make([]int, len(k.Threads))}
	s := *init
	var ev model.Event
	for step, t := range trace {
		before := s
		if !k.Exec(&s, t, &ev) {
			break
		}
		h.record(k, &before, t, &ev, step)
	}
	return &h.History
}

// historyBuilder turns the steps of a run into calls.
type historyBuilder struct {
	History
	open []int // index+1 in Calls of each thread's statement in progress
}

// reset starts the history of run run, reusing the buffers.
func (h *historyBuilder) reset(run int) {
	h.Run, h.Calls, h.Trace = run, h.Calls[:0], nil
	clear(h.open)
}

// record notes step number step of thread t, taken from state before with event ev.
func (h *historyBuilder) record(k *model.Kernel, before *model.State, t int, ev *model.Event, step int) {
	if before.Threads[t].Path == 0 && !k.Threads[t].Daemon {
		h.Calls = append(h.Calls, Call{Thread: t, PC: ev.PC, Start: step, End: -1})
		h.open[t] = len(h.Calls)
	}
	if h.open[t] == 0 {
		return
	}
	c := &h.Calls[h.open[t]-1]
	switch {
	case ev.Returned:
		c.End, c.Result, c.Data = step, ev.Result, ev.Data
		h.open[t] = 0
	case ev.Data.Valid:
		c.Data = ev.Data
	}
}
