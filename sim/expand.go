package sim

import (
	"github.com/daxsim/daxsim/model"
)

// expander is the one successor-and-check loop: it runs every thread one step
// from a state and runs the checks on states, transitions and stuck states. BFS
// (each worker has one), DFS and random mode share it; they differ in which
// successors they keep and in the order keys they give the checks.
//
// Its state buffers hold the initial state's words outside the layout, so
// decoding a compact state into cur, and restoring a successor buffer from cur,
// touch only the layout's words. No allocation per step (model.Kernel.Exec
// itself allocates its step context).
type expander struct {
	k      *model.Kernel
	lay    *layout
	checks []Check
	reduce Reduction
	j      Judge

	cur     model.State // the state being expanded
	tmp     model.State // a decoded state to judge
	next    [model.MaxThreads]model.State
	ev      [model.MaxThreads]model.Event
	moved   uint16 // threads that took a step from cur
	running int    // scenario (not daemon) threads that have not finished
	blocked []model.Event
	broken  bool // a step wrote outside the layout

	state, step, stuck, traced []int // the checks with each function
	relevant                   bool  // some traced check has no Relevant filter
}

func newExpander(k *model.Kernel, lay *layout, checks []Check, reduce Reduction, counts []int64) *expander {
	x := &expander{k: k, lay: lay, checks: checks, reduce: reduce}
	x.j = Judge{counts: counts, from: -1, thread: -1}
	x.cur, x.tmp = lay.init, lay.init
	for t := range x.next {
		x.next[t] = lay.init
	}
	x.setChecks(checks)
	return x
}

// setChecks (re)binds the checks (random mode gives each run fresh ones when some
// have memory).
func (x *expander) setChecks(checks []Check) {
	x.checks = checks
	x.state, x.step, x.stuck, x.traced = x.state[:0], x.step[:0], x.stuck[:0], x.traced[:0]
	for i := range checks {
		c := &checks[i]
		if c.State != nil {
			x.state = append(x.state, i)
		}
		if c.Step != nil {
			x.step = append(x.step, i)
		}
		if c.Stuck != nil {
			x.stuck = append(x.stuck, i)
		}
		if c.Traced != nil {
			x.traced = append(x.traced, i)
		}
	}
}

// successors runs every running thread one step from cur into next[t]; moved says
// which moved, blocked holds the blocked events of the running scenario threads.
func (x *expander) successors() {
	x.moved, x.running, x.blocked = 0, 0, x.blocked[:0]
	k := x.k
	for t := range k.Threads {
		if !k.Running(&x.cur, t) {
			continue
		}
		daemon := k.Threads[t].Daemon
		if !daemon {
			x.running++
		}
		n := &x.next[t]
		x.lay.restore(n, &x.cur)
		ok := k.Exec(n, t, &x.ev[t])
		if !x.lay.intact(n) {
			x.broken = true
		}
		if !ok {
			if !daemon {
				x.blocked = append(x.blocked, x.ev[t])
			}
			continue
		}
		x.moved |= 1 << t
	}
}

// expanded is the threads whose successors the search takes: all that moved,
// unless a reduction chooses an ample subset.
func (x *expander) expanded() uint16 {
	if x.reduce == nil || x.moved == 0 {
		return x.moved
	}
	return x.reduce.Ample(x.k, &x.cur, x.moved) & x.moved
}

// canonical puts successor t in its class representative (a reduction's hook,
// before fingerprinting).
func (x *expander) canonical(t int) {
	if x.reduce != nil {
		x.reduce.Canonical(x.k, &x.next[t])
	}
}

// judgeState runs the state checks on s.
func (x *expander) judgeState(s *model.State, key wkey) {
	j := &x.j
	for _, c := range x.state {
		j.begin(c, key)
		x.checks[c].State(j, x.k, s)
		j.end()
	}
}

// judgeStep runs the (pure) transition checks on cur -> next[t].
func (x *expander) judgeStep(t int, key wkey) {
	j := &x.j
	for _, c := range x.step {
		j.begin(c, key)
		x.checks[c].Step(j, x.k, &x.cur, &x.next[t], &x.ev[t])
		j.end()
	}
}

// needsTraced says whether the traced checks must see cur -> next[t].
func (x *expander) needsTraced(t int) bool {
	for _, c := range x.traced {
		f := x.checks[c].Relevant
		if f == nil || f(x.k, &x.cur, &x.next[t], &x.ev[t]) {
			return true
		}
	}
	return false
}

// judgeTraced runs the traced checks on cur -> next[t], in check order.
func (x *expander) judgeTraced(t int, key wkey) {
	j := &x.j
	for _, c := range x.traced {
		j.begin(c, key)
		x.checks[c].Traced(j, x.k, &x.cur, &x.next[t], &x.ev[t])
		j.end()
	}
}

// judgeStuck runs the stuck checks on cur, whose running threads are all blocked.
func (x *expander) judgeStuck(key wkey) {
	j := &x.j
	for _, c := range x.stuck {
		j.begin(c, key)
		x.checks[c].Stuck(j, x.k, &x.cur, x.blocked)
		j.end()
	}
}

// Reduction is where a state-space reduction plugs into successor generation
// (symmetry and partial-order reduction, issue #11's later part). The engine calls
// Ample on every expanded state with the threads that can move, and explores the
// successors of the threads it returns (a subset; a stuck or terminal state is
// judged on all threads, never on the subset); it calls Canonical on every
// successor it keeps, before the successor is fingerprinted, judged by the state
// checks and stored. Transition checks see the successor as Exec made it.
//
// The engine records, for each stored state, the state it was first reached from
// and the thread: a Canonical that renames threads must make witnesses replay
// (for instance by keeping the renaming, or by re-shortening witnesses with an
// unreduced search, DESIGN.md's plan); the engine does not do it for it.
type Reduction interface {
	Ample(k *model.Kernel, s *model.State, enabled uint16) uint16
	Canonical(k *model.Kernel, s *model.State)
}
