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

// NewKernel returns a kernel with the baseline paths for filesystem fs. The
// proposal and the mutants edit it; then it must be sealed ([Kernel.Seal]).
func NewKernel(fs *FS) *Kernel {
	k := &Kernel{FS: fs, Background: true, Hooks: Hooks{
		Instantiate:       InstantiateFromDiskFlag,
		MmapFlags:         MmapFlagsLegacy,
		MmapCheck:         func(*Ctx, uint8) Result { return ResOK },
		SyncFault:         func(*Ctx, *VMA) bool { return false },
		UserFlushPromised: func(*Ctx, *VMA) bool { return false },
		RemapSupported:    remapSupportedLinux,
		DaxWritebackOne:   daxWritebackOne,
		IputFinal:         (*State).Evict,
		ShouldRetryAlloc:  (*State).freedUncommitted,
	}}
	k.Paths[PathOpen] = Path{Name: "open", Steps: []Step{{Label: "open", Fn: "do_sys_open -> iget", Do: openStep}}}
	k.Paths[PathClose] = Path{Name: "close", Steps: []Step{{Label: "close", Fn: "close_fd -> fput -> iput", Do: closeStep}}}
	k.Paths[PathMmap] = Path{Name: "mmap", Steps: append(DownWrite("mmap-lock", "vm_mmap_pgoff: mmap_write_lock", mmapLockOf),
		Step{Label: "mmap", Fn: "do_mmap -> ->mmap (vm_ops from S_DAX)", Do: mmapStep})}
	k.Paths[PathMunmap] = Path{Name: "munmap", Steps: append(DownWrite("mmap-lock", "vm_munmap: mmap_write_lock", mmapLockOf),
		Step{Label: "munmap", Fn: "do_vmi_munmap -> unmap_region -> fput", Do: munmapStep})}
	k.Paths[PathLoad] = Path{Name: "load", Regs: RegsFault, Steps: []Step{{Label: "load", Fn: "user load", Do: loadStep,
		Jumps: []Target{At(PathDAXFault, ""), At(PathPCFault, "")}}}}
	k.Paths[PathStore] = Path{Name: "store", Regs: RegsFault, Steps: []Step{{Label: "store", Fn: "user store", Do: storeStep,
		Jumps: []Target{At(PathCOWFault, ""), At(PathDAXFault, ""), At(PathPCFault, ""), At(PathPCMkwrite, "")}}}}
	daxFault := []Step{
		{Label: "mmap-lock", Fn: "handle_mm_fault: mmap_read_lock", Do: faultMmapLock},
		{Label: "invalidate-lock", Fn: "dax fault handler: filemap_invalidate_lock_shared", Do: daxFaultInvalidateLock,
			Jumps: []Target{At(PathDAXFault, "grab-entry")}},
	}
	retry := "grab-entry" // where a fault that waited for a commit after ENOSPC starts again
	if fs.FaultHandle {
		// ext4_dax_huge_fault holds a jbd2 handle across dax_iomap_fault for a
		// shared write fault (reference/linux-dax.md B.2).
		daxFault = append(daxFault, Step{Label: "handle", Fn: "ext4_dax_huge_fault: ext4_journal_start", Do: ext4FaultHandle})
		retry = "handle"
	}
	daxFault = append(daxFault,
		Step{Label: "grab-entry", Fn: "dax_iomap_pte_fault: grab_mapping_entry", Do: daxGrabEntry},
		Step{Label: "iomap-begin", Fn: "dax_iomap_pte_fault: ->iomap_begin", Do: daxIomapBegin,
			Jumps: []Target{At(PathDAXFault, "enospc-wait")}},
		Step{Label: "insert", Fn: "dax_iomap_pte_fault: dax_insert_entry, insert PTE, unlock", Do: daxInsert,
			Jumps: Jumps([]Target{At(PathDAXSyncFault, "")}, RetryJumps)},
		Step{Label: "enospc-wait", Fn: fs.Fn["enospc-commit"], Do: enospcWait(retry),
			Jumps: []Target{At(PathDAXFault, retry)}},
	)
	k.Paths[PathDAXFault] = Path{Name: "dax-fault", Regs: RegsFault | RegsSync, Steps: daxFault}
	k.Paths[PathPCFault] = Path{Name: "pagecache-fault", Regs: RegsFault, Steps: []Step{
		{Label: "mmap-lock", Fn: "handle_mm_fault: mmap_read_lock", Do: faultMmapLock},
		{Label: "find-page", Fn: "filemap_fault: find_get_page (miss: filemap_invalidate_lock_shared)", Do: filemapFault,
			Jumps: filemapFoundJumps},
		{Label: "create-folio", Fn: "filemap_create_folio: add page, ->read_folio", Do: filemapCreateFolio,
			Jumps: Jumps([]Target{At(PathPCFault, "find-page")}, filemapFoundJumps)},
		{Label: "finish", Fn: "finish_fault: map page, unlock", Do: pcFinishFault, Jumps: RetryJumps},
	}}
	k.Paths[PathPCMkwrite] = Path{Name: "pagecache-mkwrite", Regs: RegsFault, Steps: []Step{
		{Label: "mmap-lock", Fn: "handle_mm_fault: mmap_read_lock", Do: faultMmapLock},
		{Label: "lock", Fn: "->page_mkwrite: filemap_invalidate_lock_shared", Do: pageMkwriteLock},
		{Label: "dirty", Fn: "->page_mkwrite: lock_page, ->dirty_folio", Do: pageMkwriteDirty, Jumps: RetryJumps},
	}}
	k.Paths[PathCOWFault] = Path{Name: "cow-fault", Regs: RegsFault, Steps: []Step{
		{Label: "mmap-lock", Fn: "handle_mm_fault: mmap_read_lock", Do: faultMmapLock},
		{Label: "cow", Fn: "do_cow_fault: ->fault, copy to anon page", Do: cowFault, Jumps: RetryJumps},
	}}
	k.Paths[PathSetflagDax] = SetflagPath(Step{Label: "set-disk-flag", Fn: "fileattr_set: set FS_XFLAG_DAX on disk", Do: setflagDiskOnly})
	k.Paths[PathStatx] = Path{Name: "statx", Steps: []Step{{Label: "statx", Fn: "vfs_statx: STATX_ATTR_DAX", Do: statxStep}}}
	k.Paths[PathEvict] = Path{Name: "evict", Steps: []Step{{Label: "evict", Fn: "prune_icache_sb -> evict", Do: evictStep}}}
	k.Paths[PathRename] = Path{Name: "rename", Steps: []Step{{Label: "rename", Fn: "vfs_rename", Do: renameStep}}}
	k.Paths[PathCreate] = Path{Name: "create", Steps: []Step{{Label: "create", Fn: "do_sys_open(O_CREAT|O_EXCL) -> ->create", Do: createStep}}}
	k.Paths[PathUnlink] = Path{Name: "unlink", Steps: []Step{{Label: "unlink", Fn: "do_unlinkat -> ->unlink", Do: unlinkStep}}}
	ioPaths(k)
	gatePaths(k)
	remapPaths(k)
	return k
}

// filemapFoundJumps are where a page-cache fault holding its page goes on
// (filemapFaultFound).
var filemapFoundJumps = []Target{At(PathPCMkwrite, "lock"), At(PathPCFault, "finish")}

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

// DownWrite returns the two steps of down_write with writer preference, labelled
// label and label-wait: the first takes the rwsem if it is free, else registers
// as a waiting writer (which blocks new readers); the second waits for it. lock
// selects the rwsem; NoLock means there is nothing to take (the second lock of
// lock_two_nondirectories on one inode).
func DownWrite(label, fn string, lock func(c *Ctx) LockID) []Step {
	wait := label + "-wait"
	return []Step{
		{Label: label, Fn: fn, Jumps: []Target{Past(PathSelf, wait)}, Do: func(c *Ctx) Outcome {
			l := lock(c)
			if l == NoLock || c.S.tryDownWrite(c.T, l, false) {
				return c.JumpPast(PathSelf, wait)
			}
			c.S.rwsem(l).WWait++
			return c.Next()
		}},
		{Label: wait, Fn: fn + " (wait)", Do: func(c *Ctx) Outcome {
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

// IRwsemOf selects the inode_lock of the statement's inode (for DownWrite).
func IRwsemOf(c *Ctx) LockID { return LockIRwsem(c.St.Inode) }

// InvalidateLockOf selects the invalidate_lock of the statement's inode (for DownWrite).
func InvalidateLockOf(c *Ctx) LockID { return LockInvalidate(c.St.Inode) }

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
	if st.Inode < 0 {
		return c.openDir()
	}
	in := &c.S.Inodes[st.Inode]
	if in.Nlink == 0 {
		return c.Return(ResENOENT)
	}
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
	k.Instantiate(k, s, i)
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
	if i >= 0 {
		s.iput(k, i)
	}
}

// Evict removes inode i from core as iput_final does for an I_DONTCACHE inode:
// write_inode_now(inode, 1) writes the dirty data back first (dirty page-cache
// pages to their blocks; dirty DAX entries flushed by ->writepages =
// dax_writeback_mapping_range), then evict -> truncate_inode_pages_final drops
// the entries and S_DAX is forgotten. Precondition: no references.
//
// ext4's write_inode_now also forces a journal commit (ext4_write_inode with
// WB_SYNC_ALL); the model does not, so it allows more crash outcomes there,
// never fewer.
func (s *State) Evict(i int) {
	in := &s.Inodes[i]
	for pg := range in.XA {
		e := &in.XA[pg]
		switch {
		case e.Kind == EntryPage && e.Dirty != 0:
			s.writebackPageNT(i, pg) // on ENOSPC the data is lost, as in the kernel
		case e.Kind == EntryDAX && e.Dirty != 0:
			s.FlushBlock(int(e.Val) - 1)
		}
		*e = Entry{}
	}
	in.InCore, in.SDax, in.Aops, in.DontCache = 0, 0, KindNone, 0
}

// Dirty data or metadata keeps an inode off the LRU: memory pressure does not
// evict it (inode_lru_isolate skips inodes with I_DIRTY, which a dirty page or
// DAX entry or an uncommitted metadata change sets).
func (s *State) inodeDirty(i int) bool {
	in := &s.Inodes[i]
	for _, e := range in.XA {
		if e.Dirty != 0 {
			return true
		}
	}
	return in.MDirty != 0 || in.SizeDirty != 0 || in.DSync != 0
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

// evictStep is memory pressure on the inode cache (echo 2 >
// /proc/sys/vm/drop_caches: prune_icache_sb): an unreferenced, clean inode is
// evicted; a referenced or dirty one stays. It always succeeds.
func evictStep(c *Ctx) Outcome {
	i := c.St.Inode
	if in := &c.S.Inodes[i]; in.InCore != 0 && in.Refs == 0 && !c.S.inodeDirty(i) {
		c.S.Evict(i)
	}
	return c.Return(ResOK)
}

func renameStep(c *Ctx) Outcome {
	if c.S.Inodes[c.St.Inode].Nlink == 0 {
		return c.Return(ResENOENT) // do_renameat2: the source name is gone
	}
	c.S.Inodes[c.St.Inode].Parent = uint8(c.St.Dir + 1)
	return c.Return(ResOK)
}

func statxStep(c *Ctx) Outcome {
	if c.S.Files[c.St.File].FdOpen == 0 {
		return c.Return(ResEBADF)
	}
	if c.St.Inode >= 0 && c.S.Inodes[c.St.Inode].SDax != 0 {
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

// MappedVMA is the VMA of the statement if it maps the statement's page.
func (c *Ctx) MappedVMA() (*VMA, bool) {
	v := &c.Proc().VMA[c.St.VMA]
	pg := uint8(c.St.Page)
	return v, v.File != 0 && pg >= v.Lo && pg <= v.Hi
}

func loadStep(c *Ctx) Outcome {
	v, ok := c.MappedVMA()
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
	c.Fault().Access = AccessRead
	if v.Ops == KindDAX { // private DAX read faults map the block read-only too
		return c.Jump(PathDAXFault, "")
	}
	return c.Jump(PathPCFault, "")
}

func storeStep(c *Ctx) Outcome {
	v, ok := c.MappedVMA()
	if !ok || v.Write == 0 {
		return c.Return(ResSIGSEGV)
	}
	p := c.Proc()
	pte := &p.PTE[c.St.VMA][c.St.Page]
	if pte.Kind != PTENone && pte.Write != 0 {
		c.S.storeThrough(c.K, p, c.St.VMA, c.St.Page, c.St.Val)
		if c.K.EADR && pte.Kind == PTEDAX {
			c.userPersisted(v, pte) // globally visible is durable under eADR
		}
		return c.Return(ResOK)
	}
	f := c.Fault()
	f.Access = AccessWrite
	f.Mkwrite = b2u(pte.Kind != PTENone)
	switch {
	case v.Flags&VMPrivate != 0:
		return c.Jump(PathCOWFault, "")
	case v.Ops == KindDAX:
		return c.Jump(PathDAXFault, "")
	case pte.Kind == PTENone:
		return c.Jump(PathPCFault, "")
	}
	return c.Jump(PathPCMkwrite, "")
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

// Retry ends a fault: the user access is taken again (VM_FAULT_RETRY,
// VM_FAULT_NOPAGE, or a fault that completed). The step must declare
// [RetryJumps]. The mutant registers live for one attempt of a fault.
func (c *Ctx) Retry() Outcome {
	f := c.Fault()
	f.Block, f.Started = 0, 0
	clear(c.Th.R[offMutant : offMutant+len(MutantRegs{})])
	c.Th.Held &^= 1 << LockSbPagefault
	switch f.Access {
	case AccessRead:
		return c.Jump(PathLoad, "")
	case AccessFlush:
		return c.Jump(PathFlush, "")
	}
	return c.Jump(PathStore, "")
}

// --- faults ----------------------------------------------------------------------

// faultMmapLock is handle_mm_fault's entry: lock_mm_and_find_vma takes mmap_lock for
// read; if the VMA went away meanwhile the access gets SIGSEGV.
func faultMmapLock(c *Ctx) Outcome {
	l := mmapLockOf(c)
	if !c.TryDownRead(l) {
		return c.Block(l)
	}
	if _, ok := c.MappedVMA(); !ok {
		c.UpRead(l)
		return c.Return(ResSIGSEGV)
	}
	return c.Next()
}

// faultCall is the name of the vm_ops entry point a fault runs through.
func (c *Ctx) faultCall(kind Kind) string {
	if c.Fault().Mkwrite == 0 {
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
	l := InvalidateLockOf(c)
	if !c.TryDownRead(l) {
		return c.Block(l)
	}
	return c.DAXFaultEntered()
}

// DAXFaultEntered is what the DAX fault handler does once it holds
// invalidate_lock: sb_start_pagefault for a shared write fault, and on ext4 the
// journal handle, which a read or private fault does not start.
func (c *Ctx) DAXFaultEntered() Outcome {
	if c.SharedWrite() {
		c.Th.Held |= 1 << LockSbPagefault // sb_start_pagefault
	}
	if c.K.FS.FaultHandle && !c.SharedWrite() {
		return c.Jump(PathDAXFault, "grab-entry") // no handle for a read or private fault
	}
	return c.Next()
}

// SharedWrite reports whether the running fault is a write to a shared mapping
// (the faults that allocate and take a journal handle: FAULT_FLAG_WRITE && VM_SHARED).
func (c *Ctx) SharedWrite() bool {
	v := &c.Proc().VMA[c.St.VMA]
	return c.Fault().Access == AccessWrite && v.Flags&VMShared != 0
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

// FaultEnd releases what a DAX fault holds after its entry lock: the journal
// handle (ext4), sb_pagefault, invalidate_lock (filemap_invalidate_unlock_shared
// of the lock the handler took) and mmap_lock.
func (c *Ctx) FaultEnd() {
	if c.HoldsHandle() {
		c.StopHandle()
	}
	c.Th.Held &^= 1 << LockSbPagefault
	if l := InvalidateLockOf(c); c.Holds(l) {
		c.UpRead(l)
	}
	c.UpRead(mmapLockOf(c))
}

// Holds reports whether the running thread holds lock l.
func (c *Ctx) Holds(l LockID) bool { return c.Th.Held&(1<<l) != 0 }

// daxGrabEntry is fs/dax.c:grab_mapping_entry: wait for the entry lock, or insert a
// locked DAX_EMPTY placeholder in an empty slot. Faults beyond EOF get SIGBUS.
func daxGrabEntry(c *Ctx) Outcome {
	i, pg := c.St.Inode, c.St.Page
	e := &c.S.Inodes[i].XA[pg]
	if e.Locked != 0 && int(c.S.Inodes[i].Size) > pg {
		return c.Block(LockEntry(i, pg))
	}
	if r, ok := c.GrabEntry(); !ok {
		return c.Return(r)
	}
	c.TryLockEntry(i, pg)
	return c.EntryGrabbed()
}

// GrabEntry is grab_mapping_entry up to taking the lock: a fault beyond EOF
// ends (SIGBUS), an empty slot gets a DAX_EMPTY placeholder. It reports false
// with the result when the fault ended.
func (c *Ctx) GrabEntry() (Result, bool) {
	i, pg := c.St.Inode, c.St.Page
	in := &c.S.Inodes[i]
	if pg >= int(in.Size) {
		c.FaultEnd()
		return ResSIGBUS, false
	}
	if e := &in.XA[pg]; e.Kind == EntryNone {
		e.Kind = EntryEmpty
	}
	return ResOK, true
}

// EntryGrabbed records the fault's first call through the ops and checks that
// it found a DAX entry in a DAX inode; otherwise the kernel would oops (see
// faultAbort) and the model ends the access with SIGBUS.
func (c *Ctx) EntryGrabbed() Outcome {
	i, pg := c.St.Inode, c.St.Page
	in := &c.S.Inodes[i]
	e := &in.XA[pg]
	c.Fault().Started = uint8(in.Aops)
	c.Use(c.faultCall(KindDAX), i, pg, KindDAX, e.Kind)
	if e.Kind == EntryPage || in.Aops != KindDAX {
		c.DaxUnlockEntry(i, pg)
		c.FaultEnd()
		return c.Return(ResSIGBUS) // the kernel would oops: see faultAbort
	}
	return c.Next()
}

// DaxUnlockEntry is dax_unlock_entry: drop the lock of page pg of inode i if the
// running thread holds it (a fault that did not lock its entry, under a
// mutant, has none to drop).
func (c *Ctx) DaxUnlockEntry(i, pg int) {
	if c.S.Inodes[i].XA[pg].Locked == uint8(c.T+1) {
		c.UnlockEntry(i, pg)
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
	if c.SharedWrite() && in.Ext[pg] != ExtWritten {
		if r := c.gate(GateFaultAlloc, i, pg, pg); r != ResOK {
			c.DaxUnlockEntry(i, pg)
			c.FaultEnd()
			return c.Return(ResSIGBUS)
		}
	}
	if c.SharedWrite() && in.Ext[pg] == ExtShared {
		// A write to a shared extent copies it (dax_iomap_cow_copy, 5.19).
		if !c.HoldsHandle() && c.S.Journal.Locked != 0 {
			return c.Block(LockJournal)
		}
		// The kernel unmaps the old block's PTEs in dax_insert_entry, after the
		// remap; doing it first, under the entry lock, shows no PTE mapping a
		// block the offset no longer has (no-stale-pte), with the same effect.
		c.S.unmapPage(i, pg, PTENone)
		if !c.S.breakShare(i, pg) {
			c.DaxUnlockEntry(i, pg)
			c.FaultEnd()
			return c.Return(ResSIGBUS)
		}
	} else if c.SharedWrite() && in.Ext[pg] != ExtWritten {
		if !c.HoldsHandle() && c.S.Journal.Locked != 0 {
			return c.Block(LockJournal)
		}
		if !c.S.makeWritten(i, pg) {
			c.DaxUnlockEntry(i, pg)
			if c.K.ShouldRetryAlloc(c.S) {
				// ENOSPC, but the running transaction frees blocks: stop the
				// handle, force a commit, retry (ext4_should_retry_alloc,
				// c0b246259792; XFS flushes busy extents the same way).
				if c.HoldsHandle() {
					c.StopHandle()
				}
				c.S.Journal.Request = 1
				c.Sync().Tid = c.S.Journal.Tid
				c.Ev.WaitsCommit = true
				return c.Jump(PathDAXFault, "enospc-wait")
			}
			c.FaultEnd()
			return c.Return(ResSIGBUS)
		}
	}
	f := c.Fault()
	f.Block = 0
	if in.Ext[pg] == ExtWritten || in.Ext[pg] == ExtShared {
		f.Block = in.Block[pg]
	}
	return c.Next()
}

// enospcWait waits for the commit a fault forced after ENOSPC, then retries the
// allocation from label retry (the handle on ext4, the entry on XFS).
func enospcWait(retry string) func(c *Ctx) Outcome {
	return func(c *Ctx) Outcome {
		if c.S.Journal.Tid <= c.Sync().Tid {
			return c.Block(LockCommit)
		}
		return c.Jump(PathDAXFault, retry)
	}
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
	write := c.Fault().Access == AccessWrite
	b := c.Fault().Block
	if b != 0 && write && c.K.SyncFault(c, v) {
		if e.Kind == EntryZero {
			c.S.unmapPage(i, pg, PTEZero)
		}
		e.Kind, e.Val = EntryDAX, b
		c.Use(c.faultCall(KindDAX), i, pg, KindDAX, e.Kind)
		c.DaxUnlockEntry(i, pg)
		if c.HoldsHandle() {
			c.StopHandle()
		}
		r := c.Sync()
		r.Cursor, r.Hi, r.Datasync = uint8(pg), uint8(pg), 1
		return c.Jump(PathDAXSyncFault, "")
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
	c.DaxUnlockEntry(i, pg)
	aops := in.Aops
	c.FaultEnd()
	if aops != KindDAX {
		return c.Return(ResSIGBUS) // the kernel would oops: see faultAbort
	}
	return c.Retry()
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
	c.FaultEnd()
	return c.Retry()
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

// unmapCows zaps the private copy-on-write PTEs of page pg of inode i.
func (s *State) unmapCows(i, pg int) {
	for p := range s.Procs {
		for v := range s.Procs[p].VMA {
			if int(s.Procs[p].VMA[v].Inode) == i+1 && s.Procs[p].PTE[v][pg].Kind == PTEAnon {
				s.Procs[p].PTE[v][pg] = PTE{}
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
		l := InvalidateLockOf(c)
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
	c.UpRead(InvalidateLockOf(c))
	if e.Kind != EntryNone {
		// filemap_add_folio lost the race (-EEXIST): look the page up again.
		return c.Jump(PathPCFault, "find-page")
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
	c.Fault().Started = uint8(in.Aops)
	c.Use("->fault", i, pg, KindPageCache, e.Kind)
	if e.Kind != EntryPage || in.Aops != KindPageCache {
		c.UnlockEntry(i, pg)
		return c.faultAbort(mmapLockOf(c))
	}
	if c.Fault().Access == AccessWrite {
		// do_shared_fault: unlock the page and call ->page_mkwrite.
		c.UnlockEntry(i, pg)
		return c.Jump(PathPCMkwrite, "lock")
	}
	return c.Jump(PathPCFault, "finish")
}

// pcFinishFault is finish_fault for a read: map the page read-only, unlock it.
func pcFinishFault(c *Ctx) Outcome {
	i, pg := c.St.Inode, c.St.Page
	c.Proc().PTE[c.St.VMA][pg] = PTE{Kind: PTEPage}
	c.UnlockEntry(i, pg)
	c.UpRead(mmapLockOf(c))
	return c.Retry()
}

// pageMkwriteLock enters ->page_mkwrite (ext4_page_mkwrite, xfs_filemap_page_mkwrite):
// sb_start_pagefault, invalidate_lock shared.
func pageMkwriteLock(c *Ctx) Outcome {
	l := InvalidateLockOf(c)
	if !c.TryDownRead(l) {
		return c.Block(l)
	}
	in := &c.S.Inodes[c.St.Inode]
	c.Th.Held |= 1 << LockSbPagefault // ext4_page_mkwrite: sb_start_pagefault
	if f := c.Fault(); f.Started == 0 {
		f.Started = uint8(in.Aops)
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
	if in.Aops != KindPageCache {
		return c.faultAbort(InvalidateLockOf(c), mmapLockOf(c))
	}
	if e.Kind != EntryPage {
		// The page was truncated or invalidated meanwhile: retry the fault
		// (ext4_page_mkwrite returns VM_FAULT_NOPAGE when page->mapping changed).
		c.UpRead(InvalidateLockOf(c))
		c.UpRead(mmapLockOf(c))
		return c.Retry()
	}
	e.Dirty = 1
	c.Proc().PTE[c.St.VMA][pg] = PTE{Kind: PTEPage, Write: 1}
	c.UpRead(InvalidateLockOf(c))
	c.UpRead(mmapLockOf(c))
	return c.Retry()
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
	c.Fault().Started = uint8(in.Aops)
	c.Use("->fault", i, pg, v.Ops, in.XA[pg].Kind)
	*pte = PTE{Kind: PTEAnon, Write: 1, Val: val}
	c.UpRead(mmapLockOf(c))
	return c.Retry()
}

// --- the flag ioctl --------------------------------------------------------------

// SetflagPath builds the FS_IOC_FSSETXATTR path for FS_XFLAG_DAX: the fd check,
// the owner check and inode_lock (vfs_fileattr_set), then body, whose last
// step must end with [Ctx.SetflagDone]. That last step is the filesystem's
// transaction (ext4_ioctl_setflags: ext4_journal_start .. ext4_journal_stop;
// xfs_fileattr_set: xfs_trans_alloc_ichange .. xfs_trans_commit, which is
// asynchronous without -o wsync): it waits while the running transaction is
// locked for commit, and [Ctx.SetDiskDax] changes the flag in the running
// transaction. Its own steps are labelled ioctl, inode-lock and
// inode-lock-wait.
func SetflagPath(body ...Step) Path {
	steps := []Step{{Label: "ioctl", Fn: "ioctl(FS_IOC_FSSETXATTR)", Do: func(c *Ctx) Outcome {
		if c.S.Files[c.St.File].FdOpen == 0 {
			return c.Return(ResEBADF)
		}
		if c.St.Inode < 0 {
			return c.setflagDir()
		}
		if !c.OwnerOrCapable(c.S.Inodes[c.St.Inode].Owner) {
			return c.Return(ResEPERM) // vfs_fileattr_set: inode_owner_or_capable
		}
		if r := c.gate(GateSetflagDax, c.St.Inode, 0, MaxPages-1); r != ResOK {
			return c.Return(r)
		}
		c.Th.Held |= 1 << LockSbWrite // mnt_want_write_file
		return c.Next()
	}}}
	steps = append(steps, DownWrite("inode-lock", "vfs_fileattr_set: inode_lock", IRwsemOf)...)
	if len(body) > 0 {
		last := body[len(body)-1]
		do := last.Do
		last.Do = func(c *Ctx) Outcome {
			if c.S.Journal.Locked != 0 {
				return c.Block(LockJournal)
			}
			return do(c)
		}
		body = append(body[:len(body)-1:len(body)-1], last)
	}
	return Path{Name: "setflag-dax", Steps: append(steps, body...), Regs: RegsProposal}
}

// SetflagDone releases inode_lock and ends the ioctl with r.
func (c *Ctx) SetflagDone(r Result) Outcome {
	c.UpWrite(IRwsemOf(c))
	return c.Return(r)
}

// SetDiskDax sets the on-disk FS_XFLAG_DAX of the statement's inode and reports
// whether it changed.
func (c *Ctx) SetDiskDax() bool {
	in := &c.S.Inodes[c.St.Inode]
	changed := in.DiskDax != b2u(c.St.On)
	in.DiskDax = b2u(c.St.On)
	if changed {
		c.S.Journal.Dirty = 1
	}
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
