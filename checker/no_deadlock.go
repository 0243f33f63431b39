package checker

import (
	"fmt"
	"strings"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/sim"
)

// no-deadlock: no reachable state in which every unfinished thread is blocked.
//
// The kernel rule: sleeping locks (rwsems with writer preference such as mmap_lock,
// i_rwsem, invalidate_lock; DAX entry locks with their wait queues) must be taken in
// an order that admits no cycle of waiters (reference/linux-dax.md C.1-C.3). The
// engine finds every state where all running threads wait; the report names, for
// each, the lock it waits for and the locks it holds.
func init() {
	register(&Property{
		Name:   "no-deadlock",
		Rank:   5, // its row in SPEC.md section 5
		Judges: "lock acquisitions and stuck states",
		Rule:   "no reachable state in which every unfinished thread is blocked",
		Check:  noDeadlock,
	})
}

// Coverage: the lock acquisitions judged (a deadlock needs a thread that waits
// holding a lock), and the stuck states.
func noDeadlock(Config) sim.Check {
	return sim.Check{
		Step: countAcquisitions,
		Stuck: func(j *sim.Judge, k *model.Kernel, s *model.State, blocked []model.Event) {
			j.Judged(1)
			if !j.Fail("deadlock") {
				return
			}
			var b strings.Builder
			b.WriteString("every running thread is blocked:")
			for _, ev := range blocked {
				what := "a condition"
				if ev.WaitOn != model.NoLock {
					what = k.LockName(ev.WaitOn)
				}
				fmt.Fprintf(&b, " %s waits for %s in %s holding %s;", k.ThreadName(ev.Thread), what, ev.Fn,
					k.DescribeHeld(s, ev.Thread))
			}
			j.Explain(strings.TrimSuffix(b.String(), ";"))
		},
	}
}

// countAcquisitions counts a transition that takes a lock (coverage of
// no-deadlock and lock-order).
func countAcquisitions(j *sim.Judge, _ *model.Kernel, before, after *model.State, ev *model.Event) {
	t := ev.Thread
	if after.Threads[t].Held&^before.Threads[t].Held != 0 || ev.WaitsCommit {
		j.Judged(1)
	}
}
