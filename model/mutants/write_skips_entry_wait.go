package mutants

import "github.com/daxsim/daxsim/model"

// write-skips-entry-wait: write(2)'s invalidation of the page it allocated does
// not wait for a fault holding the entry lock and leaves the fault's
// placeholder, which the fault then fills with the zero page.
func init() {
	register(&Mutant{Name: "write-skips-entry-wait",
		What:   "write(2)'s invalidation of a newly allocated page does not wait for a fault holding the entry lock, which then maps the zero page over the written block",
		Source: "E.6 13e451fdc1af \"dax: fix data corruption when fault races with write\" (4.12)",
		Breaks: "no-stale-pte",
		Apply: func(k *model.Kernel) {
			k.WrapTouching(model.PathWriteDAX, "invalidate", func(f *model.Foot) { f.R(model.RXA) }, func(do model.StepFunc) model.StepFunc {
				return func(c *model.Ctx) model.Outcome {
					if c.S.Inodes[c.St.Inode].XA[c.St.Page].Locked != 0 {
						return c.Next() // the fault's placeholder is left alone
					}
					return do(c)
				}
			})
		},
	})
}
