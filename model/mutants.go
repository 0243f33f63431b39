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
