package proposals

import "github.com/daxsim/daxsim/model"

// flip-live: the live flip with no exclusion at all. FS_IOC_FSSETXATTR changes
// FS_XFLAG_DAX and S_DAX and the a_ops of the live inode at once, excluding
// neither faults nor existing VMAs nor the page cache. No kernel shipped this:
// XFS up to 4.13 took IOLOCK and MMAPLOCK exclusive and invalidated the page
// cache first (that is flip-locked; reference/linux-dax.md A.2). It is the
// strawman the seed 003 thread reasons against, kept as the lower bound of the
// flip designs: its read-your-writes violation (a completed write(2) left in
// a page-cache page that a DAX read no longer sees) is the cost of skipping the
// invalidation XFS did.
func init() {
	register(&Proposal{
		Name:    "flip-live",
		Rank:    9, // its row in SPEC.md section 4
		Source:  "strawman of the seed 003 thread (no kernel shipped it; XFS <= 4.13 is flip-locked)",
		Summary: "S_DAX and the aops changed on a live inode with no exclusion and no invalidation (no kernel did this)",
		Rules: []string{
			"setflag dax= takes inode_lock, stores FS_XFLAG_DAX, and swaps S_DAX and the a_ops at once",
			"faults, VMAs and xarray entries are not looked at",
		},
		Verdicts:  []string{"aops-consistent: violation (testdata/scenarios/aops-swap/flip-live.scn)"},
		Overrides: []string{"setflag-dax"},
		Apply: func(k *model.Kernel) {
			k.Paths[model.PathSetflagDax] = model.SetflagPath(model.Step{
				Label: "swap",
				Fn:    "xfs_diflags_to_linux: swap S_DAX and a_ops",
				Foot: func(f *model.Foot) {
					f.SetDiskDax()
					f.SetSDax()
					f.SetflagDone()
				},
				Do: func(c *model.Ctx) model.Outcome {
					c.SetDiskDax()
					c.S.SetSDax(c.St.Inode, c.St.On)
					return c.SetflagDone(model.ResOK)
				},
			})
		},
	})
}
