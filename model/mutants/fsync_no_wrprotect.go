package mutants

import "github.com/daxsim/daxsim/model"

// fsync-no-wrprotect: dax_writeback_one flushes and cleans a dirty entry but
// leaves its PTEs writable, so a later store dirties the block without a new
// write fault, and the next fsync finds the entry clean.
func init() {
	register(&Mutant{Name: "fsync-no-wrprotect",
		What:   "dax_writeback_one cleans the entry without write-protecting its PTEs (no dax_entry_mkclean)",
		Source: "crash-model 3.8 #3; E.8 f729c8c9b24f, E.9 (fsync missing write-protect)",
		Breaks: "no-lost-block",
		Apply: func(k *model.Kernel) {
			k.DaxWritebackOne = func(s *model.State, i, pg int) {
				e := &s.Inodes[i].XA[pg]
				s.FlushBlock(int(e.Val) - 1)
				e.Dirty = 0
			}
			k.DeclareHook(model.HookDaxWritebackOne, func(f *model.Foot, at model.Sel) {
				f.FlushBlock(at)
				f.RW(model.RXA.At(at))
			})
		},
	})
}
