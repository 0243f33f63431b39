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
		Rank:    12, // its row in SPEC.md section 4
		Source:  "seed 003 (Dave Chinner, linux-fsdevel, Oct 2019)",
		Summary: "count aops calls in progress; swap only at zero",
		Rules: []string{
			"every ->fault / ->page_mkwrite / a_ops call on the inode holds a count while it runs",
			"setflag dax= takes inode_lock, waits until the count is zero, then swaps S_DAX and the a_ops",
		},
		Verdicts:  []string{"aops-consistent: violation between ->fault and ->page_mkwrite of one fault (testdata/scenarios/aops-swap/flip-aops-refcount.scn)"},
		Overrides: []string{"setflag-dax"},
		Apply: func(k *model.Kernel) {
			k.Paths[model.PathSetflagDax] = model.SetflagPath(model.Step{
				Label: "swap",
				Fn:    "setflag: wait for a_ops refcount == 0, swap",
				// The count is read off every thread's position.
				Foot: func(f *model.Foot) {
					f.R(model.RPos.All())
					f.SetDiskDax()
					f.SetSDax()
					f.SetflagDone()
				},
				Do: func(c *model.Ctx) model.Outcome {
					if opsCallsInProgress(c.K, c.S, c.St.Inode) != 0 {
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

// opsCallsInProgress is the count the proposal keeps: the threads inside an ops
// call on inode i that spans steps. A thread is inside the DAX ->fault handler
// from the end of its invalidate_lock step until the fault ends or retries (the
// synchronous-fault tail included), and inside ->page_mkwrite from the end of
// its lock step. The count is read off the threads' positions, so the proposal
// needs no state of its own.
func opsCallsInProgress(k *model.Kernel, s *model.State, i int) int {
	daxEntered := k.Paths[model.PathDAXFault].Index("invalidate-lock")
	mkwriteEntered := k.Paths[model.PathPCMkwrite].Index("lock")
	n := 0
	for t := range k.Threads {
		th := &s.Threads[t]
		if !k.Running(s, t) || th.Path == uint8(model.PathNone) || k.Threads[t].Prog[th.PC].Inode != i {
			continue
		}
		switch model.PathID(th.Path) {
		case model.PathDAXFault:
			if int(th.Step) > daxEntered {
				n++
			}
		case model.PathDAXSyncFault:
			n++
		case model.PathPCMkwrite:
			if int(th.Step) > mkwriteEntered {
				n++
			}
		}
	}
	return n
}
