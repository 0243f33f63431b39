package model

// Mutants are seeded kernel bugs: each is a one-line change of the kernel paths,
// guarded by k.Bug(MutX), that re-creates a historical bug (reference/linux-dax.md
// section E) or a classic mistake (reference/crash-model.md 3.8). They test the
// checker: every mutant must be caught by a scenario under testdata/mutants/.

// Bug is a set of mutants.
type Bug uint64

// The mutants.
const (
	MutSyncFaultSkipsFsync Bug = 1 << iota
	MutDirtyMissesConversion
	MutFsyncNoWrprotect
	MutFaultSkipsZeroing
	MutCommitNoPreflush
	MutDontcacheDiscardsDirty
	MutFaultSkipsInvalidateLock
	MutSealBeforeDurable
	MutDirectReadonlyPin
	MutWriteCopiesUnderHandle
	MutFaultRezeroesBlock
	MutFaultSkipsEntryLock
	MutEntryWakeOne
	MutWriteSkipsEntryWait
	MutWriteInvalidatesFile
	MutSetflagFlipsLive
	MutSyncFaultHoldsHandle
	MutFaultEnospcSigbus
)

// Mutant describes one seeded bug.
type Mutant struct {
	Bug    Bug
	Name   string
	What   string // the change
	Source string // the historical bug and commit, or the crash-model item
	Breaks string // the property (or expect line) that must catch it
}

// Mutants lists every mutant.
var Mutants = []Mutant{
	{MutSyncFaultSkipsFsync, "sync-fault-skips-fsync",
		"dax_finish_sync_fault does not call vfs_fsync_range before making the PTE writable",
		"crash-model 3.8 #1 (the MAP_SYNC contract of caa51d26f85c)", "no-lost-block"},
	{MutDirtyMissesConversion, "dirty-misses-conversion",
		"converting an unwritten extent in a DAX write fault does not mark the inode datasync-dirty, so IOMAP_F_DIRTY is false",
		"crash-model 3.8 #2; E.13 (an fdatasync test missing a block-map change)", "no-lost-block"},
	{MutFsyncNoWrprotect, "fsync-no-wrprotect",
		"dax_writeback_one cleans the entry without write-protecting its PTEs (no dax_entry_mkclean)",
		"crash-model 3.8 #3; E.8 f729c8c9b24f, E.9 (fsync missing write-protect)", "no-lost-block"},
	{MutFaultSkipsZeroing, "fault-skips-zeroing",
		"a DAX write fault maps a newly allocated block without zeroing it",
		"crash-model 3.8 #4; ba5843f51d46 \"ext4: use pre-zeroed blocks for DAX page faults\"", "no-data-leak"},
	{MutCommitNoPreflush, "commit-no-preflush",
		"the journal commit writes its commit record without the REQ_PREFLUSH that makes earlier data writes durable",
		"crash-model 3.8 #5 (jbd2 ordering)", "no-lost-block"},
	{MutDontcacheDiscardsDirty, "dontcache-discards-dirty",
		"evicting an I_DONTCACHE inode drops dirty page-cache pages instead of writing them back",
		"crash-model 3.8 #6; 88149082bb8e \"fs: Handle I_DONTCACHE in iput_final() instead of generic_drop_inode()\" (xfstests generic/608)", "expect result"},
	{MutFaultSkipsInvalidateLock, "fault-skips-invalidate-lock",
		"the DAX fault handler does not take invalidate_lock shared, so truncate and punch do not exclude it",
		"crash-model 3.8 #8; E.1 ea3d7209ca01 \"ext4: fix races between page faults and hole punching\" (CVE-2015-8839)", "no-stale-pte"},
	{MutSealBeforeDurable, "seal-before-durable",
		"a block-map seal (PMEM_IMMUTABLE, S_DAXFILE, MAP_DIRECT) takes effect before the preallocation and the block map are committed",
		"crash-model 3.8 #7 (the proposals' own contract)", "no-lost-block"},
	{MutDirectReadonlyPin, "direct-readonly-pin",
		"mmap(MAP_DIRECT) is allowed without PROT_WRITE and without the F_MAY_SEAL_IOMAP seal (map-direct)",
		"seed 004: Kirill Shutemov's MAP_DENYWRITE objection", "no-denial"},
	{MutWriteCopiesUnderHandle, "write-copies-under-handle",
		"DAX write(2) keeps its journal handle open across the copy from the user buffer, which may fault and take mmap_lock",
		"reference/linux-dax.md C.3(2): ext4 and XFS never fault on user memory while holding a handle", "lock-order"},
	{MutFaultRezeroesBlock, "fault-rezeroes-block",
		"without the entry lock, a write fault that saw a hole zeroes the block another fault has just allocated and written",
		"E.2 843172978bb9 \"dax: fix race between simultaneous faults\" (4.3)", "flush-is-durable"},
	{MutFaultSkipsEntryLock, "fault-skips-entry-lock",
		"grab_mapping_entry does not lock the entry: a read fault that saw a hole maps the zero page over a block a write fault just mapped",
		"E.3 ac401cc78242 \"dax: New fault locking\" (4.7)", "no-stale-pte"},
	{MutEntryWakeOne, "entry-wake-one",
		"dax_unlock_entry wakes one waiter, and a woken read fault that finds a zero-page entry maps it without taking the entry lock, so it never passes the wake-up on",
		"E.4 965d004af540 \"dax: fix deadlock with DAX 4k holes\"", "no-deadlock"},
	{MutWriteSkipsEntryWait, "write-skips-entry-wait",
		"write(2)'s invalidation of a newly allocated page does not wait for a fault holding the entry lock, which then maps the zero page over the written block",
		"E.6 13e451fdc1af \"dax: fix data corruption when fault races with write\" (4.12)", "no-stale-pte"},
	{MutWriteInvalidatesFile, "write-invalidates-file",
		"DAX write(2) invalidates the whole mapping, dropping dirty entries (and their PTEs) that fsync then never flushes",
		"E.7 8b2180b3bf03 \"xfs: don't invalidate whole file on DAX read/write\"", "no-lost-block"},
	{MutSetflagFlipsLive, "setflag-flips-live",
		"FS_IOC_FSSETXATTR changes S_DAX and the a_ops of the live inode (the code disabled in 4.14)",
		"E.11 \"xfs: disable per-inode DAX flag\" (4.14); seed 003", "aops-consistent"},
	{MutSyncFaultHoldsHandle, "sync-fault-holds-handle",
		"ext4's synchronous fault calls dax_finish_sync_fault before ext4_journal_stop: it waits for a commit that waits for its own handle",
		"reference/linux-dax.md C.3(1): ext4_dax_huge_fault stops the handle first", "no-deadlock"},
	{MutFaultEnospcSigbus, "fault-enospc-sigbus",
		"a DAX write fault that finds no free block returns SIGBUS, although blocks freed by the running transaction would be free after a commit",
		"E.12 \"ext4: fix ENOSPC handling in DAX page fault handler\" (Jan Kara) and c0b246259792", "expect result"},
}

// MutantByName finds a mutant.
func MutantByName(name string) (Mutant, bool) {
	for _, m := range Mutants {
		if m.Name == name {
			return m, true
		}
	}
	return Mutant{}, false
}

// MutantNames lists the mutant names.
func MutantNames() []string {
	var out []string
	for _, m := range Mutants {
		out = append(out, m.Name)
	}
	return out
}

// Bug reports whether the kernel runs with mutant b.
func (k *Kernel) Bug(b Bug) bool { return k.Bugs&b != 0 }
