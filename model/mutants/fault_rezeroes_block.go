package mutants

import "github.com/daxsim/daxsim/model"

// fault-rezeroes-block: two faults on a hole race without the entry lock; the
// one that saw the hole still treats the block as new and zeroes it after the
// other has allocated it and the user has written it (4.3's race).
func init() {
	register(&Mutant{Name: "fault-rezeroes-block",
		What:   "without the entry lock, a write fault that saw a hole zeroes the block another fault has just allocated and written",
		Source: "E.2 843172978bb9 \"dax: fix race between simultaneous faults\" (4.3)",
		Breaks: "flush-is-durable",
		Apply: func(k *model.Kernel) {
			k.Paths[model.PathDAXFault].Regs |= model.RegsMutant
			k.Replace(model.PathDAXFault, "grab-entry", model.Step{Fn: "dax_iomap_pte_fault: grab_mapping_entry",
				Foot: func(f *model.Foot) {
					f.R(model.RMap)
					f.GrabEntry()
					f.EntryGrabbed()
				},
				Do: func(c *model.Ctx) model.Outcome {
					ext := c.S.Inodes[c.St.Inode].Ext[c.St.Page]
					c.Mutant()[0] = 0
					if ext != model.ExtWritten && ext != model.ExtShared {
						c.Mutant()[0] = 1 // the fault saw a hole
					}
					return grabUnlocked(c)
				}})
			// A store's fault that saw a hole re-zeroes the page's block
			// (whatever it has become since).
			rezero := func(f *model.Foot) {
				if f.St.Op != model.OpStore {
					return
				}
				f.R(model.RMap, model.RVMA, model.RBDUsed)
				f.W(model.RData, model.RBUsed, model.RBDur, model.RBNT)
			}
			k.WrapTouching(model.PathDAXFault, "iomap-begin", rezero, func(do model.StepFunc) model.StepFunc {
				return func(c *model.Ctx) model.Outcome {
					out := do(c)
					i, pg := c.St.Inode, c.St.Page
					in := &c.S.Inodes[i]
					if out.Continues() && c.Mutant()[0] != 0 && c.SharedWrite() && in.Ext[pg] == model.ExtWritten {
						b := int(in.Block[pg]) - 1
						c.S.Blocks[b] = model.Block{Used: 1, DUsed: c.S.Blocks[b].DUsed, Owner: uint8(i + 1)}
					}
					return out
				}
			})
		},
	})
}
