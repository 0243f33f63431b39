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
	k.declareDefaultHooks()
	k.Paths[PathOpen] = Path{Name: "open", Steps: []Step{{Label: "open", Fn: "do_sys_open -> iget", Do: openStep, Foot: openFoot}}}
	k.Paths[PathClose] = Path{Name: "close", Steps: []Step{{Label: "close", Fn: "close_fd -> fput -> iput", Do: closeStep, Foot: closeFoot}}}
	k.Paths[PathMmap] = Path{Name: "mmap", Steps: append(DownWrite("mmap-lock", "vm_mmap_pgoff: mmap_write_lock", mmapLockOf),
		Step{Label: "mmap", Fn: "do_mmap -> ->mmap (vm_ops from S_DAX)", Do: mmapStep, Foot: mmapFoot})}
	k.Paths[PathMunmap] = Path{Name: "munmap", Steps: append(DownWrite("mmap-lock", "vm_munmap: mmap_write_lock", mmapLockOf),
		Step{Label: "munmap", Fn: "do_vmi_munmap -> unmap_region -> fput", Do: munmapStep, Foot: munmapFoot})}
	k.Paths[PathLoad] = Path{Name: "load", Regs: RegsFault, Steps: []Step{{Label: "load", Fn: "user load", Do: loadStep, Foot: loadFoot,
		Jumps: []Target{At(PathDAXFault, ""), At(PathPCFault, "")}}}}
	k.Paths[PathStore] = Path{Name: "store", Regs: RegsFault, Steps: []Step{{Label: "store", Fn: "user store", Do: storeStep, Foot: storeFoot,
		Jumps: []Target{At(PathCOWFault, ""), At(PathDAXFault, ""), At(PathPCFault, ""), At(PathPCMkwrite, "")}}}}
	daxFault := []Step{
		{Label: "mmap-lock", Fn: "handle_mm_fault: mmap_read_lock", Do: faultMmapLock, Foot: faultMmapLockFoot},
		{Label: "invalidate-lock", Fn: "dax fault handler: filemap_invalidate_lock_shared", Do: daxFaultInvalidateLock,
			Foot:  daxFaultInvalidateLockFoot,
			Jumps: []Target{At(PathDAXFault, "grab-entry")}},
	}
	retry := "grab-entry" // where a fault that waited for a commit after ENOSPC starts again
	if fs.FaultHandle {
		// ext4_dax_huge_fault holds a jbd2 handle across dax_iomap_fault for a
		// shared write fault (reference/linux-dax.md B.2).
		daxFault = append(daxFault, Step{Label: "handle", Fn: "ext4_dax_huge_fault: ext4_journal_start", Do: ext4FaultHandle,
			Foot: ext4FaultHandleFoot})
		retry = "handle"
	}
	daxFault = append(daxFault,
		Step{Label: "grab-entry", Fn: "dax_iomap_pte_fault: grab_mapping_entry", Do: daxGrabEntry, Foot: daxGrabEntryFoot},
		Step{Label: "iomap-begin", Fn: "dax_iomap_pte_fault: ->iomap_begin", Do: daxIomapBegin, Foot: daxIomapBeginFoot,
			Jumps: []Target{At(PathDAXFault, "enospc-wait")}},
		Step{Label: "insert", Fn: "dax_iomap_pte_fault: dax_insert_entry, insert PTE, unlock", Do: daxInsert, Foot: daxInsertFoot,
			Jumps: Jumps([]Target{At(PathDAXSyncFault, "")}, RetryJumps)},
		Step{Label: "enospc-wait", Fn: fs.Fn["enospc-commit"], Do: enospcWait(retry), Foot: enospcWaitFoot,
			Jumps: []Target{At(PathDAXFault, retry)}},
	)
	k.Paths[PathDAXFault] = Path{Name: "dax-fault", Regs: RegsFault | RegsSync, Steps: daxFault}
	k.Paths[PathPCFault] = Path{Name: "pagecache-fault", Regs: RegsFault, Steps: []Step{
		{Label: "mmap-lock", Fn: "handle_mm_fault: mmap_read_lock", Do: faultMmapLock, Foot: faultMmapLockFoot},
		{Label: "find-page", Fn: "filemap_fault: find_get_page (miss: filemap_invalidate_lock_shared)", Do: filemapFault,
			Foot: filemapFaultFoot, Jumps: filemapFoundJumps},
		{Label: "create-folio", Fn: "filemap_create_folio: add page, ->read_folio", Do: filemapCreateFolio,
			Foot: filemapCreateFolioFoot, Jumps: Jumps([]Target{At(PathPCFault, "find-page")}, filemapFoundJumps)},
		{Label: "finish", Fn: "finish_fault: map page, unlock", Do: pcFinishFault, Foot: pcFinishFaultFoot, Jumps: RetryJumps},
	}}
	k.Paths[PathPCMkwrite] = Path{Name: "pagecache-mkwrite", Regs: RegsFault, Steps: []Step{
		{Label: "mmap-lock", Fn: "handle_mm_fault: mmap_read_lock", Do: faultMmapLock, Foot: faultMmapLockFoot},
		{Label: "lock", Fn: "->page_mkwrite: filemap_invalidate_lock_shared", Do: pageMkwriteLock, Foot: pageMkwriteLockFoot},
		{Label: "dirty", Fn: "->page_mkwrite: lock_page, ->dirty_folio", Do: pageMkwriteDirty, Foot: pageMkwriteDirtyFoot,
			Jumps: RetryJumps},
	}}
	k.Paths[PathCOWFault] = Path{Name: "cow-fault", Regs: RegsFault, Steps: []Step{
		{Label: "mmap-lock", Fn: "handle_mm_fault: mmap_read_lock", Do: faultMmapLock, Foot: faultMmapLockFoot},
		{Label: "cow", Fn: "do_cow_fault: ->fault, copy to anon page", Do: cowFault, Foot: cowFaultFoot, Jumps: RetryJumps},
	}}
	k.Paths[PathSetflagDax] = SetflagPath(Step{Label: "set-disk-flag", Fn: "fileattr_set: set FS_XFLAG_DAX on disk", Do: setflagDiskOnly,
		Foot: setflagDiskOnlyFoot})
	k.Paths[PathStatx] = Path{Name: "statx", Steps: []Step{{Label: "statx", Fn: "vfs_statx: STATX_ATTR_DAX", Do: statxStep, Foot: statxFoot}}}
	k.Paths[PathEvict] = Path{Name: "evict", Steps: []Step{{Label: "evict", Fn: "prune_icache_sb -> evict", Do: evictStep, Foot: evictFoot}}}
	k.Paths[PathRename] = Path{Name: "rename", Steps: []Step{{Label: "rename", Fn: "vfs_rename", Do: renameStep, Foot: renameFoot}}}
	k.Paths[PathCreate] = Path{Name: "create", Steps: []Step{{Label: "create", Fn: "do_sys_open(O_CREAT|O_EXCL) -> ->create", Do: createStep, Foot: createFoot}}}
	k.Paths[PathUnlink] = Path{Name: "unlink", Steps: []Step{{Label: "unlink", Fn: "do_unlinkat -> ->unlink", Do: unlinkStep, Foot: unlinkFoot}}}
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

// SetSDax declares State.SetSDax on the statement's inode.
func (f *Foot) SetSDax() { f.W(RCore) }

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
	foot := func(f *Foot) { f.DownWrite(lock) }
	return []Step{
		{Label: label, Fn: fn, Jumps: []Target{Past(PathSelf, wait)}, Foot: foot, Do: func(c *Ctx) Outcome {
			l := lock(c)
			if l == NoLock || c.S.tryDownWrite(c.T, l, false) {
				return c.JumpPast(PathSelf, wait)
			}
			c.S.rwsem(l).WWait++
			return c.Next()
		}},
		{Label: wait, Fn: fn + " (wait)", Foot: foot, Do: func(c *Ctx) Outcome {
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

// DownWrite declares the steps of [DownWrite]: down_write reads the rwsem's
// readers and takes its writer side or registers as a waiting writer. lock is
// evaluated for the statement (it may look at the statement and the thread,
// not the state).
func (f *Foot) DownWrite(lock func(c *Ctx) LockID) {
	if w, r, ok := f.rwsem(lock); ok {
		f.R(r)
		f.RW(w)
	}
}

// DownRead declares the step of [DownRead]: down_read reads the writer side
// (writer preference) and adds a reader.
func (f *Foot) DownRead(lock func(c *Ctx) LockID) {
	if w, r, ok := f.rwsem(lock); ok {
		f.R(w)
		f.A(r)
	}
}

// DownReadFoot is the footprint of a [DownRead] step.
func DownReadFoot(lock func(c *Ctx) LockID) func(f *Foot) {
	return func(f *Foot) { f.DownRead(lock) }
}

// rwsem is the writer and reader halves of the rwsem lock selects for the
// statement; false for NoLock. A selector that looks at the state touches
// everything.
func (f *Foot) rwsem(lock func(c *Ctx) LockID) (w, r Ref, ok bool) {
	l, fine := func() (l LockID, fine bool) {
		defer func() {
			if recover() != nil {
				fine = false
			}
		}()
		return lock(&Ctx{K: f.K, T: f.T, St: f.St}), true
	}()
	if !fine {
		f.Everything()
		return
	}
	if l == NoLock {
		return Ref{}, Ref{}, false
	}
	c, n := l.Class()
	var sel Sel
	switch c {
	case ClassMmap:
		if n != f.P {
			sel = SelMaps // another process's: say every one
		}
		return RMmapW.At(sel), RMmapR.At(sel), true
	case ClassIRwsem, ClassInvalidate:
		switch {
		case f.St != nil && n == f.St.Inode:
		case f.St != nil && n == f.St.Inode2:
			sel = SelDst
		default:
			sel = SelAll
		}
		if c == ClassIRwsem {
			return RIRwW.At(sel), RIRwR.At(sel), true
		}
		return RInvW.At(sel), RInvR.At(sel), true
	}
	f.Everything()
	return
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

// openFoot: do_sys_open of a file reads its name (ENOENT) and whether the
// inode is in core; iget instantiates it while it is not (GCore), takes a
// reference and fills the statement's struct file slot. A directory's open
// fills the slot only.
func openFoot(f *Foot) {
	f.W(RFile)
	if f.St.Inode < 0 {
		return
	}
	f.R(RLink, RInCore)
	f.If(GCore, 0, func() { f.instantiate(0) })
	f.A(RRefs)
}

// instantiate brings inode i into core (iget -> xfs_setup_inode / ext4_iget).
func (s *State) instantiate(k *Kernel, i int) {
	in := &s.Inodes[i]
	in.InCore = 1
	in.DontCache = 0
	k.Instantiate(k, s, i)
}

// instantiate declares State.instantiate of the inode at selects.
func (f *Foot) instantiate(at Sel) {
	f.W(RInCore.At(at), RDontCache.At(at))
	f.Hook(HookInstantiate, at)
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

// closeFoot: close_fd clears the descriptor and drops the file's reference.
func closeFoot(f *Foot) {
	f.RW(RFile)
	f.fput(0)
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

// fput declares State.fput of the struct file slots at selects, whose inodes
// are the same selector's.
func (f *Foot) fput(at Sel) {
	f.RW(RFile.At(at))
	f.iput(at)
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

// Evict declares State.Evict of the inode at selects: every entry is written
// back or flushed and dropped, and the inode leaves core.
func (f *Foot) Evict(at Sel) {
	f.RW(RXA.At(at | SelPages))
	f.W(RXADrop.At(at | SelPages))
	f.writebackPageNT(at | SelPages)
	f.FlushBlock(at | SelPages)
	f.W(RCore.At(at), RInCore.At(at), RDontCache.At(at), RUncore.At(at))
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

func (f *Foot) inodeDirty() { f.R(RXA.Pages(), RDirt) }

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
// evicted; a referenced or dirty one stays, and so does one whose mapping
// holds DAX entries: inode_lru_isolate evicts an inode only once its mapping
// is empty, and invalidate_mapping_pages leaves DAX entries alone
// (mm/truncate.c invalidate_exceptional_entry: "for DAX we do nothing"), so
// a DAX file that was faulted stays in core, S_DAX and all, until its last
// iput with I_DONTCACHE or an unmount (found by daxsim kernel:
// testdata/kernel/fresh/reflinked-not-dax-xfs.scn). It always succeeds.
func evictStep(c *Ctx) Outcome {
	i := c.St.Inode
	if in := &c.S.Inodes[i]; in.InCore != 0 && in.Refs == 0 && !c.S.inodeDirty(i) && !c.S.hasDAXEntries(i) {
		c.S.Evict(i)
	}
	return c.Return(ResOK)
}

// hasDAXEntries reports whether inode i's xarray holds a DAX entry of any
// kind (a block's, the zero page's, a locked empty one).
func (s *State) hasDAXEntries(i int) bool {
	for _, e := range s.Inodes[i].XA {
		if e.Kind == EntryDAX || e.Kind == EntryZero || e.Kind == EntryEmpty {
			return true
		}
	}
	return false
}

// evictFoot: memory pressure looks at the inode's references, dirtiness and
// xarray, and evicts it.
func evictFoot(f *Foot) {
	f.R(RInCore, RRefs)
	f.inodeDirty()
	f.Evict(0)
}

func renameStep(c *Ctx) Outcome {
	if c.S.Inodes[c.St.Inode].Nlink == 0 {
		return c.Return(ResENOENT) // do_renameat2: the source name is gone
	}
	c.S.Inodes[c.St.Inode].Parent = uint8(c.St.Dir + 1)
	return c.Return(ResOK)
}

func renameFoot(f *Foot) { f.RW(RLink) }

func statxStep(c *Ctx) Outcome {
	if c.S.Files[c.St.File].FdOpen == 0 {
		return c.Return(ResEBADF)
	}
	if c.St.Inode >= 0 && c.S.Inodes[c.St.Inode].SDax != 0 {
		return c.Return(ResDax)
	}
	return c.Return(ResNodax)
}

func statxFoot(f *Foot) { f.R(RFile, RCore) }

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

// mmapFoot: do_mmap checks the descriptor, asks the hooks, reads S_DAX for the
// vm_ops, fills the VMA slot, takes a file reference and drops mmap_lock.
func mmapFoot(f *Foot) {
	f.RW(RFile)
	f.Hook(HookMmapFlags, 0)
	f.Hook(HookMmapCheck, 0)
	f.R(RCore)
	f.W(RVMA, RMmapW)
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

// munmapFoot: the VMA and its PTEs go, and the reference to the file it maps.
func munmapFoot(f *Foot) {
	f.W(RMmapW)
	f.RW(RVMA)
	f.W(RPTE.Pages())
	f.fput(SelSrc)
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

// FileValue declares State.FileValue of the page at selects.
func (f *Foot) FileValue(at Sel) { f.R(RXA.At(at), RMap.At(at), RData.At(at)) }

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

// pteValue declares State.pteValue of the statement's VMA at the page at
// selects (SelPage2: the user buffer, whose file page is SelSrc's).
func (f *Foot) pteValue(at Sel) {
	f.R(RPTE.At(at))
	file := at
	if at&SelPage2 != 0 {
		file = SelSrc
	}
	f.R(RData.At(file), RXA.At(file))
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

// loadFoot: a load through a present PTE reads the data it maps (the block:
// its content, whether it is free, whose data and which version it is; the
// page-cache page) and returns; read-your-writes compares the version with the
// page's last completed one. Else the fault path.
func loadFoot(f *Foot) {
	f.R(RVMA)
	f.pteValue(0)
	f.R(RBUsed, RClone, RVer)
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

// storeFoot: a store through a writable PTE writes the data it maps (a
// block, a page-cache page, a private copy) and completes a data version;
// under eADR it is durable at once, an obligation of the user's flush.
func storeFoot(f *Foot) {
	f.R(RVMA)
	f.RW(RPTE)
	f.storeThrough()
	if f.K.EADR {
		f.userPersisted()
	}
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

func (f *Foot) storeThrough() {
	f.userStore(0)
	f.completed(0)
	f.RW(RXA, RVer)
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

// faultMmapLockFoot: mmap_read_lock, then find the VMA.
func faultMmapLockFoot(f *Foot) {
	f.DownRead(mmapLockOf)
	f.R(RVMA)
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

func daxFaultInvalidateLockFoot(f *Foot) {
	f.DownRead(InvalidateLockOf)
	f.DAXFaultEntered()
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

// DAXFaultEntered declares Ctx.DAXFaultEntered: whether the fault is a shared
// write is the VMA's.
func (f *Foot) DAXFaultEntered() { f.R(RVMA) }

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

func ext4FaultHandleFoot(f *Foot) { f.StartHandle() }

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

// FaultEnd declares Ctx.FaultEnd: the handle, invalidate_lock and mmap_lock
// it may drop are counts. A fault holds a handle only on ext4
// (ext4FaultHandle); a mutant that makes one keep it declares so.
func (f *Foot) FaultEnd() {
	f.A(RInvR, RMmapR)
	f.faultStopHandle()
}

// faultStopHandle declares the handle a fault may stop: ext4's.
func (f *Foot) faultStopHandle() {
	if f.K.FS.FaultHandle {
		f.StopHandle()
	}
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

// daxGrabEntryFoot: grab_mapping_entry reads i_size and locks (or waits for)
// the entry, inserting a placeholder; the first call through the ops reads
// the a_ops (EntryGrabbed).
func daxGrabEntryFoot(f *Foot) {
	f.GrabEntry()
	f.EntryGrabbed()
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

// GrabEntry declares Ctx.GrabEntry and the entry lock it takes.
func (f *Foot) GrabEntry() {
	f.R(RSize)
	f.RW(RXA)
	f.FaultEnd()
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

// EntryGrabbed declares Ctx.EntryGrabbed.
func (f *Foot) EntryGrabbed() {
	f.Use()
	f.RW(RXA)
	f.FaultEnd()
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

// daxIomapBeginFoot: ->iomap_begin reads the block map. Only a store's fault
// is a write (a load's and a flush's are reads), and only while the page is
// not written (GAlloc) does it ask the gate, allocate or copy a shared
// extent (unmapping the old block), in the running transaction, or on ENOSPC
// stop its handle and ask for a commit.
func daxIomapBeginFoot(f *Foot) {
	f.R(RMap, RVMA)
	if f.St.Op != OpStore {
		return
	}
	f.If(GAlloc, 0, func() {
		f.Hook(HookGate, 0)
		f.RW(RXA)
		f.FaultEnd()
		f.R(RJLocked)
		f.unmapPage(0)
		f.breakShare(0)
		f.makeWritten(0)
		f.Hook(HookShouldRetryAlloc, 0)
		f.A(RJReq)
		f.R(RJTid)
	})
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

func enospcWaitFoot(f *Foot) { f.R(RJTid) }

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

// daxInsertFoot: dax_insert_entry fills the entry and the PTE (a store's
// fault may be synchronous: the hook), unmaps the zero page the entry held
// (only while one may be there: GZero), reads the a_ops for the use, unlocks
// and ends the fault.
func daxInsertFoot(f *Foot) {
	f.RW(RXA, RPTE)
	f.R(RVMA)
	if f.St.Op == OpStore {
		f.Hook(HookSyncFault, 0)
	}
	if f.St.Op != OpStore || f.K.HookNever(HookSyncFault) {
		f.NoJump(At(PathDAXSyncFault, "")) // only a write fault can be synchronous
	}
	f.If(GZero, 0, func() { f.unmapPage(0) })
	f.Use()
	f.FaultEnd()
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

func insertPfnMkwriteFoot(f *Foot) {
	f.RW(RXA)
	f.W(RPTE)
	f.FaultEnd()
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

// unmapPage declares State.unmapPage (and unmapCows, wrprotect) of the pages at
// selects: every process's VMAs are looked at, their PTEs of the pages changed.
func (f *Foot) unmapPage(at Sel) {
	f.R(RVMA.Maps())
	f.W(RPTE.At(at | SelMaps))
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

// UnmapMapping declares State.UnmapMapping of the statement's inode.
func (f *Foot) UnmapMapping() { f.unmapPage(SelPages) }

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

// filemapFaultFoot: find_get_page reads i_size and the slot, locks the page or
// on a miss takes invalidate_lock shared; then the use (the a_ops), or an abort
// that drops mmap_lock.
func filemapFaultFoot(f *Foot) {
	f.R(RSize)
	f.RW(RXA)
	f.DownRead(InvalidateLockOf)
	f.Use()
	f.A(RMmapR)
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

func filemapCreateFolioFoot(f *Foot) {
	f.A(RInvR, RMmapR)
	f.RW(RXA)
	f.fileVersion(0)
	f.FileValue(0)
	f.Use()
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

func pcFinishFaultFoot(f *Foot) {
	f.W(RPTE)
	f.RW(RXA)
	f.A(RMmapR)
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

func pageMkwriteLockFoot(f *Foot) {
	f.DownRead(InvalidateLockOf)
	f.R(RCore)
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

func pageMkwriteDirtyFoot(f *Foot) {
	f.RW(RXA)
	f.Use()
	f.W(RPTE)
	f.A(RInvR, RMmapR)
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

// cowFaultFoot: do_cow_fault reads i_size, the VMA, the PTE and the data it or
// the file page holds, records the use, and installs the private copy.
func cowFaultFoot(f *Foot) {
	f.R(RSize, RVMA)
	f.RW(RPTE)
	f.pteValue(0)
	f.FileValue(0)
	f.Use()
	f.A(RMmapR)
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
	steps := []Step{{Label: "ioctl", Fn: "ioctl(FS_IOC_FSSETXATTR)", Foot: setflagIoctlFoot, Do: func(c *Ctx) Outcome {
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
		do, foot := last.Do, last.Foot
		last.Do = func(c *Ctx) Outcome {
			if c.S.Journal.Locked != 0 {
				return c.Block(LockJournal)
			}
			return do(c)
		}
		if foot != nil {
			last.Foot = func(f *Foot) {
				f.R(RJLocked)
				foot(f)
			}
		}
		body = append(body[:len(body)-1:len(body)-1], last)
	}
	return Path{Name: "setflag-dax", Steps: append(steps, body...), Regs: RegsProposal}
}

// setflagIoctlFoot: the ioctl reads the descriptor, then the owner and the
// gate, or for a directory changes its flag in the running transaction.
func setflagIoctlFoot(f *Foot) {
	f.R(RFile)
	if f.St.Inode < 0 {
		f.R(RJLocked)
		f.RW(RDir)
		f.A(RJDirty)
		return
	}
	f.R(RFlags)
	f.Hook(HookGate, 0)
}

// SetflagDone releases inode_lock and ends the ioctl with r.
func (c *Ctx) SetflagDone(r Result) Outcome {
	c.UpWrite(IRwsemOf(c))
	return c.Return(r)
}

// SetflagDone declares Ctx.SetflagDone.
func (f *Foot) SetflagDone() { f.W(RIRwW) }

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

// SetDiskDax declares Ctx.SetDiskDax.
func (f *Foot) SetDiskDax() {
	f.RW(RFlags)
	f.A(RJDirty)
}

// setflagDiskOnly is the 4.14 behaviour: the flag is stored, S_DAX does not change
// until the inode is instantiated again.
func setflagDiskOnly(c *Ctx) Outcome {
	c.SetDiskDax()
	return c.SetflagDone(ResOK)
}

func setflagDiskOnlyFoot(f *Foot) {
	f.SetDiskDax()
	f.SetflagDone()
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

// LockedEntry declares State.LockedEntry (and MappingEmpty) of the
// statement's inode.
func (f *Foot) LockedEntry() { f.R(RXA.Pages()) }

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

// DeleteEntries declares State.DeleteEntries of the statement's inode.
func (f *Foot) DeleteEntries() {
	f.RW(RXA.Pages())
	f.W(RXADrop.Pages())
	f.writebackPageNT(SelPages)
}
