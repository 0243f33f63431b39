package model

// The baseline kernel paths: Linux 4.14-era DAX on ext4/XFS with the invalidate_lock
// of 5.15 standing for XFS MMAPLOCK / ext4 i_mmap_sem (reference/linux-dax.md A.3),
// and FS_XFLAG_DAX affecting S_DAX only when an inode is instantiated (A.2: the live
// flip was disabled in 4.14). Proposals override entries of the path table.
//
// Step boundaries sit where the kernel can be preempted or sleep between reading
// shared state and acting on it: lock acquisition (each at the start of its own
// step, so a waiter waits holding exactly what it holds), the xarray lookup and
// insertion of a fault, ->iomap_begin, and the PTE installation. Releasing a lock is
// folded into the step before it (Lipton reduction: a release moves left).

// Access kinds kept in register R[0] of a fault path: what the user step retries.
const (
	accessRead  = 1
	accessWrite = 2
	accessFlush = 3 // a read fault on behalf of a flush
)

// Registers. Faults use R0-R3; the writeback and commit steps shared by fsync and
// the synchronous fault use R4-R7; fsync snapshots data versions in R8-R15.
const (
	rAccess   = 0 // accessRead / accessWrite / accessFlush
	rMkwrite  = 1 // 1 when the PTE was present (->pfn_mkwrite / ->page_mkwrite)
	rBlock    = 2 // block + 1 found by ->iomap_begin, 0 for a hole
	rStarted  = 3 // a_ops kind at the fault's first use of the ops
	rCursor   = 4 // writeback: next page to look at
	rTid      = 5 // commit: the tid waited for
	rDatasync = 6 // 1 for fdatasync semantics
	rHi       = 7 // writeback: last page of the range
	rSnap     = 8 // R8+pg: DVer of page pg when the fsync was called (0: not in range)
	rWasHole  = 9 // faults: the page was a hole when the fault grabbed its entry
)

// NewKernel returns a kernel with the baseline paths for filesystem fs.
func NewKernel(fs string) *Kernel {
	k := &Kernel{FS: fs, Instantiate: InstantiateFromDiskFlag, MmapFlags: MmapFlagsLegacy,
		MmapCheck: func(*Ctx, uint8) Result { return ResOK },
		SyncFault: func(*Ctx, *VMA) bool { return false }, UserFlushPromised: func(*Ctx, *VMA) bool { return false },
		Background: true}
	k.Paths[PathNotModeled] = Path{Name: "not-modeled", Steps: []Step{{Fn: "not modeled", Do: notModeled}}}
	k.Paths[PathOpen] = Path{Name: "open", Steps: []Step{{Fn: "do_sys_open -> iget", Do: openStep}}}
	k.Paths[PathClose] = Path{Name: "close", Steps: []Step{{Fn: "close_fd -> fput -> iput", Do: closeStep}}}
	k.Paths[PathMmap] = Path{Name: "mmap", Steps: append(DownWrite("vm_mmap_pgoff: mmap_write_lock", mmapLockOf),
		Step{Fn: "do_mmap -> ->mmap (vm_ops from S_DAX)", Do: mmapStep})}
	k.Paths[PathMunmap] = Path{Name: "munmap", Steps: append(DownWrite("vm_munmap: mmap_write_lock", mmapLockOf),
		Step{Fn: "do_vmi_munmap -> unmap_region -> fput", Do: munmapStep})}
	k.Paths[PathLoad] = Path{Name: "load", Steps: []Step{{Fn: "user load", Do: loadStep}}}
	k.Paths[PathStore] = Path{Name: "store", Steps: []Step{{Fn: "user store", Do: storeStep}}}
	daxFault := []Step{
		{Fn: "handle_mm_fault: mmap_read_lock", Do: faultMmapLock},
		{Fn: "dax fault handler: filemap_invalidate_lock_shared", Do: daxFaultInvalidateLock},
	}
	if fs == "ext4" {
		// ext4_dax_huge_fault holds a jbd2 handle across dax_iomap_fault for a
		// shared write fault (reference/linux-dax.md B.2).
		daxFault = append(daxFault, Step{Fn: "ext4_dax_huge_fault: ext4_journal_start", Do: ext4FaultHandle})
	}
	retry := len(daxFault) // the handle start on ext4, grab_mapping_entry on XFS
	if fs == "ext4" {
		retry--
	}
	daxFault = append(daxFault,
		Step{Fn: "dax_iomap_pte_fault: grab_mapping_entry", Do: daxGrabEntry},
		Step{Fn: "dax_iomap_pte_fault: ->iomap_begin", Do: daxIomapBegin},
		Step{Fn: "dax_iomap_pte_fault: dax_insert_entry, insert PTE, unlock", Do: daxInsert},
		Step{Fn: "ENOSPC: jbd2_journal_force_commit_nested, retry the allocation", Do: func(c *Ctx) Outcome {
			if c.S.Journal.Tid <= c.Th.R[rTid] {
				return c.Block(LockCommit)
			}
			return c.Goto(PathDAXFault, retry)
		}},
	)
	k.Paths[PathDAXFault] = Path{Name: "dax-fault", Steps: daxFault}
	k.Paths[PathPCFault] = Path{Name: "pagecache-fault", Steps: []Step{
		{Fn: "handle_mm_fault: mmap_read_lock", Do: faultMmapLock},
		{Fn: "filemap_fault: find_get_page (miss: filemap_invalidate_lock_shared)", Do: filemapFault},
		{Fn: "filemap_create_folio: add page, ->read_folio", Do: filemapCreateFolio},
		{Fn: "finish_fault: map page, unlock", Do: pcFinishFault},
	}}
	k.Paths[PathPCMkwrite] = Path{Name: "pagecache-mkwrite", Steps: []Step{
		{Fn: "handle_mm_fault: mmap_read_lock", Do: faultMmapLock},
		{Fn: "->page_mkwrite: filemap_invalidate_lock_shared", Do: pageMkwriteLock},
		{Fn: "->page_mkwrite: lock_page, ->dirty_folio", Do: pageMkwriteDirty},
	}}
	k.Paths[PathCOWFault] = Path{Name: "cow-fault", Steps: []Step{
		{Fn: "handle_mm_fault: mmap_read_lock", Do: faultMmapLock},
		{Fn: "do_cow_fault: ->fault, copy to anon page", Do: cowFault},
	}}
	k.Paths[PathSetflagDax] = SetflagPath(Step{Fn: "fileattr_set: set FS_XFLAG_DAX on disk", Do: setflagDiskOnly})
	k.Paths[PathStatx] = Path{Name: "statx", Steps: []Step{{Fn: "vfs_statx: STATX_ATTR_DAX", Do: statxStep}}}
	k.Paths[PathEvict] = Path{Name: "evict", Steps: []Step{{Fn: "prune_icache_sb -> evict", Do: evictStep}}}
	k.Paths[PathRename] = Path{Name: "rename", Steps: []Step{{Fn: "vfs_rename", Do: renameStep}}}

	for op := range k.Entry {
		k.Entry[op] = PathNotModeled
	}
	k.Entry[OpOpen] = PathOpen
	k.Entry[OpClose] = PathClose
	k.Entry[OpMmap] = PathMmap
	k.Entry[OpMunmap] = PathMunmap
	k.Entry[OpLoad] = PathLoad
	k.Entry[OpStore] = PathStore
	k.Entry[OpStatx] = PathStatx
	k.Entry[OpEvict] = PathEvict
	k.Entry[OpRename] = PathRename
	k.Entry[OpSetflag] = PathSetflagDax
	for _, f := range extraPaths {
		f(k)
	}
	return k
}

// Modeled reports whether statement st can run under this kernel, and if not why.
func (k *Kernel) Modeled(st *Stmt) (bool, string) {
	if k.Entry[st.Op] == PathNotModeled {
		return false, "its kernel path is not modeled yet"
	}
	return true, ""
}

func notModeled(c *Ctx) Outcome {
	panic("model: statement " + c.St.Text + " is not modeled; scenarios.Build should have refused it")
}

// InstantiateFromDiskFlag is the baseline S_DAX rule: S_DAX follows the on-disk
// FS_XFLAG_DAX when the inode is instantiated (dax=inode mount, 5.8
// xfs_inode_should_enable_dax / ext4_should_enable_dax).
func InstantiateFromDiskFlag(s *State, i int) {
	in := &s.Inodes[i]
	in.SDax = in.DiskDax
	in.Aops = KindOf(in.SDax)
}

// SetSDax changes S_DAX and swaps the a_ops of a live inode, as the flip proposals do.
func (s *State) SetSDax(i int, on bool) {
	in := &s.Inodes[i]
	in.SDax = b2u(on)
	in.Aops = KindOf(in.SDax)
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// DownWrite returns the two steps of down_write with writer preference: the first
// takes the rwsem if it is free, else registers as a waiting writer (which blocks
// new readers); the second waits for it. lock selects the rwsem.
func DownWrite(fn string, lock func(c *Ctx) LockID) []Step {
	return []Step{
		{Fn: fn, Do: func(c *Ctx) Outcome {
			l := lock(c)
			if c.S.tryDownWrite(c.T, l, false) {
				return c.Skip(1)
			}
			c.S.rwsem(l).WWait++
			return c.Next()
		}},
		{Fn: fn + " (wait)", Do: func(c *Ctx) Outcome {
			l := lock(c)
			if c.S.tryDownWrite(c.T, l, true) {
				return c.Next()
			}
			return c.Block(l)
		}},
	}
}

// DownRead is a step that takes the rwsem lock selects for read (down_read),
// waiting while a writer holds it or waits for it.
func DownRead(lock func(c *Ctx) LockID) func(c *Ctx) Outcome {
	return func(c *Ctx) Outcome {
		l := lock(c)
		if !c.TryDownRead(l) {
			return c.Block(l)
		}
		return c.Next()
	}
}

func mmapLockOf(c *Ctx) LockID { return LockMmap(c.ProcIndex()) }

func iRwsemOf(c *Ctx) LockID { return LockIRwsem(c.St.Inode) }

func invalidateLockOf(c *Ctx) LockID { return LockInvalidate(c.St.Inode) }

// InvalidateLockOf selects the invalidate_lock of the statement's inode (for DownWrite).
func InvalidateLockOf(c *Ctx) LockID { return invalidateLockOf(c) }

// Lock helpers for proposals.

// TryDownRead takes l for read, or reports false (changing nothing).
func (c *Ctx) TryDownRead(l LockID) bool { return c.S.tryDownRead(c.T, l) }

// UpRead releases l held for read.
func (c *Ctx) UpRead(l LockID) { c.S.upRead(c.T, l) }

// UpWrite releases l held for write.
func (c *Ctx) UpWrite(l LockID) { c.S.upWrite(c.T, l) }

// TryLockEntry takes the entry lock of page pg of inode i, or reports false.
func (c *Ctx) TryLockEntry(i, pg int) bool { return c.S.tryLockEntry(c.T, i, pg) }

// UnlockEntry releases an entry lock.
func (c *Ctx) UnlockEntry(i, pg int) { c.S.unlockEntry(c.T, i, pg) }

// --- open, close, eviction -------------------------------------------------------

func openStep(c *Ctx) Outcome {
	st := c.St
	in := &c.S.Inodes[st.Inode]
	if in.InCore == 0 {
		c.S.instantiate(c.K, st.Inode)
	}
	in.Refs++
	c.S.Files[st.File] = File{Inode: uint8(st.Inode + 1), Write: b2u(st.Write), Sync: st.Sync, FdOpen: 1, Refs: 1}
	return c.Return(ResOK)
}

// instantiate brings inode i into core (iget -> xfs_setup_inode / ext4_iget).
func (s *State) instantiate(k *Kernel, i int) {
	in := &s.Inodes[i]
	in.InCore = 1
	in.DontCache = 0
	k.Instantiate(s, i)
}

func closeStep(c *Ctx) Outcome {
	f := &c.S.Files[c.St.File]
	if f.FdOpen == 0 {
		return c.Return(ResEBADF)
	}
	f.FdOpen = 0
	c.S.fput(c.K, c.St.File)
	return c.Return(ResOK)
}

// fput drops a reference to struct file slot j; the last one releases the file and
// drops its inode reference (__fput -> dput -> iput).
func (s *State) fput(k *Kernel, j int) {
	f := &s.Files[j]
	f.Refs--
	if f.Refs != 0 {
		return
	}
	i := int(f.Inode) - 1
	*f = File{}
	in := &s.Inodes[i]
	in.Refs--
	if in.Refs == 0 && in.DontCache != 0 {
		// iput_final: I_DONTCACHE inodes are evicted at the last reference
		// (88149082bb8e "fs: Handle I_DONTCACHE in iput_final()").
		s.evict(i, !k.Bug(MutDontcacheDiscardsDirty))
	}
}

// Evict removes inode i from core (evict -> truncate_inode_pages_final): dirty
// page-cache pages are written back first, DAX entries dropped, S_DAX forgotten.
// Precondition: no references.
func (s *State) Evict(i int) { s.evict(i, true) }

// evict is Evict; writeback false drops dirty page-cache pages (the bug of
// 88149082bb8e).
func (s *State) evict(i int, writeback bool) {
	in := &s.Inodes[i]
	for pg := range in.XA {
		e := &in.XA[pg]
		if writeback && e.Kind == EntryPage && e.Dirty != 0 {
			s.writebackPageNT(i, pg) // on ENOSPC the data is lost, as in the kernel
		}
		*e = Entry{}
	}
	in.InCore, in.SDax, in.Aops, in.DontCache, in.AopsBusy = 0, 0, KindNone, 0, 0
}

// AllocBlock allocates a block for inode i when building an initial state: it is
// allocated in memory and on disk.
func (s *State) AllocBlock(i int) (int, bool) {
	b, ok := s.allocZeroed(i)
	if ok {
		s.Blocks[b].DUsed = 1
		s.Journal.Dirty = 0
	}
	return b, ok
}

func evictStep(c *Ctx) Outcome {
	in := &c.S.Inodes[c.St.Inode]
	if in.InCore == 0 {
		return c.Return(ResOK)
	}
	if in.Refs != 0 {
		return c.Return(ResEBUSY)
	}
	c.S.Evict(c.St.Inode)
	return c.Return(ResOK)
}

func renameStep(c *Ctx) Outcome {
	c.S.Inodes[c.St.Inode].Parent = uint8(c.St.Dir + 1)
	return c.Return(ResOK)
}

func statxStep(c *Ctx) Outcome {
	if c.S.Files[c.St.File].FdOpen == 0 {
		return c.Return(ResEBADF)
	}
	if c.S.Inodes[c.St.Inode].SDax != 0 {
		return c.Return(ResDax)
	}
	return c.Return(ResNodax)
}

// --- mmap, munmap ------------------------------------------------------------------

func mmapStep(c *Ctx) Outcome {
	st := c.St
	l := mmapLockOf(c)
	f := &c.S.Files[st.File]
	if f.FdOpen == 0 {
		c.UpWrite(l)
		return c.Return(ResEBADF)
	}
	flags, r := c.K.MmapFlags(c, st.Flags)
	if r == ResOK && flags&VMShared != 0 && st.Write && f.Write == 0 {
		r = ResEACCES
	}
	if r == ResOK {
		r = c.K.MmapCheck(c, flags)
	}
	if r != ResOK {
		c.UpWrite(l)
		return c.Return(r)
	}
	in := &c.S.Inodes[st.Inode]
	c.Proc().VMA[st.VMA] = VMA{File: uint8(st.File + 1), Inode: uint8(st.Inode + 1), Lo: uint8(st.Lo), Hi: uint8(st.Hi),
		Flags: flags, Write: b2u(st.Write), Ops: KindOf(in.SDax)}
	f.Refs++
	c.UpWrite(l)
	return c.Return(ResOK)
}

func munmapStep(c *Ctx) Outcome {
	p := c.Proc()
	v := &p.VMA[c.St.VMA]
	c.UpWrite(mmapLockOf(c))
	if v.File == 0 {
		return c.Return(ResOK)
	}
	j := int(v.File) - 1
	*v = VMA{}
	p.PTE[c.St.VMA] = [MaxPages]PTE{}
	c.S.fput(c.K, j)
	return c.Return(ResOK)
}

// --- load, store -----------------------------------------------------------------

// FileValue is what reading page pg of inode i returns through the page cache or
// the block map: the page-cache page if there is one, else the block's data for a
// written extent, else zero.
func (s *State) FileValue(i, pg int) uint8 {
	in := &s.Inodes[i]
	if in.XA[pg].Kind == EntryPage {
		return in.XA[pg].Val
	}
	if in.Ext[pg] == ExtWritten || in.Ext[pg] == ExtShared {
		return s.Blocks[in.Block[pg]-1].Val
	}
	return 0
}

func (s *State) pteValue(p *Proc, v, pg int) uint8 {
	pte := &p.PTE[v][pg]
	switch pte.Kind {
	case PTEDAX:
		return s.Blocks[pte.Val-1].Val
	case PTEPage:
		i := int(p.VMA[v].Inode) - 1
		if e := s.Inodes[i].XA[pg]; e.Kind == EntryPage {
			return e.Val
		}
	case PTEAnon:
		return pte.Val
	}
	return 0
}

// mappedVMA is the VMA of the statement if it maps the statement's page.
func (c *Ctx) mappedVMA() (*VMA, bool) {
	v := &c.Proc().VMA[c.St.VMA]
	pg := uint8(c.St.Page)
	return v, v.File != 0 && pg >= v.Lo && pg <= v.Hi
}

func loadStep(c *Ctx) Outcome {
	v, ok := c.mappedVMA()
	if !ok {
		return c.Return(ResSIGSEGV)
	}
	p := c.Proc()
	if pte := p.PTE[c.St.VMA][c.St.Page]; pte.Kind != PTENone {
		val := c.S.pteValue(p, c.St.VMA, c.St.Page)
		d := Data{Valid: true, Inode: c.St.Inode}
		switch {
		case pte.Kind == PTEDAX:
			bl := &c.S.Blocks[pte.Val-1]
			d.Tag, d.Freed = bl.Tag, bl.Used == 0
		case pte.Kind == PTEPage && val != 0:
			d.Tag = Tag(c.St.Inode, c.St.Page)
		}
		d.Cloned = d.Tag != 0 && d.Tag == c.S.Inodes[c.St.Inode].Origin[c.St.Page]
		d.Page = c.St.Page
		switch pte.Kind {
		case PTEDAX:
			d.Ver, d.VerKnown = c.S.blockVersion(c.St.Inode, c.St.Page, int(pte.Val)-1)
		case PTEPage:
			d.Ver, d.VerKnown = c.S.Inodes[c.St.Inode].XA[c.St.Page].Ver, true
		case PTEZero:
			d.VerKnown = true // zeroes
		}
		c.Ev.Data = d
		return c.Return(ResValue + Result(val))
	}
	c.Th.R[rAccess] = accessRead
	if v.Ops == KindDAX { // private DAX read faults map the block read-only too
		return c.Goto(PathDAXFault, 0)
	}
	return c.Goto(PathPCFault, 0)
}

func storeStep(c *Ctx) Outcome {
	v, ok := c.mappedVMA()
	if !ok || v.Write == 0 {
		return c.Return(ResSIGSEGV)
	}
	p := c.Proc()
	pte := &p.PTE[c.St.VMA][c.St.Page]
	if pte.Kind != PTENone && pte.Write != 0 {
		c.S.storeThrough(c.K, p, c.St.VMA, c.St.Page, c.St.Val)
		return c.Return(ResOK)
	}
	c.Th.R[rAccess] = accessWrite
	c.Th.R[rMkwrite] = b2u(pte.Kind != PTENone)
	switch {
	case v.Flags&VMPrivate != 0:
		return c.Goto(PathCOWFault, 0)
	case v.Ops == KindDAX:
		return c.Goto(PathDAXFault, 0)
	case pte.Kind == PTENone:
		return c.Goto(PathPCFault, 0)
	}
	return c.Goto(PathPCMkwrite, 0)
}

// storeThrough is a CPU store through a writable PTE.
func (s *State) storeThrough(k *Kernel, p *Proc, v, pg int, val uint8) {
	pte := &p.PTE[v][pg]
	i := int(p.VMA[v].Inode) - 1
	switch pte.Kind {
	case PTEDAX:
		s.userStore(k, int(pte.Val)-1, i, pg, val)
		s.completed(i, pg, s.Inodes[i].DVer[pg])
	case PTEPage:
		if e := &s.Inodes[i].XA[pg]; e.Kind == EntryPage {
			e.Val = val
			e.Dirty = 1
			e.Ver = s.bumpVersion(i, pg)
			s.completed(i, pg, e.Ver)
		}
	case PTEAnon:
		pte.Val = val
	}
}

// retry ends a fault: the access is retried by the user step.
func (c *Ctx) retry() Outcome {
	c.Th.R[rBlock], c.Th.R[rStarted], c.Th.R[rWasHole] = 0, 0, 0
	c.Th.Held &^= 1 << LockSbPagefault
	switch c.Th.R[rAccess] {
	case accessRead:
		return c.Goto(PathLoad, 0)
	case accessFlush:
		return c.Goto(PathFlush, 0)
	}
	return c.Goto(PathStore, 0)
}

// --- faults ----------------------------------------------------------------------

// faultMmapLock is handle_mm_fault's entry: lock_mm_and_find_vma takes mmap_lock for
// read; if the VMA went away meanwhile the access gets SIGSEGV.
func faultMmapLock(c *Ctx) Outcome {
	l := mmapLockOf(c)
	if !c.TryDownRead(l) {
		return c.Block(l)
	}
	if _, ok := c.mappedVMA(); !ok {
		c.UpRead(l)
		return c.Return(ResSIGSEGV)
	}
	return c.Next()
}

// faultCall is the name of the vm_ops entry point a fault runs through.
func (c *Ctx) faultCall(kind Kind) string {
	if c.Th.R[rMkwrite] == 0 {
		return "->fault"
	}
	if kind == KindDAX {
		return "->pfn_mkwrite"
	}
	return "->page_mkwrite"
}

// faultAbort ends a fault that found ops of the wrong kind. The kernel would oops
// here (a NULL a_ops method, a DAX entry handed to page-cache code); the model ends
// the access with SIGBUS so that exploration can go on, and the Use already
// recorded lets aops-consistent report it.
func (c *Ctx) faultAbort(locks ...LockID) Outcome {
	for _, l := range locks {
		c.UpRead(l)
	}
	return c.Return(ResSIGBUS)
}

// daxFaultInvalidateLock is the start of the DAX ->fault handler
// (fs/ext4/file.c:ext4_dax_huge_fault, fs/xfs/xfs_file.c:__xfs_filemap_fault):
// sb_start_pagefault, then invalidate_lock shared (MMAPLOCK_SHARED, i_mmap_sem).
func daxFaultInvalidateLock(c *Ctx) Outcome {
	l := invalidateLockOf(c)
	if !c.K.Bug(MutFaultSkipsInvalidateLock) && !c.TryDownRead(l) {
		return c.Block(l)
	}
	c.S.Inodes[c.St.Inode].AopsBusy++
	if c.sharedWrite() {
		c.Th.Held |= 1 << LockSbPagefault // sb_start_pagefault
	}
	if c.K.FS == "ext4" && !c.sharedWrite() {
		return c.Skip(1) // no handle for a read or private fault
	}
	return c.Next()
}

// sharedWrite reports whether the running fault is a write to a shared mapping
// (the faults that allocate and take a journal handle: FAULT_FLAG_WRITE && VM_SHARED).
func (c *Ctx) sharedWrite() bool {
	v := &c.Proc().VMA[c.St.VMA]
	return c.Th.R[rAccess] == accessWrite && v.Flags&VMShared != 0
}

// ext4FaultHandle starts the jbd2 handle of an ext4 DAX write fault
// (ext4_journal_start_sb(EXT4_HT_WRITE_PAGE)); it waits while the running
// transaction is locked for commit.
func ext4FaultHandle(c *Ctx) Outcome {
	if !c.StartHandle() {
		return c.Block(LockJournal)
	}
	return c.Next()
}

// faultEnd releases what a DAX fault holds after its entry lock: the journal
// handle (ext4), the ops count, invalidate_lock and mmap_lock.
func (c *Ctx) faultEnd() {
	if c.HoldsHandle() {
		c.StopHandle()
	}
	c.Th.Held &^= 1 << LockSbPagefault
	c.S.Inodes[c.St.Inode].AopsBusy--
	if !c.K.Bug(MutFaultSkipsInvalidateLock) {
		c.UpRead(invalidateLockOf(c))
	}
	c.UpRead(mmapLockOf(c))
}

// daxGrabEntry is fs/dax.c:grab_mapping_entry: wait for the entry lock, or insert a
// locked DAX_EMPTY placeholder in an empty slot. Faults beyond EOF get SIGBUS.
func daxGrabEntry(c *Ctx) Outcome {
	i, pg := c.St.Inode, c.St.Page
	in := &c.S.Inodes[i]
	if pg >= int(in.Size) {
		c.faultEnd()
		return c.Return(ResSIGBUS)
	}
	e := &in.XA[pg]
	if c.T < 8 && e.Waiters&(1<<c.T) != 0 {
		return c.Block(LockEntry(i, pg)) // asleep on the wait queue until an unlock wakes it
	}
	if e.Locked != 0 && !c.K.Bug(MutFaultSkipsEntryLock|MutFaultRezeroesBlock) {
		if c.K.Bug(MutEntryWakeOne) && c.T < 8 {
			e.Waiters |= 1 << c.T // go to sleep on the entry's wait queue
			return c.Goto(PathDAXFault, int(c.Th.Step))
		}
		return c.Block(LockEntry(i, pg))
	}
	if c.K.Bug(MutEntryWakeOne) && e.Kind == EntryZero && c.Th.R[rAccess] != accessWrite {
		// Pre-965d004af540: the read fault maps the zero page it finds without the
		// entry lock, and so never wakes the next waiter.
		c.Proc().PTE[c.St.VMA][pg] = PTE{Kind: PTEZero}
		c.faultEnd()
		return c.retry()
	}
	if e.Kind == EntryNone {
		e.Kind = EntryEmpty
	}
	c.Th.R[rWasHole] = b2u(in.Ext[pg] != ExtWritten && in.Ext[pg] != ExtShared)
	if !c.K.Bug(MutFaultSkipsEntryLock | MutFaultRezeroesBlock) {
		c.TryLockEntry(i, pg)
	}
	c.Th.R[rStarted] = uint8(in.Aops)
	c.Use(c.faultCall(KindDAX), i, pg, KindDAX, e.Kind)
	if e.Kind == EntryPage || in.Aops != KindDAX {
		c.unlockEntryIfHeld(i, pg)
		c.faultEnd()
		return c.Return(ResSIGBUS) // the kernel would oops: see faultAbort
	}
	return c.Next()
}

// unlockEntryIfHeld is dax_unlock_entry for paths that a mutant may run without
// the lock. With entry-wake-one it wakes only the first sleeper.
func (c *Ctx) unlockEntryIfHeld(i, pg int) {
	e := &c.S.Inodes[i].XA[pg]
	if e.Locked != uint8(c.T+1) {
		return
	}
	c.UnlockEntry(i, pg)
	if e.Waiters != 0 {
		e.Waiters &= e.Waiters - 1 // WAKE_NEXT: the lowest sleeper
	}
}

// daxIomapBegin is ->iomap_begin (ext4_iomap_begin / xfs_direct_write_iomap_begin)
// with the entry locked: a write to a hole or unwritten extent allocates a zeroed
// written block (EXT4_GET_BLOCKS_CREATE_ZERO, XFS_BMAPI_ZERO) in the running
// transaction: ext4 under the fault's handle, XFS in a transaction of its own
// (which, like a new handle, waits while the running transaction is locked).
func daxIomapBegin(c *Ctx) Outcome {
	i, pg := c.St.Inode, c.St.Page
	in := &c.S.Inodes[i]
	if c.sharedWrite() && in.Ext[pg] != ExtWritten {
		if r := c.gate(GateFaultAlloc, i, pg, pg); r != ResOK {
			c.unlockEntryIfHeld(i, pg)
			c.faultEnd()
			return c.Return(ResSIGBUS)
		}
	}
	if c.sharedWrite() && in.Ext[pg] == ExtShared {
		// A write to a shared extent copies it (dax_iomap_cow_copy, 5.19).
		if !c.HoldsHandle() && c.S.Journal.Locked != 0 {
			return c.Block(LockJournal)
		}
		// The kernel unmaps the old block's PTEs in dax_insert_entry, after the
		// remap; doing it first, under the entry lock, shows no PTE mapping a
		// block the offset no longer has (no-stale-pte), with the same effect.
		c.S.unmapPage(i, pg, PTENone)
		if !c.S.breakShare(i, pg) {
			c.unlockEntryIfHeld(i, pg)
			c.faultEnd()
			return c.Return(ResSIGBUS)
		}
	} else if c.sharedWrite() && in.Ext[pg] != ExtWritten {
		if !c.HoldsHandle() && c.S.Journal.Locked != 0 {
			return c.Block(LockJournal)
		}
		hole := in.Block[pg] == 0
		old, dsync := c.S.Blocks, in.DSync
		if !c.S.makeWritten(i, pg) {
			c.unlockEntryIfHeld(i, pg)
			if c.S.freedUncommitted() && !c.K.Bug(MutFaultEnospcSigbus) {
				// ENOSPC, but the running transaction frees blocks: stop the
				// handle, force a commit, retry (ext4_should_retry_alloc,
				// c0b246259792; XFS flushes busy extents the same way).
				if c.HoldsHandle() {
					c.StopHandle()
				}
				c.S.Journal.Request = 1
				c.Th.R[rTid] = c.S.Journal.Tid
				c.Ev.WaitsCommit = true
				return c.Goto(PathDAXFault, len(c.K.Paths[PathDAXFault].Steps)-1)
			}
			c.faultEnd()
			return c.Return(ResSIGBUS)
		}
		switch b := int(in.Block[pg]) - 1; {
		case hole && c.K.Bug(MutFaultSkipsZeroing):
			bl, o := &c.S.Blocks[b], old[b]
			bl.Val, bl.Tag, bl.Ver, bl.MVal, bl.MTag, bl.MVer = o.Val, o.Tag, o.Ver, o.MVal, o.MTag, o.MVer
		case !hole && c.K.Bug(MutDirtyMissesConversion):
			in.DSync = dsync
		}
	}
	if c.K.Bug(MutFaultRezeroesBlock) && c.Th.R[rWasHole] != 0 && c.sharedWrite() && in.Ext[pg] == ExtWritten {
		// 843172978bb9: the fault still thinks the block is new and zeroes it.
		b := int(in.Block[pg]) - 1
		c.S.Blocks[b] = Block{Used: 1, DUsed: c.S.Blocks[b].DUsed, Owner: uint8(i + 1)}
	}
	c.Th.R[rBlock] = 0
	if in.Ext[pg] == ExtWritten || in.Ext[pg] == ExtShared {
		c.Th.R[rBlock] = in.Block[pg]
	}
	return c.Next()
}

// daxInsert is dax_insert_entry + vmf_insert_mixed(_mkwrite), or dax_load_hole for a
// read of a hole, then dax_unlock_entry and the unlocks of the fault handler. A
// synchronous fault (MAP_SYNC, dax_fault_is_synchronous) inserts a clean entry, no
// PTE, unlocks, stops the ext4 handle and goes on to dax_finish_sync_fault.
func daxInsert(c *Ctx) Outcome {
	i, pg := c.St.Inode, c.St.Page
	in := &c.S.Inodes[i]
	e := &in.XA[pg]
	v := &c.Proc().VMA[c.St.VMA]
	pte := &c.Proc().PTE[c.St.VMA][pg]
	write := c.Th.R[rAccess] == accessWrite
	b := c.Th.R[rBlock]
	if b != 0 && write && c.K.SyncFault(c, v) {
		if e.Kind == EntryZero {
			c.S.unmapPage(i, pg, PTEZero)
		}
		e.Kind, e.Val = EntryDAX, b
		c.Use(c.faultCall(KindDAX), i, pg, KindDAX, e.Kind)
		c.unlockEntryIfHeld(i, pg)
		if c.HoldsHandle() && !c.K.Bug(MutSyncFaultHoldsHandle) {
			c.StopHandle()
		}
		c.Th.R[rCursor], c.Th.R[rHi], c.Th.R[rDatasync] = uint8(pg), uint8(pg), 1
		if c.K.Bug(MutSyncFaultSkipsFsync) {
			return c.Goto(PathDAXSyncFault, len(c.K.Paths[PathDAXSyncFault].Steps)-1)
		}
		return c.Goto(PathDAXSyncFault, 0)
	}
	if b == 0 {
		e.Kind = EntryZero
		*pte = PTE{Kind: PTEZero}
	} else {
		if e.Kind == EntryZero {
			c.S.unmapPage(i, pg, PTEZero) // dax_insert_entry unmaps the zero page first
		}
		e.Kind, e.Val = EntryDAX, b
		if write {
			e.Dirty = 1
		}
		*pte = PTE{Kind: PTEDAX, Write: b2u(write || pte.Kind == PTEDAX && pte.Write != 0), Val: b}
	}
	c.Use(c.faultCall(KindDAX), i, pg, KindDAX, e.Kind)
	c.unlockEntryIfHeld(i, pg)
	aops := in.Aops
	c.faultEnd()
	if aops != KindDAX {
		return c.Return(ResSIGBUS) // the kernel would oops: see faultAbort
	}
	return c.retry()
}

// insertPfnMkwrite is dax_insert_pfn_mkwrite, the end of dax_finish_sync_fault:
// look the entry up again (waiting for its lock); if it went away the fault is
// retried (VM_FAULT_NOPAGE); else tag it dirty and install a writable PTE.
func insertPfnMkwrite(c *Ctx) Outcome {
	i, pg := c.St.Inode, c.St.Page
	e := &c.S.Inodes[i].XA[pg]
	if e.Locked != 0 {
		return c.Block(LockEntry(i, pg))
	}
	if e.Kind == EntryDAX {
		e.Dirty = 1
		c.Proc().PTE[c.St.VMA][pg] = PTE{Kind: PTEDAX, Write: 1, Val: e.Val}
	}
	c.faultEnd()
	return c.retry()
}

// unmapPage zaps every PTE of kind (or any kind, for PTENone) mapping page pg of
// inode i in every process (unmap_mapping_pages).
func (s *State) unmapPage(i, pg int, kind uint8) {
	for p := range s.Procs {
		for v := range s.Procs[p].VMA {
			if int(s.Procs[p].VMA[v].Inode) != i+1 {
				continue
			}
			pte := &s.Procs[p].PTE[v][pg]
			if pte.Kind != PTEAnon && (kind == PTENone || pte.Kind == kind) {
				*pte = PTE{}
			}
		}
	}
}

// UnmapMapping zaps every shared PTE of inode i (unmap_mapping_range of the whole file).
func (s *State) UnmapMapping(i int) {
	for pg := 0; pg < MaxPages; pg++ {
		s.unmapPage(i, pg, PTENone)
	}
}

// filemapFault is mm/filemap.c:filemap_fault: find the page and lock it; on a miss
// take invalidate_lock shared (5.15, 730633f0b7f9) before adding a new page.
func filemapFault(c *Ctx) Outcome {
	i, pg := c.St.Inode, c.St.Page
	in := &c.S.Inodes[i]
	if pg >= int(in.Size) {
		return c.faultAbort(mmapLockOf(c))
	}
	e := &in.XA[pg]
	if e.Kind == EntryNone {
		l := invalidateLockOf(c)
		if !c.TryDownRead(l) {
			return c.Block(l)
		}
		return c.Next()
	}
	if e.Locked != 0 {
		return c.Block(LockEntry(i, pg))
	}
	c.TryLockEntry(i, pg)
	return c.filemapFaultFound(i, pg)
}

// filemapCreateFolio is filemap_create_folio: add a locked page to the page cache
// and read it through ->read_folio, then drop invalidate_lock.
func filemapCreateFolio(c *Ctx) Outcome {
	i, pg := c.St.Inode, c.St.Page
	in := &c.S.Inodes[i]
	e := &in.XA[pg]
	c.UpRead(invalidateLockOf(c))
	if e.Kind != EntryNone {
		// filemap_add_folio lost the race (-EEXIST): look the page up again.
		return c.Goto(PathPCFault, 1)
	}
	ver, _ := c.S.FileVersion(i, pg)
	*e = Entry{Kind: EntryPage, Val: c.S.FileValue(i, pg), Ver: ver}
	c.TryLockEntry(i, pg)
	return c.filemapFaultFound(i, pg)
}

// filemapFaultFound continues a page-cache fault holding the locked entry.
func (c *Ctx) filemapFaultFound(i, pg int) Outcome {
	in := &c.S.Inodes[i]
	e := &in.XA[pg]
	c.Th.R[rStarted] = uint8(in.Aops)
	c.Use("->fault", i, pg, KindPageCache, e.Kind)
	if e.Kind != EntryPage || in.Aops != KindPageCache {
		c.UnlockEntry(i, pg)
		return c.faultAbort(mmapLockOf(c))
	}
	if c.Th.R[rAccess] == accessWrite {
		// do_shared_fault: unlock the page and call ->page_mkwrite.
		c.UnlockEntry(i, pg)
		return c.Goto(PathPCMkwrite, 1)
	}
	return c.Goto(PathPCFault, 3)
}

// pcFinishFault is finish_fault for a read: map the page read-only, unlock it.
func pcFinishFault(c *Ctx) Outcome {
	i, pg := c.St.Inode, c.St.Page
	c.Proc().PTE[c.St.VMA][pg] = PTE{Kind: PTEPage}
	c.UnlockEntry(i, pg)
	c.UpRead(mmapLockOf(c))
	return c.retry()
}

// pageMkwriteLock enters ->page_mkwrite (ext4_page_mkwrite, xfs_filemap_page_mkwrite):
// sb_start_pagefault, invalidate_lock shared.
func pageMkwriteLock(c *Ctx) Outcome {
	l := invalidateLockOf(c)
	if !c.TryDownRead(l) {
		return c.Block(l)
	}
	in := &c.S.Inodes[c.St.Inode]
	in.AopsBusy++
	c.Th.Held |= 1 << LockSbPagefault // ext4_page_mkwrite: sb_start_pagefault
	if c.Th.R[rStarted] == 0 {
		c.Th.R[rStarted] = uint8(in.Aops)
	}
	return c.Next()
}

// pageMkwriteDirty locks the page, dirties it through the a_ops (->dirty_folio),
// then finish_mkwrite_fault / finish_fault makes the PTE writable.
func pageMkwriteDirty(c *Ctx) Outcome {
	i, pg := c.St.Inode, c.St.Page
	in := &c.S.Inodes[i]
	e := &in.XA[pg]
	if e.Locked != 0 {
		return c.Block(LockEntry(i, pg))
	}
	c.Use("->page_mkwrite", i, pg, KindPageCache, e.Kind)
	in.AopsBusy--
	if in.Aops != KindPageCache {
		return c.faultAbort(invalidateLockOf(c), mmapLockOf(c))
	}
	if e.Kind != EntryPage {
		// The page was truncated or invalidated meanwhile: retry the fault
		// (ext4_page_mkwrite returns VM_FAULT_NOPAGE when page->mapping changed).
		c.UpRead(invalidateLockOf(c))
		c.UpRead(mmapLockOf(c))
		return c.retry()
	}
	e.Dirty = 1
	c.Proc().PTE[c.St.VMA][pg] = PTE{Kind: PTEPage, Write: 1}
	c.UpRead(invalidateLockOf(c))
	c.UpRead(mmapLockOf(c))
	return c.retry()
}

// cowFault is do_cow_fault / wp_page_copy on a private mapping: read the file page
// through ->fault and give the process its own writable copy.
func cowFault(c *Ctx) Outcome {
	i, pg := c.St.Inode, c.St.Page
	in := &c.S.Inodes[i]
	v := &c.Proc().VMA[c.St.VMA]
	if pg >= int(in.Size) {
		return c.faultAbort(mmapLockOf(c))
	}
	pte := &c.Proc().PTE[c.St.VMA][pg]
	val := c.S.pteValue(c.Proc(), c.St.VMA, pg)
	if pte.Kind == PTENone {
		val = c.S.FileValue(i, pg)
	}
	c.Th.R[rStarted] = uint8(in.Aops)
	c.Use("->fault", i, pg, v.Ops, in.XA[pg].Kind)
	*pte = PTE{Kind: PTEAnon, Write: 1, Val: val}
	c.UpRead(mmapLockOf(c))
	return c.retry()
}

// --- the flag ioctl --------------------------------------------------------------

// SetflagPath builds the FS_IOC_FSSETXATTR path for FS_XFLAG_DAX: the fd check,
// inode_lock (vfs_fileattr_set), then body, whose last step must end with
// [Ctx.SetflagDone].
func SetflagPath(body ...Step) Path {
	steps := []Step{{Fn: "ioctl(FS_IOC_FSSETXATTR)", Do: func(c *Ctx) Outcome {
		if c.S.Files[c.St.File].FdOpen == 0 {
			return c.Return(ResEBADF)
		}
		if r := c.gate(GateSetflagDax, c.St.Inode, 0, MaxPages-1); r != ResOK {
			return c.Return(r)
		}
		c.Th.Held |= 1 << LockSbWrite // mnt_want_write_file
		return c.Next()
	}}}
	steps = append(steps, DownWrite("vfs_fileattr_set: inode_lock", iRwsemOf)...)
	return Path{Name: "setflag-dax", Steps: append(steps, body...)}
}

// SetflagDone releases inode_lock and ends the ioctl with r.
func (c *Ctx) SetflagDone(r Result) Outcome {
	c.UpWrite(iRwsemOf(c))
	return c.Return(r)
}

// SetDiskDax sets the on-disk FS_XFLAG_DAX of the statement's inode and reports
// whether it changed.
func (c *Ctx) SetDiskDax() bool {
	in := &c.S.Inodes[c.St.Inode]
	changed := in.DiskDax != b2u(c.St.On)
	in.DiskDax = b2u(c.St.On)
	return changed
}

// setflagDiskOnly is the 4.14 behaviour: the flag is stored, S_DAX does not change
// until the inode is instantiated again.
func setflagDiskOnly(c *Ctx) Outcome {
	c.SetDiskDax()
	return c.SetflagDone(ResOK)
}

// MappingEmpty reports whether inode i's xarray has no entries (xa_empty).
func (s *State) MappingEmpty(i int) bool {
	for _, e := range s.Inodes[i].XA {
		if e.Kind != EntryNone {
			return false
		}
	}
	return true
}

// LockedEntry returns the entry lock of the first locked entry of inode i.
func (s *State) LockedEntry(i int) (LockID, bool) {
	for pg, e := range s.Inodes[i].XA {
		if e.Locked != 0 {
			return LockEntry(i, pg), true
		}
	}
	return NoLock, false
}

// DeleteEntries removes every xarray entry of inode i, writing dirty page-cache
// pages back first (invalidate_inode_pages2 / dax_delete_mapping_entry).
// Precondition: no entry is locked.
func (s *State) DeleteEntries(i int) {
	in := &s.Inodes[i]
	for pg := range in.XA {
		if in.XA[pg].Kind == EntryPage && in.XA[pg].Dirty != 0 {
			s.writebackPageNT(i, pg)
		}
		in.XA[pg] = Entry{}
	}
}
