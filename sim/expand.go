package sim

import (
	"slices"

	"github.com/daxsim/daxsim/model"
)

// expander is the one successor-and-check loop: it runs one thread at a time one
// step from a state (try) and runs the checks on states, transitions and stuck
// states. BFS (each worker has one), DFS and random mode share it; they differ in
// which successors they keep and in the order keys they give the checks.
//
// Its state buffers hold the initial state's words outside the layout, so
// decoding a compact state into cur, and restoring the work buffer from cur, touch
// only the layout's words. No allocation per step (model.Kernel.Exec itself
// allocates its step context).
type expander struct {
	k      *model.Kernel
	lay    *layout
	checks []Check
	reduce Reduction
	j      Judge

	cur       model.State // the state being expanded
	w         model.State // the successor just made by try
	cw        model.State // with a reduction: w's class representative (try makes it)
	ev        model.Event // its event
	tmp       model.State // a decoded state to judge
	ref       model.State // scratch for layout checks
	moved     uint16      // threads that took a step from cur
	running   int         // scenario (not daemon) threads of cur that have not finished
	blocked   []model.Event
	wide      *layout   // the layout widened by the steps that broke it (parallel BFS)
	saved     []int64   // scratch for the counts of the state checks
	own       [][]int32 // parallel BFS: a sub-batch's candidates, by the worker that owns them
	batchSeen localSet  // parallel BFS: the candidates of this worker in the batch

	state, step, stuck, traced []int // the checks with each function
}

// outcome of try.
type outcome uint8

const (
	idle    outcome = iota // the thread has finished
	blocked                // it cannot move (its event is in blocked)
	moved                  // w and ev hold its step
	broken                 // its step wrote outside the layout (w holds it)
)

func newExpander(k *model.Kernel, lay *layout, checks []Check, reduce Reduction, counts []int64) *expander {
	x := &expander{k: k, lay: lay, reduce: reduce}
	x.j = Judge{counts: counts, from: -1, thread: -1}
	x.cur, x.w, x.cw, x.tmp, x.ref = lay.init, lay.init, lay.init, lay.init, lay.init
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
			x.saved = append(x.saved, 0)
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

// begin starts the expansion of cur.
func (x *expander) begin() {
	x.moved, x.running, x.blocked = 0, 0, x.blocked[:0]
	for t := range x.k.Threads {
		if x.k.Running(&x.cur, t) && !x.k.Threads[t].Daemon {
			x.running++
		}
	}
}

// try runs thread t one step from cur into w.
func (x *expander) try(t int) outcome {
	k := x.k
	if !k.Running(&x.cur, t) {
		return idle
	}
	x.lay.restore(&x.w, &x.cur)
	if checkWork && x.w != x.cur {
		panic("sim: the work state holds words outside the layout before a step")
	}
	if !k.Exec(&x.w, t, &x.ev) {
		if checkWork && x.w != x.cur {
			panic("sim: a step that cannot run changed the state: " + x.ev.Fn)
		}
		// A step that cannot run changes nothing (model.Kernel.Exec); a stray
		// write it made anyway would show in the next successor made in w.
		if !k.Threads[t].Daemon {
			x.blocked = append(x.blocked, x.ev)
		}
		return blocked
	}
	if !x.lay.intact(&x.w, &x.ref) {
		return broken
	}
	if x.reduce != nil {
		// The representative may hold words no step has written yet (a
		// thread's state moved to another's place): the layout must hold
		// them too, or the stored state would lose them.
		x.cw = x.w
		if x.reduce.Canonical(x.k, &x.cw) && !x.lay.intact(&x.cw, &x.ref) {
			x.w = x.cw // what the layout must widen to hold
			return broken
		}
	}
	x.moved |= 1 << t
	return moved
}

// order is the threads to try from cur, in the order to try them: all, in index
// order, or with a reduction, its ample threads first; more is the rest, to try
// only if none of those can move.
func (x *expander) order() (first, more uint16) {
	all := uint16(1)<<len(x.k.Threads) - 1
	if x.reduce == nil {
		return all, 0
	}
	a := x.reduce.Ample(x.k, &x.cur) & all
	return a, all &^ a
}

// canonical puts w in its class representative (a reduction's hook, before
// fingerprinting).
func (x *expander) canonical() {
	if x.reduce != nil {
		x.w = x.cw // made (and checked against the layout) by try
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

// judgeStep runs the (pure) transition checks on cur -> w.
func (x *expander) judgeStep(key wkey) {
	j := &x.j
	for _, c := range x.step {
		j.begin(c, key)
		x.checks[c].Step(j, x.k, &x.cur, &x.w, &x.ev)
		j.end()
	}
}

// needsTraced says whether the traced checks must see cur -> w.
func (x *expander) needsTraced() bool {
	for _, c := range x.traced {
		f := x.checks[c].Relevant
		if f == nil || f(x.k, &x.cur, &x.w, &x.ev) {
			return true
		}
	}
	return false
}

// judgeTraced runs the traced checks on cur -> w, in check order.
func (x *expander) judgeTraced(key wkey) {
	j := &x.j
	for _, c := range x.traced {
		j.begin(c, key)
		x.checks[c].Traced(j, x.k, &x.cur, &x.w, &x.ev)
		j.end()
	}
}

// judgeStuck runs the stuck checks on cur, whose running threads are all blocked.
// The blocked events go in thread order, whatever order the threads were tried in.
func (x *expander) judgeStuck(key wkey) {
	j := &x.j
	slices.SortStableFunc(x.blocked, func(a, b model.Event) int { return a.Thread - b.Thread })
	for _, c := range x.stuck {
		j.begin(c, key)
		x.checks[c].Stuck(j, x.k, &x.cur, x.blocked)
		j.end()
	}
}

// Reduction is where a state-space reduction plugs into successor generation
// (symmetry and partial-order reduction, issue #11's later part). The engine calls
// Ample on every state it expands and explores the successors of the threads it
// returns (a bit per thread); when none of them can move, it tries the other
// threads too, so a stuck or terminal state is always judged on all threads. It
// calls Canonical on every successor, after the transition checks (which see the
// successor as Exec made it) and before the successor is fingerprinted, judged by
// the state checks and stored.
//
// The engine records, for each stored state, the state it was first reached from
// and the thread: a Canonical that renames threads must make witnesses replay
// (for instance by keeping the renaming, or by re-shortening witnesses with an
// unreduced search, DESIGN.md's plan); the engine does not do it for it.
type Reduction interface {
	Ample(k *model.Kernel, s *model.State) uint16
	// Canonical puts s in its class representative and reports whether that
	// changed s.
	Canonical(k *model.Kernel, s *model.State) bool
}
