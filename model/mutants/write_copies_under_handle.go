package mutants

import "github.com/daxsim/daxsim/model"

// write-copies-under-handle: DAX write(2) starts a journal handle before
// ->iomap_begin and stops it only after the copy from the user buffer, which
// may fault and take mmap_lock under the handle.
func init() {
	register(&Mutant{Name: "write-copies-under-handle",
		What:   "DAX write(2) keeps its journal handle open across the copy from the user buffer, which may fault and take mmap_lock",
		Source: "reference/linux-dax.md C.3(2): ext4 and XFS never fault on user memory while holding a handle",
		Breaks: "lock-order",
		Apply: func(k *model.Kernel) {
			handle := func(f *model.Foot) {
				f.StartHandle()
				f.StopHandle()
			}
			k.WrapTouching(model.PathWriteDAX, "iomap-begin", handle, func(do model.StepFunc) model.StepFunc {
				return func(c *model.Ctx) model.Outcome {
					if !c.StartHandle() {
						return c.Block(model.LockJournal)
					}
					out := do(c)
					if out.Blocked() {
						c.StopHandle()
						return out
					}
					if _, ret := out.Returned(); ret {
						c.StopHandle() // the write failed: the handle goes with it
					}
					return out
				}
			})
			stopAfter := func(always bool) func(model.StepFunc) model.StepFunc {
				return func(do model.StepFunc) model.StepFunc {
					return func(c *model.Ctx) model.Outcome {
						out := do(c)
						if _, ret := out.Returned(); (always || ret) && c.HoldsHandle() {
							c.StopHandle()
						}
						return out
					}
				}
			}
			stop := func(f *model.Foot) { f.StopHandle() }
			k.WrapTouching(model.PathWriteDAX, "copy", stop, stopAfter(true))
			k.WrapTouching(model.PathUserCopy, "copy", stop, stopAfter(false)) // EFAULT
		},
	})
}
