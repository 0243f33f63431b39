package mutants

import "github.com/daxsim/daxsim/model"

// write-invalidates-file: DAX write(2) invalidates the whole mapping, dirty DAX
// entries and their PTEs included, so a later fsync has nothing to flush.
func init() {
	register(&Mutant{Name: "write-invalidates-file",
		What:   "DAX write(2) invalidates the whole mapping, dropping dirty entries (and their PTEs) that fsync then never flushes",
		Source: "E.7 8b2180b3bf03 \"xfs: don't invalidate whole file on DAX read/write\"",
		Breaks: "no-lost-block",
		Apply: func(k *model.Kernel) {
			k.Replace(model.PathWriteDAX, "invalidate", model.Step{Fn: "dax_iomap_rw: invalidate_inode_pages2_range",
				Foot: func(f *model.Foot) {
					f.LockedEntry()
					f.UnmapMapping()
					f.RW(model.RXA.Pages())
					f.W(model.RXADrop.Pages())
				},
				Do: func(c *model.Ctx) model.Outcome {
					i := c.St.Inode
					in := &c.S.Inodes[i]
					if l, busy := c.S.LockedEntry(i); busy {
						return c.Block(l)
					}
					c.S.UnmapMapping(i)
					for p := range in.XA {
						if in.XA[p].Kind != model.EntryPage {
							in.XA[p] = model.Entry{}
						}
					}
					return c.Next()
				}})
		},
	})
}
