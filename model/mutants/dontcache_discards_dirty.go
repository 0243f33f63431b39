package mutants

import "github.com/daxsim/daxsim/model"

// dontcache-discards-dirty: iput_final evicts an I_DONTCACHE inode dropping its
// dirty page-cache pages instead of writing them back.
func init() {
	register(&Mutant{Name: "dontcache-discards-dirty",
		What:   "evicting an I_DONTCACHE inode drops dirty page-cache pages instead of writing them back",
		Source: "crash-model 3.8 #6; 88149082bb8e \"fs: Handle I_DONTCACHE in iput_final() instead of generic_drop_inode()\" (xfstests generic/608)",
		Breaks: "expect result",
		Apply: func(k *model.Kernel) {
			k.IputFinal = func(s *model.State, i int) {
				in := &s.Inodes[i]
				for pg := range in.XA {
					if in.XA[pg].Kind == model.EntryPage {
						in.XA[pg].Dirty = 0 // dropped, never written back
					}
				}
				s.Evict(i)
			}
			k.DeclareHook(model.HookIputFinal, func(f *model.Foot, at model.Sel) {
				f.RW(model.RXA.At(at | model.SelPages))
				f.Evict(at)
			})
		},
	})
}
