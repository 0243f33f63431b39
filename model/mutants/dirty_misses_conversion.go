package mutants

import "github.com/daxsim/daxsim/model"

// dirty-misses-conversion: the DAX fault's ->iomap_begin converts an unwritten
// extent without marking the inode datasync-dirty, so IOMAP_F_DIRTY (and
// fdatasync) see nothing to commit.
func init() {
	register(&Mutant{Name: "dirty-misses-conversion",
		What:   "converting an unwritten extent in a DAX write fault does not mark the inode datasync-dirty, so IOMAP_F_DIRTY is false",
		Source: "crash-model 3.8 #2; E.13 (an fdatasync test missing a block-map change)",
		Breaks: "no-lost-block",
		Apply: func(k *model.Kernel) {
			touch := func(f *model.Foot) {
				f.R(model.RMap)
				f.RW(model.RDirt)
			}
			k.WrapTouching(model.PathDAXFault, "iomap-begin", touch, func(do model.StepFunc) model.StepFunc {
				return func(c *model.Ctx) model.Outcome {
					in, pg := &c.S.Inodes[c.St.Inode], c.St.Page
					unwritten, dsync := in.Ext[pg] == model.ExtUnwritten, in.DSync
					out := do(c)
					if unwritten && in.Ext[pg] == model.ExtWritten {
						in.DSync = dsync // the conversion leaves the datasync flag as it was
					}
					return out
				}
			})
		},
	})
}
