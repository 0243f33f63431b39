package model

// The data and metadata paths of issue #3: write(2), read(2), fsync, fdatasync,
// msync, the user flush, truncate, punch and fallocate, the journal thread, and
// the end of a synchronous (MAP_SYNC) fault. References: reference/linux-dax.md
// B.4 (write/read), B.5 (truncate and layout changes), B.6 (fsync), A.1 (MAP_SYNC).

func ioPaths(k *Kernel) {
	k.Paths[PathJbd2] = Path{Name: "jbd2", Steps: []Step{
		{Label: "lock", Fn: k.FS.Fn["commit-lock"], Do: jbd2Lock, Foot: jbd2LockFoot},
		{Label: "commit", Fn: k.FS.Fn["commit"], Do: jbd2Commit, Foot: jbd2CommitFoot,
			Jumps: []Target{At(PathJbd2, "")}},
	}}
	k.Paths[PathFsync] = Path{Name: "fsync", Regs: RegsSync, Steps: append(append([]Step{
		{Label: "start", Fn: "vfs_fsync_range", Do: fsyncStart, Foot: fsyncStartFoot}}, writebackSteps(k.FS)...),
		Step{Label: "done", Fn: "vfs_fsync_range: return", Do: fsyncDone, Foot: fsyncDoneFoot})}
	k.Paths[PathDAXSyncFault] = Path{Name: "dax-sync-fault", Regs: RegsFault | RegsSync, Steps: append(writebackSteps(k.FS),
		Step{Label: "finish", Fn: "dax_finish_sync_fault: dax_insert_pfn_mkwrite", Do: insertPfnMkwrite, Foot: insertPfnMkwriteFoot,
			Jumps: RetryJumps})}
	k.Paths[PathFlush] = Path{Name: "flush", Regs: RegsFault, Steps: []Step{{Label: "flush", Fn: "user clwb + sfence", Do: flushStep, Foot: flushFoot,
		Jumps: []Target{At(PathDAXFault, ""), At(PathPCFault, "")}}}}
	k.Paths[PathRead] = Path{Name: "read", Steps: []Step{
		{Label: "fdget", Fn: "ksys_pread64: fdget", Do: FdCheck(false), Foot: FdCheckFoot},
		{Label: "inode-lock", Fn: "inode_lock_shared", Do: DownRead(IRwsemOf), Foot: DownReadFoot(IRwsemOf)},
		{Label: "copy", Fn: "dax_iomap_rw / filemap_read: copy to user", Do: readStep, Foot: readFoot},
	}}
	k.Paths[PathWrite] = Path{Name: "write", Steps: append(append([]Step{
		{Label: "fdget", Fn: "ksys_pwrite64: fdget", Do: FdCheck(true), Foot: FdCheckFoot}},
		DownWrite("inode-lock", "inode_lock", IRwsemOf)...),
		Step{Label: "dispatch", Fn: "file_write_iter: IS_DAX?", Do: writeDispatch, Foot: writeDispatchFoot,
			Jumps: []Target{At(PathWriteDAX, ""), At(PathWritePC, "")}})}
	copyJumps := func(ret PathID) []Target {
		return []Target{At(PathUserCopy, ""), At(PathUserCopy, "copy"), At(ret, "copy")}
	}
	k.Paths[PathWriteDAX] = Path{Name: "write-dax", Regs: RegsCopy | RegsSync, Steps: []Step{
		{Label: "iomap-begin", Fn: "dax_iomap_rw: ->iomap_begin (allocate in a short transaction)", Do: writeIomapBegin, Foot: writeIomapBeginFoot,
			Jumps: []Target{At(PathWriteDAX, "user-copy")}},
		{Label: "invalidate", Fn: "dax_iomap_rw: invalidate_inode_pages2_range", Do: writeInvalidate, Foot: writeInvalidateFoot},
		{Label: "user-copy", Fn: "dax_copy_from_iter: user buffer", Do: userCopy(CopyRetDAX), Foot: userCopyFoot,
			Jumps: copyJumps(PathWriteDAX)},
		{Label: "copy", Fn: "dax_copy_from_iter: memcpy_flushcache; inode_unlock", Do: writeCopyDAX, Foot: writeCopyDAXFoot,
			Jumps: []Target{At(PathFsync, "writeback")}},
	}}
	k.Paths[PathWritePC] = Path{Name: "write-pagecache", Regs: RegsCopy | RegsSync, Steps: []Step{
		{Label: "user-copy", Fn: "generic_perform_write: fault_in_iov_iter_readable", Do: userCopy(CopyRetPageCache), Foot: userCopyFoot,
			Jumps: copyJumps(PathWritePC)},
		{Label: "copy", Fn: "generic_perform_write: write_begin, copy, write_end; inode_unlock", Do: writePageCache, Foot: writePageCacheFoot,
			Jumps: []Target{At(PathFsync, "writeback")}},
	}}
	k.Paths[PathUserCopy] = Path{Name: "user-copy", Regs: RegsCopy, Steps: []Step{
		{Label: "mmap-lock", Fn: "copy_from_user: page fault on the user buffer: mmap_read_lock", Do: DownRead(mmapLockOf),
			Foot: DownReadFoot(mmapLockOf)},
		{Label: "copy", Fn: "copy_from_user: fault the buffer in, copy; mmap_read_unlock", Do: userCopyLoad, Foot: userCopyLoadFoot,
			Jumps: []Target{At(PathWriteDAX, "copy"), At(PathWritePC, "copy")}},
	}}
	k.Paths[PathTruncate] = Path{Name: "truncate", Steps: append(append(append([]Step{
		{Label: "fdget", Fn: "do_truncate / vfs_fallocate(PUNCH_HOLE): fdget", Do: FdCheck(true), Foot: FdCheckFoot}},
		DownWrite("inode-lock", "inode_lock", IRwsemOf)...),
		DownWrite("invalidate-lock", "filemap_invalidate_lock", InvalidateLockOf)...),
		Step{Label: "unmap", Fn: "truncate_pagecache_range: unmap, delete entries", Do: truncatePagecache,
			Foot: truncatePagecacheFoot},
		Step{Label: "free", Fn: k.FS.Fn["truncate"], Do: truncateBlocks, Foot: truncateBlocksFoot},
	)}
	k.Paths[PathFallocate] = Path{Name: "fallocate", Steps: append(append([]Step{
		{Label: "fdget", Fn: "vfs_fallocate: fdget", Do: FdCheck(true), Foot: FdCheckFoot}},
		DownWrite("inode-lock", "inode_lock", IRwsemOf)...),
		Step{Label: "alloc", Fn: k.FS.Fn["fallocate"], Do: fallocateStep, Foot: fallocateFoot},
	)}
}

// writebackSteps are dax_writeback_mapping_range over the range in the sync
// registers, then the journal commit if the metadata needs one: labelled
// writeback, commit and commit-wait.
func writebackSteps(fs *FS) []Step {
	return []Step{
		{Label: "writeback", Fn: "dax_writeback_mapping_range: dax_writeback_one (write-protect, clwb, clean)", Do: writebackOne,
			Foot: writebackOneFoot},
		{Label: "commit", Fn: fs.Fn["sync-commit"], Do: commitRequest("commit-wait"), Foot: commitRequestFoot,
			Jumps: []Target{Past(PathSelf, "commit-wait")}},
		{Label: "commit-wait", Fn: fs.Fn["commit-wait"], Do: commitWait, Foot: commitWaitFoot},
	}
}

// MmapFlagsLegacy is mmap before 4.15: MAP_SHARED_VALIDATE (MAP_SHARED|MAP_PRIVATE)
// is an unknown map type (EINVAL); MAP_SYNC and MAP_DIRECT do not exist, so their
// bits are ignored.
func MmapFlagsLegacy(c *Ctx, flags uint8) (uint8, Result) {
	if flags&VMValidate != 0 {
		return 0, ResEINVAL
	}
	return flags &^ (VMSync | VMDirect), ResOK
}

// FdCheck is the syscall entry: the descriptor must be open, and for write for the
// calls that change the file (EBADF; ftruncate says EINVAL).
func FdCheck(write bool) func(c *Ctx) Outcome {
	return func(c *Ctx) Outcome {
		f := &c.S.Files[c.St.File]
		switch {
		case f.FdOpen == 0:
			return c.Return(ResEBADF)
		case write && f.Write == 0 && c.St.Op == OpTruncate:
			return c.Return(ResEINVAL)
		case write && f.Write == 0:
			return c.Return(ResEBADF)
		}
		if write {
			c.Th.Held |= 1 << LockSbWrite // file_start_write / mnt_want_write_file
		}
		return c.Next()
	}
}

// FdCheckFoot is the footprint of an [FdCheck] step.
func FdCheckFoot(f *Foot) { f.R(RFile) }

// --- the journal thread is in persist.go; fsync --------------------------------

// fsyncStart is vfs_fsync_range: fsync and fdatasync over the whole file, msync
// (MS_SYNC) over the VMA's range with datasync semantics. It snapshots the data
// versions the call will promise.
func fsyncStart(c *Ctx) Outcome {
	st := c.St
	i := st.Inode
	lo, hi := 0, int(c.S.Inodes[i].Size)-1
	datasync := st.Op == OpFdatasync
	if st.Op == OpMsync {
		// mm/msync.c: the range must be mapped (ENOMEM); only MS_SYNC of a
		// shared file mapping syncs, with vfs_fsync_range(datasync=1);
		// MS_ASYNC has been a no-op since 2.6.19 and MS_INVALIDATE only fails
		// on mlocked ranges, which the model has none of.
		v := &c.Proc().VMA[st.VMA]
		if v.File == 0 || st.Lo < int(v.Lo) || st.Hi > int(v.Hi) {
			return c.Return(ResENOMEM)
		}
		if st.Flags&MSSync == 0 || v.Flags&VMShared == 0 {
			return c.Return(ResOK)
		}
		lo, hi, datasync = st.Lo, st.Hi, true
	} else if c.S.Files[st.File].FdOpen == 0 {
		return c.Return(ResEBADF)
	}
	if hi >= MaxPages {
		hi = MaxPages - 1
	}
	c.startWriteback(lo, hi, datasync)
	return c.Next()
}

// fsyncStartFoot: the range is the VMA's (msync) or the file's (i_size);
// its data versions are snapshotted.
func fsyncStartFoot(f *Foot) {
	f.R(RVMA, RFile, RSize)
	f.fileVersion(f.syncPages())
}

// startWriteback sets the registers of the writeback and commit steps and
// snapshots the data versions of pages lo..hi.
func (c *Ctx) startWriteback(lo, hi int, datasync bool) {
	r := c.Sync()
	r.Cursor, r.Hi, r.Datasync = uint8(lo), uint8(hi), b2u(datasync)
	if hi < lo {
		r.Cursor, r.Hi = 1, 0 // empty range
	}
	for pg := lo; pg <= hi; pg++ {
		// The promise is about the data the page holds now: a page whose data
		// was truncated away holds zeroes, whatever was written before.
		if v, own := c.S.FileVersion(c.St.Inode, pg); own {
			r.Snap[pg] = v
		}
	}
}

// syncPages selects the pages a writeback of the statement may cover: the
// whole file for fsync, fdatasync and the seals, the msync range, the page of
// a synchronous fault, an O_SYNC write or a remap.
func (f *Foot) syncPages() Sel {
	switch f.St.Op {
	case OpMsync:
		return SelRange
	case OpStore, OpWrite, OpDefrag, OpReflink:
		return 0
	}
	return SelPages
}

// writebackOne writes back one dirty entry of the range and loops: for DAX,
// dax_writeback_one (entry lock, write-protect every PTE of the pfn:
// dax_entry_mkclean, dax_flush, clear the dirty tag); for the page cache, the
// page is written to its block (allocating one for a hole in the running
// transaction) and its PTEs are write-protected (page_mkclean).
func writebackOne(c *Ctx) Outcome {
	i := c.St.Inode
	in := &c.S.Inodes[i]
	r := c.Sync()
	for pg := int(r.Cursor); pg <= int(r.Hi); pg++ {
		e := &in.XA[pg]
		if e.Dirty == 0 || (e.Kind != EntryDAX && e.Kind != EntryPage) {
			continue
		}
		if e.Locked != 0 {
			return c.Block(LockEntry(i, pg))
		}
		if e.Kind == EntryDAX {
			c.K.DaxWritebackOne(c.S, i, pg)
		} else {
			if in.Block[pg] == 0 && c.S.Journal.Locked != 0 {
				return c.Block(LockJournal)
			}
			if !c.S.writebackPageNT(i, pg) {
				return c.Block(NoLock) // ENOSPC: the model has no writeback error path
			}
			c.S.wrprotect(i, pg)
		}
		c.Ev.Fence = true
		r.Cursor = uint8(pg + 1)
		return c.Again()
	}
	return c.Next()
}

// writebackOneFoot: each dirty entry of the range is written back through the
// hook (DAX) or to its block (page cache: allocating a block for a hole while
// the journal is not locked, write-protecting its PTEs).
func writebackOneFoot(f *Foot) {
	at := f.syncPages()
	f.RW(RXA.At(at))
	f.Hook(HookDaxWritebackOne, at)
	f.R(RMap.At(at), RJLocked)
	f.writebackPageNT(at)
	f.unmapPage(at)
}

// daxWritebackOne is fs/dax.c:dax_writeback_one for the dirty DAX entry of page
// pg of inode i: write-protect every PTE of the pfn (dax_entry_mkclean), flush
// the block (dax_flush), clear the dirty tag.
func daxWritebackOne(s *State, i, pg int) {
	e := &s.Inodes[i].XA[pg]
	s.wrprotect(i, pg)
	s.FlushBlock(int(e.Val) - 1)
	e.Dirty = 0
}

func daxWritebackOneFoot(f *Foot, at Sel) {
	f.unmapPage(at)
	f.FlushBlock(at)
	f.RW(RXA.At(at))
}

// wrprotect makes every PTE mapping page pg of inode i read-only.
func (s *State) wrprotect(i, pg int) {
	for p := range s.Procs {
		for v := range s.Procs[p].VMA {
			if int(s.Procs[p].VMA[v].Inode) == i+1 {
				if pte := &s.Procs[p].PTE[v][pg]; pte.Kind == PTEDAX || pte.Kind == PTEPage {
					pte.Write = 0
				}
			}
		}
	}
}

// writebackPageNT writes a dirty page-cache page to its block through the pmem
// driver (non-temporal, durable at the next fence), allocating a block for a hole.
func (s *State) writebackPageNT(i, pg int) bool {
	in := &s.Inodes[i]
	e := &in.XA[pg]
	if in.Ext[pg] != ExtWritten && in.Ext[pg] != ExtShared && !s.makeWritten(i, pg) {
		return false
	}
	s.kernelWrite(int(in.Block[pg])-1, i, pg, e.Val, e.Ver)
	e.Dirty = 0
	return true
}

// writebackPageNT declares State.writebackPageNT of the pages at selects: a
// block is allocated only for a page that is not written (GAlloc).
func (f *Foot) writebackPageNT(at Sel) {
	f.RW(RXA.At(at))
	f.R(RMap.At(at))
	f.If(GAlloc, at, func() { f.makeWritten(at) })
	f.kernelWrite(at)
}

// commitRequest decides whether the metadata must be committed (fdatasync:
// i_datasync_tid not committed, the IOMAP_F_DIRTY test; fsync: any change) and asks
// the journal thread; otherwise it issues the device flush (blkdev_issue_flush)
// and continues past wait, the label of the commit wait.
func commitRequest(wait string) func(c *Ctx) Outcome {
	return func(c *Ctx) Outcome {
		r := c.Sync()
		if c.S.Dirty(c.St.Inode, r.Datasync != 0) {
			c.S.Journal.Request = 1
			r.Tid = c.S.Journal.Tid
			c.Ev.WaitsCommit = true
			return c.Next()
		}
		c.S.Fence()
		c.Ev.Fence = true
		return c.JumpPast(PathSelf, wait)
	}
}

func commitRequestFoot(f *Foot) {
	f.Dirty()
	f.A(RJReq)
	f.R(RJTid)
	f.Fence()
}

// commitWait waits until the transaction it asked for has committed.
func commitWait(c *Ctx) Outcome {
	if c.S.Journal.Tid <= c.Sync().Tid {
		return c.Block(LockCommit)
	}
	return c.Next()
}

func commitWaitFoot(f *Foot) { f.R(RJTid) }

// fsyncDone returns 0: the data versions snapshotted at the call are promised.
func fsyncDone(c *Ctx) Outcome {
	for pg := 0; pg < MaxPages; pg++ {
		if v := c.Sync().Snap[pg]; v != 0 {
			c.S.Promise(c.St.Inode, pg, v)
			c.Ev.Obligation = true
		}
	}
	return c.Return(ResOK)
}

func fsyncDoneFoot(f *Foot) { f.Promise(f.syncPages()) }

// --- the user flush -----------------------------------------------------------

// flushStep is clwb over the page then sfence (libpmem pmem_persist). Through a
// DAX PTE the block's line becomes durable; a page-cache page or the zero page is
// DRAM, so nothing becomes durable. An unmapped page is faulted in first (clwb is
// a memory access). The flush creates obligations only through a writable PTE.
func flushStep(c *Ctx) Outcome {
	v, ok := c.MappedVMA()
	if !ok {
		return c.Return(ResSIGSEGV)
	}
	pte := &c.Proc().PTE[c.St.VMA][c.St.Page]
	switch pte.Kind {
	case PTENone:
		c.Fault().Access = AccessFlush
		if v.Ops == KindDAX { // private DAX read faults map the block read-only too
			return c.Jump(PathDAXFault, "")
		}
		return c.Jump(PathPCFault, "")
	case PTEDAX:
		c.S.FlushBlock(int(pte.Val) - 1)
		c.Ev.Fence = true
		c.userPersisted(v, pte)
	}
	return c.Return(ResOK)
}

// flushFoot: clwb + sfence through a DAX PTE makes the block's line durable
// (an obligation of the user's flush); an unmapped page is faulted in.
func flushFoot(f *Foot) {
	f.R(RVMA, RPTE)
	f.FlushBlock(0)
	f.userPersisted()
}

// userPersisted records the obligations of data that user space has made
// durable in the block behind DAX PTE pte of mapping v (a flush; under eADR,
// any store, which is durable once globally visible: crash-model 3.4 rule 3).
// Only data stored through this mapping (a writable PTE of a shared mapping)
// is the user's to promise: MAP_SYNC guarantees blocks that are writably
// mapped; data that write(2) put there and a read fault mapped read-only is
// not.
func (c *Ctx) userPersisted(v *VMA, pte *PTE) {
	i, pg := c.St.Inode, c.St.Page
	bl := &c.S.Blocks[int(pte.Val)-1]
	if v.Flags&VMShared != 0 && pte.Write != 0 && bl.Tag == Tag(i, pg) {
		c.S.FlushPromise(i, pg, bl.Ver)
		if c.K.UserFlushPromised(c, v) {
			c.S.Promise(i, pg, bl.Ver)
		}
		c.Ev.Obligation = true
	}
}

func (f *Foot) userPersisted() {
	f.R(RData)
	f.Hook(HookUserFlushPromised, 0)
	f.Promise(0)
}

// --- read, write ---------------------------------------------------------------

// readStep copies the page to user space: a DAX inode reads the block
// (dax_iomap_rw's dax_copy_to_iter, whatever the page cache holds); a page-cache
// inode reads its page if it has one, else the block (readahead).
func readStep(c *Ctx) Outcome {
	i, pg := c.St.Inode, c.St.Page
	in := &c.S.Inodes[i]
	c.UpRead(IRwsemOf(c))
	if pg < int(in.Size) && in.SDax == 0 && in.XA[pg].Kind == EntryNone {
		// filemap_read: a miss reads the page into the page cache
		// (page_cache_sync_readahead -> filemap_create_folio), where it stays.
		ver, _ := c.S.FileVersion(i, pg)
		in.XA[pg] = Entry{Kind: EntryPage, Val: c.S.FileValue(i, pg), Ver: ver}
	}
	val, tag, freed := uint8(0), uint8(0), false
	ver, own := uint8(0), true
	written := in.Ext[pg] == ExtWritten || in.Ext[pg] == ExtShared
	switch {
	case pg >= int(in.Size):
	case in.SDax == 0 && in.XA[pg].Kind == EntryPage:
		val, ver = in.XA[pg].Val, in.XA[pg].Ver
		if val != 0 {
			tag = Tag(i, pg)
		}
	case written:
		b := int(in.Block[pg]) - 1
		bl := &c.S.Blocks[b]
		val, tag, freed = bl.Val, bl.Tag, bl.Used == 0
		ver, own = c.S.blockVersion(i, pg, b)
	}
	c.Ev.Data = Data{Valid: true, Inode: i, Page: pg, Ver: ver, VerKnown: own, Tag: tag, Freed: freed,
		Cloned: tag != 0 && tag == in.Origin[pg]}
	return c.Return(ResValue + Result(val))
}

// readFoot: the copy reads i_size, S_DAX, the slot (a miss adds a page-cache
// page), the data and its version; read-your-writes compares it with the
// page's last completed one.
func readFoot(f *Foot) {
	f.A(RIRwR)
	f.R(RSize, RCore, RBUsed, RVer)
	f.RW(RXA)
	f.fileVersion(0)
	f.FileValue(0)
}

func writeDispatch(c *Ctx) Outcome {
	i, pg := c.St.Inode, c.St.Page
	in := &c.S.Inodes[i]
	op := GateWrite
	if in.Ext[pg] != ExtWritten || pg >= int(in.Size) {
		op = GateWriteAlloc
	}
	if r := c.gate(op, i, pg, pg); r != ResOK {
		c.UpWrite(IRwsemOf(c))
		return c.Return(r)
	}
	if in.SDax != 0 {
		return c.Jump(PathWriteDAX, "")
	}
	return c.Jump(PathWritePC, "")
}

func writeDispatchFoot(f *Foot) {
	f.R(RMap, RSize, RCore)
	f.Hook(HookGate, 0)
	f.W(RIRwW)
}

// writeIomapBegin maps the page for a DAX write: allocate a zeroed block for a
// hole, convert an unwritten extent, each in a short transaction
// (ext4_iomap_alloc starts and stops its handle, xfs_iomap_write_direct commits
// its transaction; an extending write's handle also puts the inode on the
// orphan list, ext4_dax_write_iter). i_size does not move here: see
// writeCopyDAX. A newly allocated block (IOMAP_F_NEW) needs the page-cache
// invalidation of the next step.
func writeIomapBegin(c *Ctx) Outcome {
	i, pg := c.St.Inode, c.St.Page
	in := &c.S.Inodes[i]
	needAlloc := in.Ext[pg] != ExtWritten
	if (needAlloc || pg >= int(in.Size)) && c.S.Journal.Locked != 0 {
		return c.Block(LockJournal)
	}
	if in.Ext[pg] == ExtShared {
		c.S.unmapPage(i, pg, PTENone) // the old shared block may be mapped
		if !c.S.breakShare(i, pg) {
			if c.HoldsHandle() {
				c.StopHandle()
			}
			c.UpWrite(IRwsemOf(c))
			return c.Return(ResENOSPC)
		}
		return c.Jump(PathWriteDAX, "user-copy")
	}
	if !needAlloc {
		return c.Jump(PathWriteDAX, "user-copy")
	}
	if !c.S.makeWritten(i, pg) {
		if c.HoldsHandle() {
			c.StopHandle()
		}
		c.UpWrite(IRwsemOf(c))
		return c.Return(ResENOSPC)
	}
	return c.Next()
}

// writeIomapBeginFoot: a page that is not written (GAlloc) gets a block or a
// copy of its shared one, in a short transaction.
func writeIomapBeginFoot(f *Foot) {
	f.R(RMap, RSize, RJLocked)
	f.StopHandle()
	f.W(RIRwW)
	f.If(GAlloc, 0, func() {
		f.unmapPage(0)
		f.breakShare(0)
		f.makeWritten(0)
	})
}

// writeInvalidate is invalidate_inode_pages2_range over a newly allocated page: a
// zero-page entry and its PTEs go, so that faults see the new block; it waits for
// the entry lock (the fix of E.6, 13e451fdc1af).
func writeInvalidate(c *Ctx) Outcome {
	i, pg := c.St.Inode, c.St.Page
	in := &c.S.Inodes[i]
	e := &in.XA[pg]
	if e.Locked != 0 {
		return c.Block(LockEntry(i, pg))
	}
	if e.Kind == EntryZero || e.Kind == EntryEmpty {
		c.S.unmapPage(i, pg, PTEZero)
		*e = Entry{}
	}
	return c.Next()
}

func writeInvalidateFoot(f *Foot) {
	f.RW(RXA)
	f.W(RXADrop)
	f.unmapPage(0)
}

// writeCopyDAX copies the data with non-temporal stores, then extends i_size
// for a write past EOF, drops inode_lock, and for O_SYNC / O_DSYNC runs
// generic_write_sync over the page. The size moves only once the data is in
// the block (6.1: ext4_dax_write_iter -> ext4_handle_inode_extension after
// dax_iomap_rw; xfs_file_dax_write: i_size_write, xfs_setfilesize after
// dax_iomap_rw), so a fault of that page, which checks i_size first
// (dax_iomap_pte_fault: SIGBUS past it), never maps the new block before the
// data is there: a store that gets in lands after the write's data.
func writeCopyDAX(c *Ctx) Outcome {
	i, pg := c.St.Inode, c.St.Page
	in := &c.S.Inodes[i]
	if pg >= int(in.Size) && c.S.Journal.Locked != 0 {
		return c.Block(LockJournal)
	}
	if pg >= int(in.Size) {
		c.S.setSize(i, pg+1)
	}
	ver := c.S.bumpVersion(i, pg)
	c.S.kernelWrite(int(in.Block[pg])-1, i, pg, c.writeValue(), ver)
	c.S.completed(i, pg, ver)
	return c.writeEnd()
}

func writeCopyDAXFoot(f *Foot) {
	f.R(RMap, RSize, RJLocked)
	f.setSize(0)
	f.bumpVersion(0)
	f.kernelWrite(0)
	f.completed(0)
	f.writeEnd()
}

// writeValue is the data a write stores: its VALUE, or what it read from its
// user buffer.
func (c *Ctx) writeValue() uint8 {
	if c.St.FromMap {
		return c.Copy().Value
	}
	return c.St.Val
}

// userCopy reads the user buffer of "write FD PAGE from MAP PAGE" once, then
// continues at the copy step of the write path ret names (CopyRetDAX,
// CopyRetPageCache). Reading it may fault (copy_from_user with page faults
// enabled, reference/linux-dax.md B.4), which takes mmap_lock for read while the
// write holds inode_lock (the documented i_rwsem -> mmap_lock order).
func userCopy(ret uint8) func(c *Ctx) Outcome {
	return func(c *Ctx) Outcome {
		r := c.Copy()
		if !c.St.FromMap || r.Copied != 0 {
			return c.copyReturn(ret)
		}
		r.Ret = ret
		v := &c.Proc().VMA[c.St.VMA]
		if v.File != 0 && c.Proc().PTE[c.St.VMA][c.St.Page2].Kind != PTENone {
			return c.Jump(PathUserCopy, "copy") // mapped: no fault
		}
		return c.Jump(PathUserCopy, "")
	}
}

// userCopyFoot: whether the user buffer is mapped is its PTE's.
func userCopyFoot(f *Foot) { f.R(RVMA, RPTE.At(SelPage2)) }

// copyReturn continues at the copy step of the write path ret names.
func (c *Ctx) copyReturn(ret uint8) Outcome {
	if ret == CopyRetDAX {
		return c.Jump(PathWriteDAX, "copy")
	}
	return c.Jump(PathWritePC, "copy")
}

// userCopyLoad copies the buffer: through its PTE if present, else the data of the
// source file page (the model does not install the PTE the fault would). A buffer
// outside any mapping fails the write with EFAULT.
func userCopyLoad(c *Ctx) Outcome {
	p := c.Proc()
	v := &p.VMA[c.St.VMA]
	pg := c.St.Page2
	locked := c.Th.Held&(1<<mmapLockOf(c)) != 0
	if locked {
		c.UpRead(mmapLockOf(c))
	}
	src := int(v.Inode) - 1
	if v.File == 0 || pg < int(v.Lo) || pg > int(v.Hi) ||
		p.PTE[c.St.VMA][pg].Kind == PTENone && pg >= int(c.S.Inodes[src].Size) {
		// Outside any mapping, or a page beyond the mapped file's EOF, whose
		// fault is SIGBUS: copy_from_user copies nothing, the write fails
		// (dax_iomap_iter, generic_perform_write: -EFAULT).
		c.UpWrite(IRwsemOf(c))
		return c.Return(ResEFAULT)
	}
	val := c.S.FileValue(int(v.Inode)-1, pg)
	if p.PTE[c.St.VMA][pg].Kind != PTENone {
		val = c.S.pteValue(p, c.St.VMA, pg)
	}
	r := c.Copy()
	r.Copied, r.Value = 1, val
	return c.copyReturn(r.Ret)
}

// userCopyLoadFoot: copy_from_user reads the buffer's VMA and PTE, and the
// data of the file page it maps (SelSrc); EFAULT drops inode_lock.
func userCopyLoadFoot(f *Foot) {
	f.A(RMmapR)
	f.R(RVMA, RSize.At(SelSrc))
	f.FileValue(SelSrc)
	f.pteValue(SelPage2)
	f.W(RIRwW)
}

// writeEnd drops inode_lock and returns, or goes on to generic_write_sync.
func (c *Ctx) writeEnd() Outcome {
	c.UpWrite(IRwsemOf(c))
	f := &c.S.Files[c.St.File]
	if f.Sync == 0 {
		return c.Return(ResOK)
	}
	c.startWriteback(c.St.Page, c.St.Page, f.Sync == 2)
	return c.Jump(PathFsync, "writeback")
}

func (f *Foot) writeEnd() {
	f.W(RIRwW)
	f.R(RFile)
	f.fileVersion(0)
}

// writePageCache is generic_perform_write for one page: find or create the page
// (reading the old data), copy, mark it dirty, extend i_size in a transaction.
func writePageCache(c *Ctx) Outcome {
	i, pg := c.St.Inode, c.St.Page
	in := &c.S.Inodes[i]
	e := &in.XA[pg]
	if pg >= int(in.Size) && c.S.Journal.Locked != 0 {
		return c.Block(LockJournal)
	}
	if e.Locked != 0 {
		return c.Block(LockEntry(i, pg))
	}
	if e.Kind != EntryNone && e.Kind != EntryPage {
		// A DAX entry in a page-cache inode: only a flip proposal gets here, and
		// aops-consistent reports it; the model fails the write.
		c.UpWrite(IRwsemOf(c))
		return c.Return(ResEIO)
	}
	if e.Kind == EntryNone {
		ver, _ := c.S.FileVersion(i, pg)
		*e = Entry{Kind: EntryPage, Val: c.S.FileValue(i, pg), Ver: ver}
	}
	e.Val, e.Dirty = c.writeValue(), 1
	e.Ver = c.S.bumpVersion(i, pg)
	c.S.completed(i, pg, e.Ver)
	if pg >= int(in.Size) {
		c.S.setSize(i, pg+1)
	}
	return c.writeEnd()
}

func writePageCacheFoot(f *Foot) {
	f.R(RSize, RJLocked)
	f.RW(RXA)
	f.fileVersion(0)
	f.FileValue(0)
	f.bumpVersion(0)
	f.completed(0)
	f.setSize(0)
	f.writeEnd()
}

// --- truncate, punch, fallocate -------------------------------------------------

// truncRange is the pages a truncate or punch removes.
func (c *Ctx) truncRange() (lo, hi int) {
	if c.St.Op == OpTruncate {
		return c.St.Lo, MaxPages - 1
	}
	return c.St.Lo, c.St.Hi
}

// truncatePagecache is truncate_pagecache_range under invalidate_lock: unmap the
// range from every process, then delete its entries (waiting for entry locks;
// truncated page-cache data is dropped).
func truncatePagecache(c *Ctx) Outcome {
	i := c.St.Inode
	in := &c.S.Inodes[i]
	lo, hi := c.truncRange()
	op := GatePunch
	if c.St.Op == OpTruncate {
		op = GateTruncate
	}
	if c.St.Op != OpTruncate || lo < int(in.Size) {
		if r := c.gate(op, i, lo, hi); r != ResOK {
			c.UpWrite(InvalidateLockOf(c))
			c.UpWrite(IRwsemOf(c))
			return c.Return(r)
		}
	}
	for pg := lo; pg <= hi; pg++ {
		if in.XA[pg].Locked != 0 {
			return c.Block(LockEntry(i, pg))
		}
	}
	for pg := lo; pg <= hi; pg++ {
		c.S.unmapPage(i, pg, PTENone)
		if c.St.Op == OpTruncate {
			// truncate_pagecache: unmap_mapping_range(..., even_cows=1) zaps
			// the private COW copies beyond the new EOF too; punch
			// (truncate_pagecache_range) keeps them.
			c.S.unmapCows(i, pg)
		}
		in.XA[pg] = Entry{}
		if pg >= int(in.Size) && c.St.Op == OpPunch {
			continue
		}
		// From here the range's data is being removed: promises of it may come
		// back as zeroes, reads return zeroes (crash-model 3.4's X).
		if in.Prom[pg] != 0 || in.FProm[pg] != 0 {
			in.PromZero |= 1 << pg
		}
		in.DoneVer[pg] = 0
		in.TruncVer[pg] = c.S.bumpVersion(i, pg)
	}
	return c.Next()
}

// truncatePagecacheFoot: the gate, then every page of the range is unmapped
// (with the private copies), its entry deleted, its data version and
// promises moved on.
func truncatePagecacheFoot(f *Foot) {
	f.R(RSize)
	f.Hook(HookGate, SelRange)
	f.W(RInvW, RIRwW)
	f.RW(RXA.Range())
	f.W(RXADrop.Range())
	f.unmapPage(SelRange)
	f.Promise(SelRange)
	f.bumpVersion(SelRange)
}

// truncateBlocks frees the blocks of the range and sets i_size, in the running
// transaction, then drops invalidate_lock and inode_lock.
func truncateBlocks(c *Ctx) Outcome {
	i := c.St.Inode
	in := &c.S.Inodes[i]
	if c.S.Journal.Locked != 0 {
		return c.Block(LockJournal)
	}
	lo, hi := c.truncRange()
	if c.St.Op == OpTruncate && lo >= int(in.Size) {
		c.S.setSize(i, lo) // extending truncate: only the size changes
		lo = hi + 1
	}
	for pg := lo; pg <= hi; pg++ {
		if b := int(in.Block[pg]) - 1; b >= 0 {
			c.S.setExtent(i, pg, 0, ExtHole)
			c.S.releaseBlock(b) // a block a reflink shares stays with the other file
		}
	}
	if c.St.Op == OpTruncate && lo <= hi {
		c.S.setSize(i, lo)
	}
	c.UpWrite(InvalidateLockOf(c))
	c.UpWrite(IRwsemOf(c))
	return c.Return(ResOK)
}

func truncateBlocksFoot(f *Foot) {
	f.R(RJLocked, RSize, RMap.Range())
	f.setSize(0)
	f.setExtent(SelRange, true)
	f.releaseBlock()
	f.W(RInvW, RIRwW)
}

// fallocateStep allocates unwritten extents for the holes of the range and extends
// i_size (mode 0), in one transaction.
func fallocateStep(c *Ctx) Outcome {
	i := c.St.Inode
	in := &c.S.Inodes[i]
	if c.S.Journal.Locked != 0 {
		return c.Block(LockJournal)
	}
	if r := c.gate(GateFallocate, i, c.St.Lo, c.St.Hi); r != ResOK {
		c.UpWrite(IRwsemOf(c))
		return c.Return(r)
	}
	for pg := c.St.Lo; pg <= c.St.Hi; pg++ {
		if in.Block[pg] != 0 {
			continue
		}
		b, ok := c.S.allocZeroed(i)
		if !ok {
			c.UpWrite(IRwsemOf(c))
			return c.Return(ResENOSPC)
		}
		c.S.setExtent(i, pg, uint8(b+1), ExtUnwritten)
	}
	if c.St.Hi+1 > int(in.Size) {
		c.S.setSize(i, c.St.Hi+1)
	}
	c.UpWrite(IRwsemOf(c))
	return c.Return(ResOK)
}

// fallocateFoot: the holes of the range (GAlloc) get unwritten extents;
// i_size may grow.
func fallocateFoot(f *Foot) {
	f.R(RJLocked, RSize, RMap.Range())
	f.Hook(HookGate, SelRange)
	f.If(GAlloc, SelRange, func() {
		f.allocZeroed(SelRange)
		f.setExtent(SelRange, false)
	})
	f.setSize(0)
	f.W(RIRwW)
}
