package mutants

import "github.com/daxsim/daxsim/model"

// setflag-flips-live: the flag ioctl of flip-dontcache (and linux) also
// changes S_DAX and the a_ops of the live inode, as the code disabled in 4.14
// did.
func init() {
	register(&Mutant{Name: "setflag-flips-live",
		What:   "FS_IOC_FSSETXATTR also changes S_DAX and the a_ops of the live inode at once (the flip 4.14 disabled, without even its page-cache invalidation)",
		Source: "E.11 \"xfs: disable per-inode DAX flag\" (4.14); seed 003",
		Breaks: "aops-consistent",
		Apply: func(k *model.Kernel) {
			if !k.Has(model.PathSetflagDax, "mark-dontcache") {
				return
			}
			k.WrapTouching(model.PathSetflagDax, "mark-dontcache", func(f *model.Foot) { f.SetSDax() }, func(do model.StepFunc) model.StepFunc {
				return func(c *model.Ctx) model.Outcome {
					out := do(c)
					c.S.SetSDax(c.St.Inode, c.St.On) // E.11: the pre-4.14 live flip
					return out
				}
			})
		},
	})
}
