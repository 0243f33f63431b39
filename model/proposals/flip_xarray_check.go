package proposals

import "github.com/daxsim/daxsim/model"

// flip-xarray-check: seed 003 (Boaz Harrosh, Oct 2019). Flip S_DAX only if the
// mapping's xarray is empty, else EBUSY. The check is made under inode_lock, which
// faults never take, so a fault can populate a slot between the check and the swap
// (Dave Chinner's reply in the same thread: the TOCTOU this proposal reproduces).
func init() {
	register(&Proposal{
		Name:    "flip-xarray-check",
		Rank:    10, // its row in SPEC.md section 4
		Source:  "seed 003 (Boaz Harrosh / Dave Chinner, linux-fsdevel, Oct 2019)",
		Summary: "flip only if the mapping's xarray is empty, checked without excluding faults",
		Rules: []string{
			"setflag dax= takes inode_lock and checks that mapping->i_pages is empty (EBUSY otherwise)",
			"then, in a later step, swaps S_DAX and the a_ops; faults are not excluded in between",
		},
		Verdicts:  []string{"aops-consistent: violation, the fault populates the xarray after the check and runs ->page_mkwrite through the other ops (testdata/scenarios/aops-swap/flip-xarray-check.scn)"},
		Overrides: []string{"setflag-dax"},
		Apply: func(k *model.Kernel) {
			// The check's answer waits in the proposal register for the swap.
			const busy, empty = 1, 2
			k.Paths[model.PathSetflagDax] = model.SetflagPath(
				model.Step{Label: "check", Fn: "setflag: xa_empty(&mapping->i_pages)?", Foot: func(f *model.Foot) { f.LockedEntry() }, Do: func(c *model.Ctx) model.Outcome {
					c.Proposal()[0] = busy
					if c.S.MappingEmpty(c.St.Inode) {
						c.Proposal()[0] = empty
					}
					return c.Next()
				}},
				model.Step{Label: "swap", Fn: "setflag: swap S_DAX and a_ops", Foot: func(f *model.Foot) {
					f.DenyForHolders()
					f.SetDiskDax()
					f.SetSDax()
					f.SetflagDone()
				}, Do: func(c *model.Ctx) model.Outcome {
					if c.Proposal()[0] != empty {
						// Whoever keeps pages or entries in the mapping (a
						// reader, a mapper) makes the flip fail.
						return c.SetflagDone(c.DenyForHolders(model.ResEBUSY, c.St.Inode, false))
					}
					c.SetDiskDax()
					c.S.SetSDax(c.St.Inode, c.St.On)
					return c.SetflagDone(model.ResOK)
				}},
			)
		},
	})
}
