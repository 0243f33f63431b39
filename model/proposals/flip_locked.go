package proposals

import "github.com/daxsim/daxsim/model"

// flip-locked: XFS up to 4.13 (xfs_ioctl_setattr_dax_invalidate, then
// xfs_diflags_to_linux): take IOLOCK (i_rwsem) and MMAPLOCK (invalidate_lock)
// exclusive, write back and invalidate the page cache (here: unmap every PTE,
// delete every xarray entry), swap S_DAX and the a_ops. What it cannot do is
// change the vm_ops of VMAs that already exist: they keep the ops chosen at
// mmap time, which crashed kernels until 4.14 disabled the flip ("xfs: disable
// per-inode DAX flag"; reference/linux-dax.md A.2, E.11).
func init() {
	register(&Proposal{
		Name:    "flip-locked",
		Rank:    11, // its row in SPEC.md section 4
		Source:  "XFS <= 4.13 (xfs_ioctl_setattr_dax_invalidate + xfs_diflags_to_linux; disabled in 4.14)",
		Summary: "takes invalidate_lock exclusive, unmaps every PTE and deletes the xarray entries, swaps the aops; VMAs stay as they are",
		Rules: []string{
			"setflag dax= takes inode_lock, then invalidate_lock exclusive (faults are excluded)",
			"unmap_mapping_range of the whole file, then deletes every xarray entry (waiting for entry locks; dirty pages are written back)",
			"swaps S_DAX and the a_ops, unlocks; existing VMAs keep their vm_ops",
		},
		Verdicts:  []string{"aops-consistent: violation through a VMA made before the flip (testdata/scenarios/aops-swap/flip-locked.scn)"},
		Overrides: []string{"setflag-dax"},
		Apply: func(k *model.Kernel) {
			body := model.DownWrite("invalidate-lock", "filemap_invalidate_lock", model.InvalidateLockOf)
			body = append(body,
				model.Step{Label: "invalidate", Fn: "unmap_mapping_range; invalidate_inode_pages2", Foot: func(f *model.Foot) {
					f.LockedEntry()
					f.UnmapMapping()
					f.DeleteEntries()
				}, Do: func(c *model.Ctx) model.Outcome {
					if l, busy := c.S.LockedEntry(c.St.Inode); busy {
						return c.Block(l)
					}
					c.S.UnmapMapping(c.St.Inode)
					c.S.DeleteEntries(c.St.Inode)
					return c.Next()
				}},
				model.Step{Label: "swap", Fn: "swap S_DAX and a_ops; filemap_invalidate_unlock", Foot: func(f *model.Foot) {
					f.SetDiskDax()
					f.SetSDax()
					f.W(model.RInvW)
					f.SetflagDone()
				}, Do: func(c *model.Ctx) model.Outcome {
					c.SetDiskDax()
					c.S.SetSDax(c.St.Inode, c.St.On)
					c.UpWrite(model.InvalidateLockOf(c))
					return c.SetflagDone(model.ResOK)
				}},
			)
			k.Paths[model.PathSetflagDax] = model.SetflagPath(body...)
		},
	})
}
