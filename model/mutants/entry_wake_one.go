package mutants

import "github.com/daxsim/daxsim/model"

// entry-wake-one: DAX entry waiters sleep on the entry's wait queue and an
// unlock wakes only the first; a woken read fault that finds a zero-page entry
// maps it without taking the lock, so it never passes the wake-up on and the
// other sleepers wait forever (before 965d004af540).
//
// The correct model needs no queue: a blocked step retries when the lock is
// free (wake-all). Here the queue is Entry.Waiters, one bit per thread.
func init() {
	register(&Mutant{Name: "entry-wake-one",
		What:   "dax_unlock_entry wakes one waiter, and a woken read fault that finds a zero-page entry maps it without taking the entry lock, so it never passes the wake-up on",
		Source: "E.4 965d004af540 \"dax: fix deadlock with DAX 4k holes\"",
		Breaks: "no-deadlock",
		Apply: func(k *model.Kernel) {
			k.ThreadOrdered = true // the wake-up goes to the lowest-numbered waiter
			k.AddJumps(model.PathDAXFault, "grab-entry", model.RetryJumps...)
			// The sleep, and the zero page mapped without the entry lock.
			sleep := func(f *model.Foot) {
				f.R(model.RSize)
				f.RW(model.RXA)
				f.W(model.RPTE)
				f.FaultEnd()
			}
			k.WrapTouching(model.PathDAXFault, "grab-entry", sleep, func(do model.StepFunc) model.StepFunc {
				return func(c *model.Ctx) model.Outcome {
					i, pg := c.St.Inode, c.St.Page
					in := &c.S.Inodes[i]
					if pg >= int(in.Size) {
						return do(c)
					}
					e := &in.XA[pg]
					if c.T < 8 {
						if e.Waiters&(1<<c.T) != 0 {
							return c.Block(model.LockEntry(i, pg)) // asleep until an unlock wakes it
						}
						if e.Locked != 0 {
							e.Waiters |= 1 << c.T // go to sleep on the wait queue
							return c.Again()
						}
					}
					if e.Kind == model.EntryZero && c.Fault().Access != model.AccessWrite {
						// The read fault maps the zero page it finds without the
						// entry lock, and so never wakes the next waiter.
						c.Proc().PTE[c.St.VMA][pg] = model.PTE{Kind: model.PTEZero}
						c.FaultEnd()
						return c.Retry()
					}
					return do(c)
				}
			})
			// WAKE_NEXT: an unlock of the entry wakes its lowest sleeper only.
			k.WrapPathTouching(model.PathDAXFault, func(f *model.Foot) { f.RW(model.RXA) }, func(do model.StepFunc) model.StepFunc {
				return func(c *model.Ctx) model.Outcome {
					e := &c.S.Inodes[c.St.Inode].XA[c.St.Page]
					held := e.Locked == uint8(c.T+1)
					out := do(c)
					if held && e.Locked != uint8(c.T+1) && e.Waiters != 0 {
						e.Waiters &= e.Waiters - 1
					}
					return out
				}
			})
		},
	})
}
