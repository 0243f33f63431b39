package proposals

import "github.com/daxsim/daxsim/model"

// map-sync: MAP_SYNC and MAP_SHARED_VALIDATE as merged in Linux 4.15 (seed 002; Jan
// Kara, "dax, ext4, xfs: Synchronous page faults", v6; b6fb293f2497 "mm: Define
// MAP_SYNC and VM_SYNC flags", caa51d26f85c "dax, iomap: Add support for
// synchronous faults"; reference/linux-dax.md A.1):
//
//   - mmap: MAP_SHARED_VALIDATE rejects unknown flags with EOPNOTSUPP; VM_SYNC is
//     computed from the unmasked flags (calc_vm_flag_bits), so MAP_SHARED|MAP_SYNC
//     and MAP_PRIVATE|MAP_SYNC set it too; the fs ->mmap refuses VM_SYNC on an
//     inode that is not DAX (daxdev_mapping_supported: EOPNOTSUPP).
//   - a write fault on a shared VM_SYNC mapping whose metadata fdatasync would have
//     to write (IOMAP_F_DIRTY) is synchronous: the entry is inserted clean and
//     without a PTE, the fault syncs the page's range (vfs_fsync_range, datasync)
//     and only then installs a writable PTE (dax_finish_sync_fault).
//   - the contract: while a block is writably mapped through a VM_SYNC mapping,
//     it is at that offset after a crash, so a store flushed from user space
//     through it is promised durable.
func init() {
	register(&Proposal{
		Name:    "map-sync",
		Rank:    2, // its row in SPEC.md section 4
		Source:  "seed 002, Linux 4.15 (b6fb293f2497, caa51d26f85c)",
		Summary: "write fault with dirty metadata: PTE read-only, fdatasync the range, then make it writable (MAP_SYNC)",
		Rules: []string{
			"mmap(MAP_SHARED_VALIDATE) rejects unknown flags with EOPNOTSUPP; MAP_SYNC on a non-DAX file is EOPNOTSUPP",
			"a shared write fault through a VM_SYNC mapping with dirty metadata commits it before the PTE becomes writable",
			"a store flushed from user space through a VM_SYNC mapping is promised durable",
		},
		Verdicts: []string{
			"flush-is-durable and no-lost-block: pass with store + flush through a shared,validate,sync mapping and a concurrent write+fsync (testdata/scenarios/durability/map-sync-flush.scn)",
			"mmap sync of a non-DAX file: EOPNOTSUPP (testdata/scenarios/durability/map-sync-errors.scn)",
		},
		Overrides: []string{"MmapFlags", "MmapCheck", "SyncFault", "UserFlushPromised"},
		Apply:     applyMapSync,
	})
}

func applyMapSync(k *model.Kernel) {
	k.MmapFlags = MmapFlagsValidate(model.VMSync)
	k.MmapCheck = mmapCheckSync
	k.SyncFault = func(c *model.Ctx, v *model.VMA) bool {
		// dax_fault_is_synchronous: IOMAP_WRITE (a shared, non-COW write fault),
		// VM_SYNC, IOMAP_F_DIRTY (fdatasync would have metadata to write).
		return v.Flags&model.VMSync != 0 && v.Flags&model.VMShared != 0 && c.S.Dirty(c.St.Inode, true)
	}
	k.UserFlushPromised = func(c *model.Ctx, v *model.VMA) bool { return v.Flags&model.VMSync != 0 }
	k.DeclareHook(model.HookMmapFlags, func(*model.Foot, model.Sel) {})
	k.DeclareHook(model.HookMmapCheck, mmapCheckSyncFoot)
	k.DeclareHook(model.HookSyncFault, syncFaultFoot)
	k.DeclareHook(model.HookUserFlushPromised, vmaFlagsFoot)
}

// syncFaultFoot: dax_fault_is_synchronous reads the VMA's flags and whether
// fdatasync has metadata to write.
func syncFaultFoot(f *model.Foot, _ model.Sel) {
	f.R(model.RVMA)
	f.Dirty()
}

// vmaFlagsFoot: a hook that reads the statement's VMA's flags.
func vmaFlagsFoot(f *model.Foot, _ model.Sel) { f.R(model.RVMA) }

// MmapFlagsValidate is do_mmap from 4.15 for a filesystem whose
// mmap_supported_flags are supported: MAP_SHARED_VALIDATE fails with EOPNOTSUPP on
// any other flag; MAP_SHARED and MAP_PRIVATE mask unknown flags off, but VM_SYNC
// comes from the unmasked flags (calc_vm_flag_bits).
func MmapFlagsValidate(supported uint8) func(c *model.Ctx, flags uint8) (uint8, model.Result) {
	known := model.VMShared | model.VMPrivate | model.VMValidate | supported
	return func(c *model.Ctx, flags uint8) (uint8, model.Result) {
		if flags&model.VMValidate != 0 && flags&^known != 0 {
			return 0, model.ResEOPNOTSUPP
		}
		vm := flags & (model.VMShared | model.VMPrivate | model.VMValidate | model.VMSync)
		return vm | flags&supported, model.ResOK
	}
}

// mmapCheckSync is ext4_file_mmap / xfs_file_mmap: daxdev_mapping_supported
// refuses VM_SYNC unless the inode is DAX.
func mmapCheckSync(c *model.Ctx, vmflags uint8) model.Result {
	if vmflags&model.VMSync != 0 && c.S.Inodes[c.St.Inode].SDax == 0 {
		return model.ResEOPNOTSUPP
	}
	return model.ResOK
}

func mmapCheckSyncFoot(f *model.Foot, _ model.Sel) { f.R(model.RCore) }
