package mutants

import "github.com/daxsim/daxsim/model"

// fault-skips-zeroing: the DAX write fault maps the block it allocated for a
// hole with whatever the block held before.
func init() {
	register(&Mutant{Name: "fault-skips-zeroing",
		What:   "a DAX write fault maps a newly allocated block without zeroing it",
		Source: "crash-model 3.8 #4; ba5843f51d46 \"ext4: use pre-zeroed blocks for DAX page faults\"",
		Breaks: "no-data-leak",
		Apply: func(k *model.Kernel) {
			// Only a store's fault allocates, and only while the page is
			// not written (GAlloc): then it reads every block's old content
			// and puts the new block's back.
			stale := func(f *model.Foot) {
				if f.St.Op != model.OpStore {
					return
				}
				f.If(model.GAlloc, 0, func() {
					f.R(model.RMap, model.RData.All(), model.RBDur, model.RBNT, model.RBUsed, model.RBDUsed)
					f.W(model.RData, model.RBDur)
				})
			}
			k.WrapTouching(model.PathDAXFault, "iomap-begin", stale, func(do model.StepFunc) model.StepFunc {
				return func(c *model.Ctx) model.Outcome {
					in, pg := &c.S.Inodes[c.St.Inode], c.St.Page
					hole, old := in.Block[pg] == 0, c.S.Blocks
					out := do(c)
					if hole && in.Block[pg] != 0 && in.Ext[pg] == model.ExtWritten {
						// The new block keeps its old content, visible and durable.
						b := int(in.Block[pg]) - 1
						bl, o := &c.S.Blocks[b], old[b]
						bl.Val, bl.Tag, bl.Ver, bl.MVal, bl.MTag, bl.MVer = o.Val, o.Tag, o.Ver, o.MVal, o.MTag, o.MVer
					}
					return out
				}
			})
		},
	})
}
