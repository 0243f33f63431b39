package proposals

import "github.com/daxsim/daxsim/model"

// pmem-aware-retry: seed 000 (Andy Lutomirski, Jun 2017): the page_mkwrite of
// pmem-aware, but "up_write(&mmap_sem); sync the metadata; down_write(&mmap_sem);
// return 0; /* retry the fault */", i.e. drop mmap_sem and the fs locks, sync, and
// return VM_FAULT_RETRY so that the fault is taken again from the start. (mm core
// only honoured VM_FAULT_RETRY from ->page_mkwrite from 2019; reference/linux-dax.md
// C.4.) The retried fault finds the metadata clean and installs a writable PTE,
// unless another thread dirtied it meanwhile, in which case it syncs again.
func init() {
	register(&Proposal{
		Name:    "pmem-aware-retry",
		Rank:    4, // its row in SPEC.md section 4
		Source:  "seed 000 (Andy Lutomirski, Jun 2017)",
		Summary: "same, but drops mmap_sem, syncs, returns VM_FAULT_RETRY",
		Rules: []string{
			"a shared DAX write fault with dirty metadata inserts a clean entry, drops the entry lock, the handle, invalidate_lock and mmap_sem",
			"then commits the metadata and returns VM_FAULT_RETRY: the access faults again from the start",
			"a store flushed from user space through any shared DAX mapping is promised durable",
		},
		Verdicts:  []string{"flush-is-durable, no-lost-block: pass (testdata/scenarios/proposals/pmem-aware-retry.scn)"},
		Uses:      []string{"pmem-aware"},
		Overrides: []string{"dax-sync-fault"},
		Apply: func(k *model.Kernel) {
			// The synchronous fault drops its locks first, then writes back
			// and commits as dax_finish_sync_fault does, then retries.
			sync := k.Paths[model.PathDAXSyncFault]
			steps := []model.Step{{Label: "unlock", Fn: "page_mkwrite: up_read(mmap_sem), drop the fs locks", Foot: func(f *model.Foot) { f.FaultEnd() }, Do: func(c *model.Ctx) model.Outcome {
				c.FaultEnd()
				return c.Next()
			}}}
			for _, l := range []string{"writeback", "commit", "commit-wait"} {
				steps = append(steps, sync.Steps[sync.Index(l)])
			}
			steps = append(steps, model.Step{Label: "finish", Fn: "VM_FAULT_RETRY: take the fault again", Jumps: model.RetryJumps,
				Foot: func(*model.Foot) {},
				Do:   func(c *model.Ctx) model.Outcome { return c.Retry() }})
			k.Paths[model.PathDAXSyncFault] = model.Path{Name: "dax-sync-fault-retry", Steps: steps, Regs: sync.Regs}
		},
	})
}
