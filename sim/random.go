package sim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"golang.org/x/sync/errgroup"

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
// Run r of seed s draws from PCG(s, r) only, and each run gets fresh checks, so a
// run's outcome does not depend on the other runs or on the number of workers;
// results are merged in run order and the witness kept for each check and class
// is the one of the lowest run. A random search never proves a property: its
// verdicts are violation or unknown.

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
}

// Call is one statement of one run: when it started and ended (step indexes;
// End -1 when it never returned) and what it returned.
type Call struct {
	Thread, PC int
	Start, End int
	Result     model.Result
	Data       model.Data
}

// History is what one run did, for checks over whole executions (porcupine).
type History struct {
	Run   int
	Calls []Call
	Trace []int
}

// RandomResult is the outcome of random mode.
type RandomResult struct {
	Runs       int
	Steps      int // steps over all runs
	States     int // states visited over all runs (with repeats)
	Cut        int // runs stopped by MaxSteps
	Violations []Violation
	Elapsed    time.Duration
	Seed       uint64
	First      int
	// Run is the run each violation came from (same order as Violations).
	Run []int
}

// HistoryCheck is a check over a whole run's history.
type HistoryCheck struct {
	Name  string
	Check func(k *model.Kernel, h *History) (class, msg string)
}

type runResult struct {
	steps, states int
	cut           bool
	viol          []Violation
}

// RandomSearch runs the random schedules. checks builds a fresh set of checks for
// each run; history checks run at the end of each run.
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
	results := make([]runResult, opt.Runs)
	var g errgroup.Group
	g.SetLimit(opt.Workers)
	const chunk = 16
	for lo := 0; lo < opt.Runs; lo += chunk {
		lo := lo
		g.Go(func() error {
			for r := lo; r < min(lo+chunk, opt.Runs); r++ {
				results[r] = oneRun(k, init, checks(), hist, opt, opt.First+r)
			}
			if opt.Progress != nil {
				opt.Progress(min(lo+chunk, opt.Runs), opt.Runs)
			}
			return nil
		})
	}
	g.Wait()
	out := &RandomResult{Runs: opt.Runs, Seed: opt.Seed, First: opt.First}
	seen := map[string]bool{}
	for r, rr := range results {
		out.Steps += rr.steps
		out.States += rr.states
		if rr.cut {
			out.Cut++
		}
		for _, v := range rr.viol {
			key := v.Check + "\x00" + v.Class
			if !seen[key] {
				seen[key] = true
				v.Run = opt.First + r
				out.Violations = append(out.Violations, v)
				out.Run = append(out.Run, opt.First+r)
			}
		}
	}
	out.Elapsed = time.Since(start)
	return out
}

// runRNG is the generator of run r: it depends on the seed and r only.
func runRNG(seed uint64, r int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(r)*0x9E3779B97F4A7C15+1))
}

func oneRun(k *model.Kernel, init *model.State, checks []Check, hist []HistoryCheck, opt RandomOptions, r int) runResult {
	rng := runRNG(opt.Seed, r)
	n := len(k.Threads)
	pct := r%2 == 1
	prio := make([]int, n)
	var change []int
	if pct {
		perm := rng.Perm(n)
		for t := range prio {
			prio[t] = opt.PCTDepth + perm[t] // above every change-point priority
		}
		for i := 0; i < opt.PCTDepth-1; i++ {
			change = append(change, rng.IntN(200))
		}
	}
	var res runResult
	seen := map[string]bool{}
	var trace []int
	report := func(name, class, msg string, thread int, rel []Related) {
		if seen[name+"\x00"+class] {
			return
		}
		seen[name+"\x00"+class] = true
		tr := append([]int(nil), trace...)
		if thread >= 0 {
			tr = append(tr, thread)
		}
		res.viol = append(res.viol, Violation{Check: name, Class: class, Msg: msg, Trace: tr, Related: rel})
	}
	s := *init
	for _, c := range checks {
		if c.State != nil {
			if class, msg := c.State(k, &s); msg != "" {
				report(c.Name, class, msg, -1, nil)
			}
		}
	}
	h := &historyBuilder{History: History{Run: r}, open: make([]int, n)}
	next := make([]model.State, n)
	evs := make([]model.Event, n)
	var enabled []int
	for step := 0; ; step++ {
		if step >= opt.MaxSteps {
			res.cut = true
			break
		}
		enabled = enabled[:0]
		running := 0
		for t := 0; t < n; t++ {
			if !k.Running(&s, t) {
				continue
			}
			if !k.Threads[t].Daemon {
				running++
			}
			next[t] = s
			if k.Exec(&next[t], t, &evs[t]) {
				enabled = append(enabled, t)
			}
		}
		if len(enabled) == 0 {
			if running > 0 {
				var blocked []model.Event
				for t := 0; t < n; t++ {
					if k.Running(&s, t) && !k.Threads[t].Daemon {
						blocked = append(blocked, evs[t])
					}
				}
				for _, c := range checks {
					if c.Stuck != nil {
						if class, msg := c.Stuck(k, &s, blocked); msg != "" {
							report(c.Name, class, msg, -1, nil)
						}
					}
				}
			}
			break
		}
		t := enabled[0]
		if pct {
			for i, cp := range change {
				if cp == step {
					prio[highest(enabled, prio)] = i
				}
			}
			t = highest(enabled, prio)
		} else {
			t = enabled[rng.IntN(len(enabled))]
		}
		ev := &evs[t]
		h.record(k, &s, t, ev, step)
		for _, c := range checks {
			if c.Step != nil {
				if class, msg := c.Step(k, &s, &next[t], ev); msg != "" {
					report(c.Name, class, msg, t, nil)
				}
			}
			if c.Traced != nil {
				tr := func() []int { return append(append([]int(nil), trace...), t) }
				if f := c.Traced(k, &s, &next[t], ev, tr); f != nil {
					report(c.Name, f.Class, f.Msg, t, f.Related)
				}
			}
		}
		s = next[t]
		trace = append(trace, t)
		res.steps++
		res.states++
		for _, c := range checks {
			if c.State != nil {
				if class, msg := c.State(k, &s); msg != "" {
					report(c.Name, class, msg, -1, nil)
				}
			}
		}
	}
	h.Trace = trace
	for _, hc := range hist {
		if class, msg := hc.Check(k, &h.History); msg != "" {
			report(hc.Name, class, msg, -1, nil)
		}
	}
	return res
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
	return fmt.Sprintf("random, seed %d: %s (%d cut at the step limit), %d steps", r.Seed, runs, r.Cut, r.Steps)
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
