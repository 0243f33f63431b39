package proposals

import "github.com/daxsim/daxsim/model"

// flip-live: XFS before 4.14. FS_IOC_FSSETXATTR changed FS_XFLAG_DAX and, through
// xfs_diflags_to_linux, S_DAX and the a_ops of the live inode at once, with no
// exclusion of faults or of existing VMAs (reference/linux-dax.md A.2, E.11; the
// flip was disabled in 4.14 by "xfs: disable per-inode DAX flag").
func init() {
	register(&Proposal{
		Name:    "flip-live",
		Source:  "XFS before 4.14 (xfs_diflags_to_linux; disabled by \"xfs: disable per-inode DAX flag\")",
		Summary: "S_DAX and the aops changed on a live inode with no exclusion",
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
				Do: func(c *model.Ctx) model.Outcome {
					c.SetDiskDax()
					c.S.SetSDax(c.St.Inode, c.St.On)
					return c.SetflagDone(model.ResOK)
				},
			})
		},
	})
}
