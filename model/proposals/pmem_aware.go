package proposals

import "github.com/daxsim/daxsim/model"

// pmem-aware: seed 000 (Andy Lutomirski, Jun 2017; Christoph Hellwig's earlier
// MAP_PMEM_AWARE): ".page_mkwrite just make sure that metadata is synced when the FS
// uses DAX". Modeled on the 4.14 kernel: every write fault on a shared DAX mapping
// whose metadata fdatasync would have to write commits it before the PTE becomes
// writable, inside the fault, holding mmap_sem (as MAP_SYNC later did, but with no
// opt-in flag); so a store flushed from user space through any shared DAX mapping
// is promised durable. Dan Williams' reply in the seed: it "needs to be careful to
// manage mmap_sem vs fs journal locks".
func init() {
	register(&Proposal{
		Name:    "pmem-aware",
		Rank:    3, // its row in SPEC.md section 4
		Source:  "seed 000 (Andy Lutomirski / Dan Williams, Jun 2017)",
		Summary: "->page_mkwrite syncs dirty metadata while holding mmap_sem",
		Rules: []string{
			"a shared DAX write fault with dirty metadata commits it before installing a writable PTE, holding mmap_sem",
			"a store flushed from user space through any shared DAX mapping is promised durable",
		},
		Verdicts:  []string{"flush-is-durable, no-lost-block: pass (testdata/scenarios/proposals/pmem-aware.scn)"},
		Overrides: []string{"SyncFault", "UserFlushPromised"},
		Apply:     applyPmemAware,
	})
}

// applyPmemAware makes every shared DAX write fault with dirty metadata
// synchronous and promises flushes through any shared mapping.
func applyPmemAware(k *model.Kernel) {
	k.SyncFault = func(c *model.Ctx, v *model.VMA) bool {
		return v.Flags&model.VMShared != 0 && c.S.Dirty(c.St.Inode, true)
	}
	k.UserFlushPromised = func(c *model.Ctx, v *model.VMA) bool { return v.Flags&model.VMShared != 0 }
	k.DeclareHook(model.HookSyncFault, syncFaultFoot)
	k.DeclareHook(model.HookUserFlushPromised, vmaFlagsFoot)
}
