// Package model is the simulated kernel: the whole state of the DAX world as one flat
// value, and the kernel paths (fault, mkwrite, mmap, open/close, the flag ioctl, ...)
// as sequences of atomic steps over it.
//
// # The state is a value
//
// [State] holds no pointers, maps or slices: fixed arrays of small integers sized by
// the constants below, so copying a state is a memcpy and hashing it is hashing its
// bytes (see [State.Hash]). Every field is a uint8 (or an array of them, or the one
// uint64 lock mask per thread, placed so that the struct has no padding), so two
// states that mean the same thing have the same bytes.
//
// Objects are identified by their index in their array: inode i is the i-th file of
// the scenario, struct file slot j belongs to the j-th open statement of the
// scenario, VMA slot v of process p to the v-th mmap statement of that process. Slots
// are assigned statically when the scenario is built, so no allocator choice ever
// splits two otherwise equal states.
//
// # Locks
//
// Locks are data. Each has a [LockID]; a thread's held locks are a bit mask
// ([Thread.Held]). The kernel lock order modeled (reference/linux-dax.md C.1, C.2):
//
//	i_rwsem (inode_lock) -> mmap_lock -> invalidate_lock -> DAX entry lock / page lock
//	mmap_lock is struct mm_struct::mmap_lock (mmap_sem before 5.8), a rwsem with
//	    writer preference: a waiting writer blocks new readers;
//	i_rwsem is struct inode::i_rwsem, never taken in a fault;
//	invalidate_lock is struct address_space::invalidate_lock (5.15; XFS MMAPLOCK,
//	    ext4 i_mmap_sem before), shared in faults, exclusive in truncate/punch;
//	the DAX entry lock is the DAX_LOCKED bit of an xarray value entry
//	    (fs/dax.c:grab_mapping_entry), the page lock PG_locked for page-cache pages.
//
// A step takes at most one lock that can block, and only at its start, so a thread
// that waits always waits at a step boundary holding exactly [Thread.Held].
//
//	sb_writers -> i_rwsem -> mmap_lock -> sb_pagefault -> invalidate_lock
//	    -> jbd2 handle -> DAX entry lock      (ext4 super.c, the full order)
//
// # Where the model departs from the kernel, and why
//
// These are decisions, each chosen so that no outcome the properties judge is
// lost; the tests that pin them are named.
//
//   - Lock releases are folded into the step before them (Lipton: a release moves
//     left), and a waiting writer on a rwsem registers in its own step (writer
//     preference is observable: C.3(2) needs it).
//   - A blocked thread retries its step when the lock is free: wake-all. The
//     kernel's DAX entry unlock wakes one waiter (WAKE_NEXT); the two are
//     equivalent while every woken waiter takes the lock or passes the wake-up on,
//     which is what 965d004af540 restored; the entry-wake-one mutant (E.4) models
//     explicit sleepers and wake-one to show the difference.
//   - The journal commit is one atomic step after T_LOCKED and t_updates == 0, so
//     at most one transaction is uncommitted and a crash sees it whole or not at
//     all (crash-model 3.6's journal collapse). The commit's I/O overlapping the
//     next transaction is not modeled; no property depends on it.
//   - A page of data is one cache line with a durable lower and a visible upper
//     bound; the versions between them are all newer than the lower bound, so the
//     crash properties check the lower bound (crash-model 3.6, exact for them).
//   - Kernel non-temporal writes become durable at the next kernel fence of any
//     thread (fsync, a commit's REQ_PREFLUSH), not of their own CPU.
//   - New blocks are zeroed durably at allocation (EXT4_GET_BLOCKS_CREATE_ZERO,
//     XFS_BMAPI_ZERO wait for their zeroing).
//   - A copy-on-write fault and an allocating fault unmap the old PTEs before they
//     change the block map, under the entry lock, where dax_insert_entry does it
//     just after: the same effect, without a window no-stale-pte would flag.
//   - copy_from_user of a write(2) whose buffer is a mapping takes mmap_lock and
//     reads the page without installing its PTE.
//   - There are no PMD (huge page) entries: every mapping is 4 KiB PTEs (E.5 and
//     the PMD halves of E.8/E.9 are out of reach).
//   - After a fault uses ops of the wrong kind (aops-consistent), where the kernel
//     would oops, the model ends the access with SIGBUS so exploration goes on.
//
// # Paths, and how to change them
//
// A kernel path is a list of labelled steps (path.go); a step continues at the
// next one, jumps to a labelled step it declares, returns, blocks, or retries
// the user access. Registers are typed views (regs.go). [NewKernel] builds the
// baseline; a proposal (model/proposals) and mutants (model/mutants) edit it;
// [Kernel.Seal] resolves the labels and checks the result. What a change
// touches:
//
//   - a new proposal: one file in model/proposals and its name in the order of
//     registry.go (plus a scenario under testdata/ that asserts its verdicts);
//   - a new statement: its Op and row in ops.go, its entry path (paths.go or
//     io.go), its parser in scenarios/parse.go, and a scenario that uses it;
//   - a new property: one file in checker/, with what its state checks
//     observe (checker.Property.Observes) for partial-order reduction;
//   - a new kernel lock: its LockID range and class in lock.go (and its place
//     in the lock order above), and the steps that take it;
//   - a new step, or a new field of the state: the step's footprint (Step.Foot,
//     footprint.go) says what it reads and writes, in resource kinds; a new
//     field belongs to a kind (Deps.Changed maps each field to one, and the
//     tests of sim/por_test.go check every step against it). A hook set by a
//     proposal or mutant is declared with Kernel.DeclareHook, a wrapper with
//     Kernel.WrapTouching; what is not declared touches everything.
//
// # For proposals and mutants
//
// The exported surface they build on: the path editing of [Kernel] ([Kernel.Replace],
// [Kernel.Wrap], [Kernel.WrapLabel], [Kernel.WrapPath], [Kernel.Remove],
// [Kernel.AddJumps], [Kernel.Has]) and [Hooks]; the step builders [DownWrite],
// [DownRead], [SetflagPath], [SealSyncSteps]; the [Ctx] outcomes ([Ctx.Next],
// [Ctx.Again], [Ctx.Jump], [Ctx.JumpPast], [Ctx.Return], [Ctx.Block],
// [Ctx.Retry]) and its kernel operations (locks, journal handles, the fault's
// pieces [Ctx.GrabEntry], [Ctx.EntryGrabbed], [Ctx.DAXFaultEntered],
// [Ctx.FaultEnd]); the register views; and the exported state queries and
// updates of [State].
package model

// Sizes of the fixed arrays (DESIGN.md: files <= 4, pages <= 8, threads <= 8,
// processes <= 4), and the limits a scenario must keep to fit them. These are
// the only definitions of the limits: the scenario parser uses them.
const (
	MaxFiles           = 4  // inodes (regular files)
	MaxDirs            = 4  // directories
	MaxPages           = 8  // pages per file
	MaxScenarioThreads = 8  // threads a scenario declares
	MaxThreads         = 9  // MaxScenarioThreads and the journal thread
	MaxProcs           = 4  // processes (each one mm)
	MaxVMAs            = 4  // VMA slots per process: mmap statements of a process
	MaxOpen            = 8  // struct file slots: open statements of a scenario
	MaxBlocks          = 40 // pmem blocks
	MaxRegs            = 20 // registers per thread (regs.go)
	MaxStmts           = 32 // statements per thread
	MaxValues          = 200
	// MaxVersions is how many data-changing statements (store, write,
	// truncate, punch, reflink) a scenario may have: each starts a data
	// version of a page, and versions are bytes.
	MaxVersions = 250
)

// Kind is the kind of an operations table: the inode's address_space_operations, a
// VMA's vm_operations_struct, or the kind an xarray entry belongs to.
type Kind uint8

const (
	KindNone      Kind = iota
	KindPageCache      // ext4_aops / xfs_address_space_operations, ext4_file_vm_ops (filemap_fault)
	KindDAX            // ext4_dax_aops / xfs_dax_aops, ext4_dax_vm_ops (ext4_dax_huge_fault)
)

func (k Kind) String() string {
	switch k {
	case KindPageCache:
		return "pagecache"
	case KindDAX:
		return "dax"
	}
	return "none"
}

// KindOf is the kind S_DAX selects.
func KindOf(sdax uint8) Kind {
	if sdax != 0 {
		return KindDAX
	}
	return KindPageCache
}

// EntryKind is what an xarray slot of a file's address_space holds.
type EntryKind uint8

const (
	EntryNone  EntryKind = iota // no entry
	EntryEmpty                  // DAX_EMPTY placeholder inserted locked by grab_mapping_entry
	EntryDAX                    // DAX entry: the pfn of the block (Entry.Val)
	EntryZero                   // DAX_ZERO_PAGE entry: a hole mapped to the shared zero page
	EntryPage                   // a page-cache page (its data token is Entry.Val)
)

func (e EntryKind) String() string {
	return [...]string{"none", "dax-empty", "dax", "dax-zero", "page"}[e]
}

// Kind is the ops kind an entry belongs to.
func (e EntryKind) Kind() Kind {
	switch e {
	case EntryEmpty, EntryDAX, EntryZero:
		return KindDAX
	case EntryPage:
		return KindPageCache
	}
	return KindNone
}

// Entry is one xarray slot.
type Entry struct {
	Kind   EntryKind
	Locked uint8 // holder thread + 1; 0 when unlocked (DAX_LOCKED / PG_locked)
	Dirty  uint8 // PAGECACHE_TAG_DIRTY
	Val    uint8 // EntryDAX: block + 1; EntryPage: data token
	// Waiters are the threads (bit t) asleep on the entry's wait queue. The
	// correct model wakes every waiter at unlock (a blocked step simply retries),
	// so it leaves this zero; the entry-wake-one mutant (E.4) uses it.
	Waiters uint8
	Ver     uint8 // EntryPage: the data version the page holds
}

// RWSem is a reader/writer semaphore with writer preference (kernel/locking/rwsem.c):
// while a writer waits, new readers block.
type RWSem struct {
	Writer  uint8 // holder thread + 1, 0 when no writer holds it
	Readers uint8 // number of readers holding it
	WWait   uint8 // writers waiting
	_       uint8
}

// Extent states of a file page in the block map.
const (
	ExtHole      uint8 = iota // no block; reads zero
	ExtUnwritten              // block allocated, reads zero until converted
	ExtWritten                // block holds the data
	ExtShared                 // block shared with another file (reflink)
)

// ExtentNames names the extent states, indexed by them (the scenario syntax).
var ExtentNames = [...]string{"hole", "unwritten", "written", "shared"}

// ExtentName names extent state ext.
func ExtentName(ext uint8) string {
	if int(ext) < len(ExtentNames) {
		return ExtentNames[ext]
	}
	return "invalid"
}

// ExtentByName finds an extent state by its name.
func ExtentByName(name string) (uint8, bool) {
	for i, n := range ExtentNames {
		if n == name {
			return uint8(i), true
		}
	}
	return 0, false
}

// Inode is one regular file: its committed on-disk part, its in-memory metadata
// (what the running transaction has changed), its in-core part (meaningful while
// InCore is set), and the durability obligations the kernel has made about it.
//
// Invariant: !InCore implies Refs == 0, every XA entry is EntryNone and no VMA
// references the inode.
type Inode struct {
	// FS_XFLAG_DAX: DiskDax is the inode's flag as the filesystem holds it in
	// memory (an ioctl changes it in the running transaction, as i_flags /
	// i_diflags), DDiskDax what the last committed transaction wrote (what
	// recovery finds).
	DiskDax  uint8
	DDiskDax uint8
	Parent   uint8 // directory index + 1; 0 = the root (no DAX flag)
	// Owner is i_uid: the process that created the file + 1; 0 for the
	// scenario's declared files, which are root's.
	Owner uint8
	// Immutable is PMEM_IMMUTABLE / S_IOMAP_IMMUTABLE / S_DAXFILE, as the
	// proposal calls it: the process that set it + 1, 0 when clear.
	Immutable uint8
	// Reflink is XFS_DIFLAG2_REFLINK: the inode has shared blocks with another
	// file (set by xfs_reflink_remap_prep -> xfs_reflink_set_inode_flag on both
	// inodes, in the remap transaction; the model never clears it, XFS does so
	// only when no extent is left or on unshare). DReflink is what the last
	// committed transaction wrote. The linux model's XFS keeps a reflinked
	// inode out of DAX (proposals/linux.go).
	Reflink  uint8
	DReflink uint8

	// In core (struct inode).
	InCore    uint8 // instantiated in the inode cache
	SDax      uint8 // S_DAX; protected by nothing in the proposals that flip it live
	Aops      Kind  // inode->i_mapping->a_ops kind
	DontCache uint8 // I_DONTCACHE (d_mark_dontcache): evict at the last iput
	// Nlink is the file's name (1: linked in its directory, 0: never created
	// or unlinked; the inode lives on while referenced); DNlink is what the
	// last committed transaction says.
	Nlink  uint8
	DNlink uint8
	Refs   uint8 // struct files referring to the inode (a VMA holds its file)
	// Proposal is proposal-private state of the inode: a proposal's file says
	// what it holds (flip-aops-refcount: the ops calls in progress).
	Proposal uint8

	// Metadata. Size, Block and Ext are the in-memory values; the D* fields are
	// what the last committed transaction wrote (what recovery finds).
	Size      uint8 // i_size in pages
	DSize     uint8
	MDirty    uint8 // bit per page: block map changed in the running transaction
	SizeDirty uint8 // i_size changed in the running transaction
	// DSync is the "fdatasync has metadata to write" test (ext4 i_datasync_tid not
	// committed, XFS inode pinned with non-timestamp fields): what fdatasync and
	// IOMAP_F_DIRTY look at. Set with MDirty/SizeDirty; mutants may forget it.
	DSync    uint8
	PromZero uint8 // bit per page: a truncate or punch covering it came after its promise

	IRwsem     RWSem // i_rwsem
	Invalidate RWSem // mapping->invalidate_lock

	XA     [MaxPages]Entry // mapping->i_pages
	Block  [MaxPages]uint8 // block map: block + 1, 0 for a hole
	Ext    [MaxPages]uint8 // extent state (ExtHole...)
	DBlock [MaxPages]uint8 // committed block map
	DExt   [MaxPages]uint8

	// Data versions and obligations (reference/crash-model.md 3.4).
	DVer  [MaxPages]uint8 // version of the data at each page: bumped by every store or write
	Prom  [MaxPages]uint8 // no-lost-block: version the kernel promised durable (0: none)
	FProm [MaxPages]uint8 // flush-is-durable: version flushed from user space (0: none)
	// DoneVer is the version of the last completed store or write(2) data copy
	// to the page (read-your-writes); truncate and punch reset it.
	DoneVer [MaxPages]uint8
	// TruncVer is the data version at the page's last truncate or punch: a
	// promise of an older version may come back as zeroes (crash-model 3.4, X).
	TruncVer [MaxPages]uint8

	// Reflinked pages: Origin is the tag of the data a clone shares (0: none), and
	// CloneVer the page's data version the clone made. Data with tag Origin at a
	// cloned page is this page's data at version CloneVer.
	Origin   [MaxPages]uint8
	CloneVer [MaxPages]uint8
}

// Journal is the filesystem journal (jbd2 for ext4, the XFS log) reduced to what
// changes an outcome. Every metadata change joins the running transaction through a
// handle. A commit locks the running transaction (new handles wait: T_LOCKED),
// waits for its handles to stop (t_updates == 0), then writes it; the write and the
// commit record are one atomic step, so at most one transaction is uncommitted and
// a crash sees it either whole or not at all (reference/crash-model.md 3.6, journal
// collapse). Recovery replays exactly the committed transactions: the D* fields.
type Journal struct {
	Tid     uint8 // tid of the running transaction; every smaller tid is committed
	Locked  uint8 // the running transaction is locked for commit
	Request uint8 // a commit was requested (fsync, a synchronous fault)
	Handles uint8 // open handles on the running transaction (t_updates)
	Dirty   uint8 // the running transaction holds changes
	_       [3]uint8
}

// File is an open file description (struct file).
type File struct {
	Inode  uint8 // inode + 1; 0 = slot unused
	Write  uint8 // opened for write
	Sync   uint8 // 0, 1 = O_SYNC, 2 = O_DSYNC
	FdOpen uint8 // the descriptor bound by the open statement is still open
	Refs   uint8 // the descriptor + the VMAs mapping the file (get_file)
	Sealed uint8 // F_MAY_SEAL_IOMAP (map-direct): this file may mmap(MAP_DIRECT)
	Dir    uint8 // a directory's file: directory index + 1 (Inode is 0)
	_      uint8
}

// VMA flag bits (VMA.Flags).
const (
	VMShared   uint8 = 1 << iota // MAP_SHARED / VM_SHARED
	VMPrivate                    // MAP_PRIVATE
	VMValidate                   // MAP_SHARED_VALIDATE was used
	VMSync                       // MAP_SYNC / VM_SYNC
	VMDirect                     // MAP_DIRECT
)

// VMA is one vm_area_struct of a process mapping a range of a file.
type VMA struct {
	File  uint8 // struct file slot + 1; 0 = unmapped
	Inode uint8 // inode + 1
	Lo    uint8 // first file page mapped
	Hi    uint8 // last file page mapped
	Flags uint8 // VMShared...
	Write uint8 // PROT_WRITE
	Ops   Kind  // vm_ops kind chosen at mmap time from S_DAX (ext4_file_mmap)
	_     uint8
}

// PTE kinds (PTE.Kind).
const (
	PTENone uint8 = iota
	PTEDAX        // maps the block that the inode's xarray DAX entry names (PTE.Val = block + 1)
	PTEZero       // maps the shared zero page, read-only
	PTEPage       // maps the page-cache page of that file page
	PTEAnon       // a private COW copy; its data token is PTE.Val
)

// PTE is a page-table entry for one file page of one VMA.
type PTE struct {
	Kind  uint8
	Write uint8
	Val   uint8
}

// Proc is a process: one mm with its mmap_lock, VMAs and page tables.
type Proc struct {
	MmapLock RWSem
	VMA      [MaxVMAs]VMA
	PTE      [MaxVMAs][MaxPages]PTE // indexed by file page
}

// Thread status values.
const (
	ThreadRunning uint8 = iota
	ThreadDone
)

// Thread is one simulated thread: where it is in its program and in the kernel path
// it is running, a few registers, and the locks it holds.
type Thread struct {
	PC     uint8 // index of the statement it runs or will run next
	Path   uint8 // PathID of the kernel path in progress; 0 at a statement boundary
	Step   uint8 // step index within Path
	Status uint8
	R      [MaxRegs]uint8 // registers of the path in progress, read through views (regs.go)
	Held   uint64         // LockID bits of the locks held
}

// Block is one pmem block.
//
// Its data is one cache line with the per-line prefix semantics of
// reference/crash-model.md 3.1: Val/Tag/Ver are the newest globally visible content
// (the upper bound U), MVal/MTag/MVer the newest content guaranteed on media (the
// lower bound L). A crash leaves some content between the two. Tag says whose data
// it is: inode*MaxPages+page+1 of the store or write that produced it, 0 for zeroes.
type Block struct {
	Used  uint8 // allocated in memory (the running transaction's bitmap)
	DUsed uint8 // allocated in the committed bitmap
	Owner uint8 // inode + 1 of the file it was last allocated to
	Val   uint8 // visible data token (0 = zero)
	Tag   uint8
	Ver   uint8 // the DVer of the page whose data it is
	MVal  uint8 // durable content
	MTag  uint8
	MVer  uint8
	NT    uint8 // written by kernel non-temporal stores not yet fenced
	// External: a file outside the scenario shares the block too (a page
	// declared extents=shared), so it is never freed.
	External uint8
}

// State is the whole simulated kernel.
//
// Threads come first so that the uint64 lock masks are aligned; the other fields
// are bytes, and their total is a multiple of 8, so there is no implicit padding
// (TestStateHasNoPadding; add explicit pad fields when that test says so).
type State struct {
	Threads [MaxThreads]Thread
	Inodes  [MaxFiles]Inode
	DirDax  [MaxDirs]uint8 // FS_XFLAG_DAX of each directory (running transaction)
	DDirDax [MaxDirs]uint8 // ... as committed
	Files   [MaxOpen]File
	Procs   [MaxProcs]Proc
	Blocks  [MaxBlocks]Block
	Journal Journal
	_       [4]uint8 // no trailing padding (TestStateHasNoPadding)
}
