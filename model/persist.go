package model

// The persistence domain, the journal and the durability obligations
// (reference/crash-model.md sections 3.1-3.4, reference/linux-dax.md D).
//
// Data: every block is one cache line with a durable lower bound (MVal/MTag/MVer)
// and a visible upper bound (Val/Tag/Ver). A user store through a DAX PTE moves only
// the upper bound (under eADR both); clwb+sfence (the flush statement, fsync's
// dax_flush) moves the lower bound up to it. Kernel writes use non-temporal stores
// (memcpy_flushcache): they set NT and become durable at the next fence, which the
// model takes at fsync/msync (nvdimm_flush) and at every journal commit
// (REQ_PREFLUSH). New blocks are zeroed durably before they are mapped
// (EXT4_GET_BLOCKS_CREATE_ZERO, XFS_BMAPI_ZERO).
//
// Metadata: the block map, extent states, i_size and the block bitmap change in
// memory inside the running transaction (MDirty, SizeDirty, Block.Used) and reach
// the D* fields only when that transaction commits. Freed blocks are not reused
// until the freeing transaction commits (ext4 mballoc deferred frees, XFS busy
// extents): the allocator takes only blocks free both in memory and on disk.

// Tag is the content tag of data written to page pg of inode i.
func Tag(i, pg int) uint8 { return uint8(i*MaxPages + pg + 1) }

// TagInode is the inode whose data a non-zero tag is.
func TagInode(tag uint8) int { return (int(tag) - 1) / MaxPages }

// TagPage is the page whose data a non-zero tag is.
func TagPage(tag uint8) int { return (int(tag) - 1) % MaxPages }

// allocZeroed allocates the lowest block free in memory and on disk for inode i
// and zeroes it durably.
func (s *State) allocZeroed(i int) (int, bool) {
	for b := range s.Blocks {
		bl := &s.Blocks[b]
		if bl.Used == 0 && bl.DUsed == 0 {
			*bl = Block{Used: 1, Owner: uint8(i + 1), MVal: 0}
			s.Journal.Dirty = 1
			return b, true
		}
	}
	return 0, false
}

// allocZeroed declares State.allocZeroed of a block for the pages at selects:
// the bitmaps are read, the block taken and zeroed durably, its data the
// page's from now on.
func (f *Foot) allocZeroed(at Sel) {
	f.R(RBDUsed)
	f.RW(RBUsed)
	f.W(RBDur, RBNT, RData.At(at))
	f.A(RJDirty)
}

// freedUncommitted reports whether the running transaction frees blocks that a
// commit would make allocatable.
func (s *State) freedUncommitted() bool {
	for b := range s.Blocks {
		if s.Blocks[b].Used == 0 && s.Blocks[b].DUsed != 0 {
			return true
		}
	}
	return false
}

func freedUncommittedFoot(f *Foot, _ Sel) { f.R(RBUsed, RBDUsed) }

// freeBlock releases block b in the running transaction; its data stays until the
// block is reused.
func (s *State) freeBlock(b int) {
	s.Blocks[b].Used = 0
	s.Journal.Dirty = 1
}

// makeWritten gives page pg of inode i a zeroed written extent in the running
// transaction: a new block for a hole, the block itself for an unwritten extent
// (zeroed at conversion). It reports false on ENOSPC.
func (s *State) makeWritten(i, pg int) bool {
	in := &s.Inodes[i]
	if in.Block[pg] == 0 {
		b, ok := s.allocZeroed(i)
		if !ok {
			return false
		}
		s.setExtent(i, pg, uint8(b+1), ExtWritten)
		return true
	}
	b := int(in.Block[pg]) - 1
	s.Blocks[b] = Block{Used: 1, DUsed: s.Blocks[b].DUsed, Owner: uint8(i + 1)}
	s.setExtent(i, pg, in.Block[pg], ExtWritten)
	return true
}

// makeWritten declares State.makeWritten of the pages at selects.
func (f *Foot) makeWritten(at Sel) {
	f.R(RMap.At(at))
	f.allocZeroed(at)
	f.setExtent(at, false)
}

// setExtent changes the block map of page pg of inode i in the running transaction.
func (s *State) setExtent(i, pg int, block uint8, ext uint8) {
	in := &s.Inodes[i]
	in.Block[pg], in.Ext[pg] = block, ext
	in.MDirty |= 1 << pg
	in.DSync = 1
	s.Journal.Dirty = 1
}

// setExtent declares State.setExtent of the pages at selects; unwrite says the
// new extent may be other than written (the GAlloc enabler).
func (f *Foot) setExtent(at Sel, unwrite bool) {
	f.W(RMap.At(at))
	f.A(RDirt.At(at), RJDirty)
	if unwrite {
		f.W(RUnwrite.At(at))
	}
}

// setSize changes i_size in the running transaction.
func (s *State) setSize(i, n int) {
	in := &s.Inodes[i]
	in.Size = uint8(n)
	in.SizeDirty = 1
	in.DSync = 1
	s.Journal.Dirty = 1
}

// setSize declares State.setSize of the inode at selects.
func (f *Foot) setSize(at Sel) {
	f.W(RSize.At(at))
	f.A(RDirt.At(at), RJDirty)
}

// bumpVersion starts a new version of the data of page pg of inode i.
func (s *State) bumpVersion(i, pg int) uint8 {
	in := &s.Inodes[i]
	if in.DVer[pg] == 255 {
		panic("model: more than 255 writes to one page")
	}
	in.DVer[pg]++
	return in.DVer[pg]
}

func (f *Foot) bumpVersion(at Sel) { f.RW(RVer.At(at)) }

// userStore is a CPU store of val to block b, the data of page pg of inode i.
func (s *State) userStore(k *Kernel, b, i, pg int, val uint8) {
	bl := &s.Blocks[b]
	bl.Val, bl.Tag, bl.Ver = val, Tag(i, pg), s.bumpVersion(i, pg)
	if k.EADR {
		bl.MVal, bl.MTag, bl.MVer = bl.Val, bl.Tag, bl.Ver
	}
}

// userStore declares a store to the block of the page at selects.
func (f *Foot) userStore(at Sel) {
	f.W(RData.At(at))
	f.bumpVersion(at)
	if f.K.EADR {
		f.W(RBDur)
	}
}

// kernelWrite is a kernel non-temporal write of val to block b (dax_copy_from_iter
// -> memcpy_flushcache, page writeback through the pmem driver).
func (s *State) kernelWrite(b, i, pg int, val uint8, ver uint8) {
	bl := &s.Blocks[b]
	bl.Val, bl.Tag, bl.Ver = val, Tag(i, pg), ver
	bl.NT = 1
}

// kernelWrite declares a non-temporal write to the block of the pages at
// selects: pending until the next fence (NTSet).
func (f *Foot) kernelWrite(at Sel) { f.W(RData.At(at), RBNT, RNTSet) }

// FlushBlock is clwb of block b's line followed by sfence: its content is durable.
func (s *State) FlushBlock(b int) {
	bl := &s.Blocks[b]
	bl.MVal, bl.MTag, bl.MVer = bl.Val, bl.Tag, bl.Ver
	bl.NT = 0
}

// FlushBlock declares State.FlushBlock of the block of the pages at selects.
func (f *Foot) FlushBlock(at Sel) {
	f.R(RData.At(at))
	f.W(RBDur, RBNT)
}

// Fence is a kernel sfence / nvdimm_flush / REQ_PREFLUSH: every pending
// non-temporal write is durable.
func (s *State) Fence() {
	for b := range s.Blocks {
		if s.Blocks[b].NT != 0 {
			s.FlushBlock(b)
		}
	}
}

// Fence declares State.Fence: the pending writes' data is read only while
// some may be pending (GNT).
func (f *Foot) Fence() {
	f.RW(RBNT)
	f.W(RBDur)
	f.If(GNT, 0, func() { f.R(RData.All()) })
}

// Dirty reports whether inode i has metadata in the running transaction that an
// fsync (datasync false) or fdatasync / IOMAP_F_DIRTY (datasync true) must commit.
func (s *State) Dirty(i int, datasync bool) bool {
	in := &s.Inodes[i]
	if datasync {
		return in.DSync != 0
	}
	// An inode flag change moves only ext4's i_sync_tid
	// (ext4_update_inode_fsync_trans(handle, inode, 0) in ext4_do_update_inode):
	// fsync commits it, fdatasync does not. (XFS logs it as XFS_ILOG_CORE,
	// which xfs_fsync_seq counts for fdatasync too: there the model allows a
	// crash after fdatasync to lose a flag change XFS keeps.)
	return in.DSync != 0 || in.MDirty != 0 || in.SizeDirty != 0 || in.DiskDax != in.DDiskDax
}

// Dirty declares State.Dirty of the statement's inode.
func (f *Foot) Dirty() { f.R(RDirt, RFlags, RDMeta) }

// CommitTransaction writes the running transaction's commit record: the
// in-memory metadata becomes the committed metadata, the bitmap likewise. (The
// journal thread fences pending data first: the REQ_PREFLUSH of the commit.)
func (s *State) CommitTransaction() {
	for i := range s.Inodes {
		in := &s.Inodes[i]
		for pg := 0; pg < MaxPages; pg++ {
			if in.MDirty&(1<<pg) != 0 {
				in.DBlock[pg], in.DExt[pg] = in.Block[pg], in.Ext[pg]
			}
		}
		if in.SizeDirty != 0 {
			in.DSize = in.Size
		}
		in.DNlink = in.Nlink
		in.DDiskDax = in.DiskDax
		in.DReflink = in.Reflink
		in.MDirty, in.SizeDirty, in.DSync = 0, 0, 0
	}
	s.DDirDax = s.DirDax
	for b := range s.Blocks {
		s.Blocks[b].DUsed = s.Blocks[b].Used
	}
	j := &s.Journal
	j.Tid++
	j.Locked, j.Request, j.Dirty = 0, 0, 0
}

// CommitTransaction declares State.CommitTransaction: the in-memory metadata
// of every inode and directory is read and committed, the transaction closed.
func (f *Foot) CommitTransaction() {
	f.R(RMap.All(), RSize.All(), RLink.All(), RFlags.All(), RDir.All(), RBUsed)
	f.W(RDMeta.All(), RDirt.All(), RDDir, RBDUsed, RJLocked, RJReq, RJDirty)
	f.RW(RJTid)
}

// FileVersion is the data version reading page pg of inode i returns, and whether
// it is this page's data (its own, or a reflink clone's): the page-cache page, or
// the block's visible content.
func (s *State) FileVersion(i, pg int) (uint8, bool) {
	in := &s.Inodes[i]
	if in.XA[pg].Kind == EntryPage {
		return in.XA[pg].Ver, true
	}
	if in.Ext[pg] == ExtWritten || in.Ext[pg] == ExtShared {
		return s.blockVersion(i, pg, int(in.Block[pg])-1)
	}
	return 0, true
}

// fileVersion declares State.FileVersion of the page at selects.
func (f *Foot) fileVersion(at Sel) { f.R(RXA.At(at), RMap.At(at), RData.At(at), RClone.At(at)) }

// blockVersion is the version of page pg of inode i that block b shows.
func (s *State) blockVersion(i, pg, b int) (uint8, bool) {
	bl := &s.Blocks[b]
	switch {
	case bl.Tag == 0:
		return 0, true
	case bl.Tag == Tag(i, pg):
		return bl.Ver, true
	case bl.Tag == s.Inodes[i].Origin[pg]:
		return s.Inodes[i].CloneVer[pg], true
	}
	return 0, false
}

// completed records that a store or write of version ver to page pg of inode i
// has completed (read-your-writes).
func (s *State) completed(i, pg int, ver uint8) {
	if in := &s.Inodes[i]; ver > in.DoneVer[pg] {
		in.DoneVer[pg] = ver
	}
}

func (f *Foot) completed(at Sel) { f.RW(RVer.At(at)) }

// Promise records that the kernel promised the data of page pg of inode i at
// version ver durable (no-lost-block).
func (s *State) Promise(i, pg int, ver uint8) { s.promise(i, pg, ver, &s.Inodes[i].Prom) }

// promise raises one kind of obligation on page pg of inode i to version ver.
func (s *State) promise(i, pg int, ver uint8, prom *[MaxPages]uint8) {
	in := &s.Inodes[i]
	if ver > prom[pg] {
		prom[pg] = ver
		in.PromZero &^= 1 << pg
		if in.TruncVer[pg] > ver {
			in.PromZero |= 1 << pg // truncated after that version: zeroes are allowed
		}
	}
}

// Promise declares State.Promise (and FlushPromise) on the pages at selects.
func (f *Foot) Promise(at Sel) { f.RW(RProm.At(at)) }

// FlushPromise records that user space flushed version ver of page pg of inode i
// through a shared DAX mapping (flush-is-durable).
func (s *State) FlushPromise(i, pg int, ver uint8) { s.promise(i, pg, ver, &s.Inodes[i].FProm) }

// Recovered is what recovery finds at page pg of inode i after a crash in state s:
// the committed extent, its block, and whether the page lies within the committed
// i_size.
func (s *State) Recovered(i, pg int) (block int, ext uint8, inSize bool) {
	in := &s.Inodes[i]
	return int(in.DBlock[pg]) - 1, in.DExt[pg], pg < int(in.DSize)
}

// --- journal handles and the commit thread -----------------------------------------

// StartHandle opens a journal handle on the running transaction
// (ext4_journal_start / jbd2__journal_start); it reports false, changing nothing,
// while the running transaction is locked for commit.
func (c *Ctx) StartHandle() bool {
	j := &c.S.Journal
	if j.Locked != 0 {
		return false
	}
	j.Handles++
	c.Th.Held |= 1 << LockJournal
	return true
}

// StartHandle declares Ctx.StartHandle.
func (f *Foot) StartHandle() {
	f.R(RJLocked)
	f.A(RJHandles)
}

// StopHandle closes the thread's handle (ext4_journal_stop).
func (c *Ctx) StopHandle() {
	if c.Th.Held&(1<<LockJournal) == 0 {
		panic("model: journal handle stopped twice")
	}
	c.S.Journal.Handles--
	c.Th.Held &^= 1 << LockJournal
}

// StopHandle declares Ctx.StopHandle.
func (f *Foot) StopHandle() { f.A(RJHandles) }

// HoldsHandle reports whether the running thread has a journal handle open.
func (c *Ctx) HoldsHandle() bool { return c.Th.Held&(1<<LockJournal) != 0 }

// jbd2Lock is the first half of kjournald2's commit: lock the running transaction
// if a commit is due (requested, or any time under "commit background").
func jbd2Lock(c *Ctx) Outcome {
	j := &c.S.Journal
	if j.Dirty == 0 || (j.Request == 0 && !c.K.Background) {
		return c.Block(NoLock)
	}
	j.Locked = 1
	return c.Next()
}

func jbd2LockFoot(f *Foot) {
	f.R(RJDirty, RJReq)
	f.W(RJLocked)
}

// jbd2Commit is jbd2_journal_commit_transaction once t_updates is zero: write the
// log blocks and the commit record (REQ_PREFLUSH | REQ_FUA: pending data is
// durable before the record).
func jbd2Commit(c *Ctx) Outcome {
	if c.S.Journal.Handles != 0 {
		return c.Block(LockJournal)
	}
	c.S.Fence()
	c.S.CommitTransaction()
	c.Ev.Fence = true
	return c.Jump(PathJbd2, "")
}

// jbd2CommitFoot: wait for the handles, fence, commit.
func jbd2CommitFoot(f *Foot) {
	f.R(RJHandles)
	f.Fence()
	f.CommitTransaction()
}
