package proposals

import "github.com/daxsim/daxsim/model"

// flip-dir-inherit: seed 003 (Boaz Harrosh's "always go by the directory", Oct 2019):
// S_DAX comes from the parent directory's flag when the inode is instantiated. A
// rename does not change a live inode (Dave Chinner: it was instantiated before the
// rename ran), so the mode changes only at the next instantiation, which may be
// never while something keeps the inode cached.
func init() {
	register(&Proposal{
		Name:    "flip-dir-inherit",
		Rank:    13, // its row in SPEC.md section 4
		Source:  "seed 003 (Boaz Harrosh / Dave Chinner, linux-fsdevel, Oct 2019)",
		Summary: "S_DAX taken from the parent directory when the inode is instantiated",
		Rules: []string{
			"at instantiation S_DAX = the parent directory's FS_XFLAG_DAX (the root has none)",
			"setflag dax= on a file only stores its on-disk flag; rename does not touch the live inode",
		},
		Verdicts: []string{
			"aops-consistent: pass (testdata/scenarios/aops-swap/flip-dir-inherit.scn)",
			"statx keeps the old mode after a rename until the inode is evicted (testdata/scenarios/dir-inherit-rename.scn)",
		},
		Overrides: []string{"Instantiate"},
		Apply: func(k *model.Kernel) {
			k.Instantiate = func(_ *model.Kernel, s *model.State, i int) {
				in := &s.Inodes[i]
				in.SDax = 0
				if in.Parent != 0 {
					in.SDax = s.DirDax[in.Parent-1]
				}
				in.Aops = model.KindOf(in.SDax)
			}
			k.DeclareHook(model.HookInstantiate, func(f *model.Foot, at model.Sel) {
				f.R(model.RLink.At(at), model.RDir.All())
				f.W(model.RCore.At(at))
			})
		},
	})
}
