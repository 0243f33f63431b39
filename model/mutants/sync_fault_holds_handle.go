package mutants

import "github.com/daxsim/daxsim/model"

// sync-fault-holds-handle: ext4's synchronous fault goes on to
// dax_finish_sync_fault with its jbd2 handle still open, so the fsync it runs
// waits for a commit that waits for that handle.
func init() {
	register(&Mutant{Name: "sync-fault-holds-handle",
		What:   "ext4's synchronous fault calls dax_finish_sync_fault before ext4_journal_stop: it waits for a commit that waits for its own handle",
		Source: "reference/linux-dax.md C.3(1): ext4_dax_huge_fault stops the handle first",
		Breaks: "no-deadlock",
		Apply: func(k *model.Kernel) {
			k.WrapTouching(model.PathDAXFault, "insert", func(f *model.Foot) { f.A(model.RJHandles) }, func(do model.StepFunc) model.StepFunc {
				return func(c *model.Ctx) model.Outcome {
					held := c.HoldsHandle()
					out := do(c)
					if t, ok := out.Jumped(); ok && t.Path == model.PathDAXSyncFault && held && !c.HoldsHandle() {
						c.S.Journal.Handles++ // the handle is not stopped
						c.Th.Held |= 1 << model.LockJournal
					}
					return out
				}
			})
		},
	})
}
