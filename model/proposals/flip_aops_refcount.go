package proposals

import "github.com/daxsim/daxsim/model"

// flip-aops-refcount: seed 003 (Dave Chinner, Oct 2019): "tracking the number of
// aops calls in progress at any given time, i.e. reference counting the aops
// structure". Modeled generously: the count covers every ops call on the inode that
// spans steps (the DAX ->fault handler, ->page_mkwrite), and the flip waits for it
// to drain before swapping. Nothing counts the time between two calls of one fault,
// nor VMAs, which keep their vm_ops.
func init() {
	register(&Proposal{
		Name:    "flip-aops-refcount",
		Source:  "seed 003 (Dave Chinner, linux-fsdevel, Oct 2019)",
		Summary: "count aops calls in progress; swap only at zero",
		Rules: []string{
			"every ->fault / ->page_mkwrite / a_ops call on the inode holds a count while it runs",
			"setflag dax= takes inode_lock, waits until the count is zero, then swaps S_DAX and the a_ops",
		},
		Verdicts: []string{"aops-consistent: violation between ->fault and ->page_mkwrite of one fault (testdata/scenarios/aops-swap/flip-aops-refcount.scn)"},
		Apply: func(k *model.Kernel) {
			k.Paths[model.PathSetflagDax] = model.SetflagPath(model.Step{
				Fn: "setflag: wait for a_ops refcount == 0, swap",
				Do: func(c *model.Ctx) model.Outcome {
					if c.S.Inodes[c.St.Inode].AopsBusy != 0 {
						return c.Block(model.NoLock)
					}
					c.SetDiskDax()
					c.S.SetSDax(c.St.Inode, c.St.On)
					return c.SetflagDone(model.ResOK)
				},
			})
		},
	})
}
