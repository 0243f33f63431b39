package mutants

import "github.com/daxsim/daxsim/model"

// sync-fault-skips-fsync: dax_finish_sync_fault goes straight to
// dax_insert_pfn_mkwrite: the writeback and commit steps of the synchronous
// fault are removed (under pmem-aware-retry, the sync before VM_FAULT_RETRY).
func init() {
	register(&Mutant{Name: "sync-fault-skips-fsync",
		What:   "dax_finish_sync_fault does not call vfs_fsync_range before making the PTE writable",
		Source: "crash-model 3.8 #1 (the MAP_SYNC contract of caa51d26f85c)",
		Breaks: "no-lost-block",
		Apply: func(k *model.Kernel) {
			k.Remove(model.PathDAXSyncFault, "writeback", "commit", "commit-wait")
		},
	})
}
