package proposals

import "github.com/daxsim/daxsim/model"

// flip-dontcache: Linux 5.8 (Ira Weiny's per-file DAX series). FS_XFLAG_DAX changes
// on disk at once; xfs_ioctl_setattr_prepare_dax / ext4_dax_dontcache call
// d_mark_dontcache so that the last iput evicts the inode (I_DONTCACHE), and S_DAX
// follows the flag at the next instantiation (reference/linux-dax.md A.2).
func init() {
	register(&Proposal{
		Name:    "flip-dontcache",
		Rank:    14, // its row in SPEC.md section 4
		Source:  "Linux 5.8 (\"fs: Lift XFS_IDONTCACHE to the VFS layer\", xfs_ioctl_setattr_prepare_dax)",
		Summary: "FS_XFLAG_DAX changes on disk; S_DAX follows at the next instantiation (I_DONTCACHE)",
		Rules: []string{
			"setflag dax= takes inode_lock, stores FS_XFLAG_DAX and, if it changed, marks the inode I_DONTCACHE",
			"S_DAX never changes on a live inode; the last reference (close, munmap) evicts it",
			"the next open instantiates the inode with S_DAX from the on-disk flag",
		},
		Verdicts: []string{
			"aops-consistent, no-deadlock: pass (testdata/scenarios/aops-swap/flip-dontcache.scn)",
			"statx shows the old mode until the last reference is dropped (testdata/scenarios/dontcache-statx.scn)",
		},
		Overrides: []string{"setflag-dax"},
		Apply:     applyFlipDontcache,
	})
}

func applyFlipDontcache(k *model.Kernel) {
	k.Paths[model.PathSetflagDax] = model.SetflagPath(model.Step{
		Label: "mark-dontcache",
		Fn:    "xfs_ioctl_setattr_prepare_dax: d_mark_dontcache",
		Foot: func(f *model.Foot) {
			f.SetDiskDax()
			f.W(model.RDontCache)
			f.SetflagDone()
		},
		Do: func(c *model.Ctx) model.Outcome {
			if c.SetDiskDax() {
				c.S.Inodes[c.St.Inode].DontCache = 1
			}
			return c.SetflagDone(model.ResOK)
		},
	})
}
