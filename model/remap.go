package model

// Block-map changes under live mappings (seed 002): defrag moves a page to a new
// block, reflink shares a block between two files, and a later write to a shared
// extent copies it (CoW). Jan Kara's protocol for doing this safely under DAX
// mappings, "block faults, fdatasync the remapped range, unmap_mapping_range,
// remap, unblock", is the baseline path (RemapKara); the remap-naive proposal
// remaps without locking out faults or unmapping (model/proposals/remap_naive.go).
//
// What the kernels support: ext4 refuses online defrag of DAX files (73f34a5e2ced
// "ext4: online defrag not supported with DAX") and has no reflink; XFS refused
// reflink on DAX inodes until 5.19 (xfs_reflink_remap_prep: "Don't share DAX file
// data for now"). Kernel.RemapSupported says which calls a proposal allows.

func remapPaths(k *Kernel) { RemapKara(k) }

// remapSupportedLinux is what ext4 and XFS (before 5.19) allow.
func remapSupportedLinux(c *Ctx) Result {
	src := &c.S.Inodes[c.St.Inode]
	switch c.St.Op {
	case OpDefrag:
		if !c.K.FS.DefragDAX && src.SDax != 0 {
			return ResEOPNOTSUPP
		}
	case OpReflink:
		if !c.K.FS.Reflink {
			return ResEOPNOTSUPP
		}
		if src.SDax != 0 || c.S.Inodes[c.St.Inode2].SDax != 0 {
			return ResEINVAL
		}
	}
	return ResOK
}

// RemapSupportedFoot is the footprint of a RemapSupported hook that reads
// both inodes' S_DAX.
func RemapSupportedFoot(f *Foot, _ Sel) { f.R(RCore, RCore.Dst()) }

// RemapCheck is the ioctl entry of defrag and reflink: open descriptors (the
// destination for write) and the filesystem's support.
func RemapCheck(c *Ctx) Outcome {
	st := c.St
	dst := st.File
	if st.Op == OpReflink {
		dst = st.File2
		if c.S.Files[st.File].FdOpen == 0 {
			return c.Return(ResEBADF)
		}
	}
	f := &c.S.Files[dst]
	if f.FdOpen == 0 || f.Write == 0 {
		return c.Return(ResEBADF)
	}
	if r := c.K.RemapSupported(c); r != ResOK {
		return c.Return(r) // do_clone_file_range: no ->remap_file_range first
	}
	if st.Op == OpReflink {
		// generic_remap_checks: the source range must lie below EOF, and a
		// range of one file may not overlap itself.
		if st.Page >= int(c.S.Inodes[st.Inode].Size) || st.Inode == st.Inode2 && st.Page == st.Page2 {
			return c.Return(ResEINVAL)
		}
	}
	if r := c.gate(GateRemap, st.Inode, st.Page, st.Page); r != ResOK {
		return c.Return(r)
	}
	if st.Op == OpReflink {
		if r := c.gate(GateRemap, st.Inode2, st.Page2, st.Page2); r != ResOK {
			return c.Return(r)
		}
	}
	return c.Next()
}

// RemapCheckFoot is the footprint of [RemapCheck].
func RemapCheckFoot(f *Foot) {
	f.R(RFile, RFile.Dst(), RSize)
	f.Hook(HookRemapSupported, 0)
	f.Hook(HookGate, 0)
	f.Hook(HookGate, SelDst|SelPage2)
}

// RemapKara installs the safe protocol for defrag and reflink (the baseline's
// paths): block faults with invalidate_lock, write back, unmap, then remap.
func RemapKara(k *Kernel) {
	defrag := append(append(append([]Step{
		{Label: "check", Fn: k.FS.Fn["defrag"], Do: RemapCheck, Foot: RemapCheckFoot}},
		DownWrite("inode-lock", "inode_lock", IRwsemOf)...),
		DownWrite("invalidate-lock", "filemap_invalidate_lock (block faults)", InvalidateLockOf)...),
		Step{Label: "sync", Fn: "fdatasync range: dax_writeback_one", Do: remapSyncStart, Foot: remapSyncStartFoot},
		Step{Label: "writeback", Fn: "fdatasync range: dax_writeback_one", Do: writebackOne, Foot: writebackOneFoot},
		Step{Label: "commit", Fn: "fdatasync range: commit needed?", Do: commitRequest("commit-wait"), Foot: commitRequestFoot,
			Jumps: []Target{Past(PathSelf, "commit-wait")}},
		Step{Label: "commit-wait", Fn: "fdatasync range: " + k.FS.Fn["commit-wait"], Do: commitWait, Foot: commitWaitFoot},
		Step{Label: "unmap", Fn: "unmap_mapping_range; delete the entry", Do: remapUnmap(false), Foot: remapUnmapFoot(false)},
		Step{Label: "remap", Fn: "remap: allocate, copy, map, free (transaction); unblock faults", Foot: func(f *Foot) {
			f.DefragMove()
			f.W(RInvW, RIRwW)
		}, Do: func(c *Ctx) Outcome {
			r, ok := c.DefragMove()
			if !ok {
				return c.Block(LockJournal)
			}
			c.UpWrite(InvalidateLockOf(c))
			c.UpWrite(IRwsemOf(c))
			return c.Return(r)
		}},
	)
	k.Paths[PathDefrag] = Path{Name: "defrag", Steps: defrag, Regs: RegsSync}
	lo := func(c *Ctx) int { return min(c.St.Inode, c.St.Inode2) }
	// hi is the second inode to lock; within one file there is none.
	hi := func(c *Ctx, lock func(int) LockID) LockID {
		if c.St.Inode == c.St.Inode2 {
			return NoLock
		}
		return lock(max(c.St.Inode, c.St.Inode2))
	}
	reflink := []Step{{Label: "check", Fn: "ioctl(FICLONERANGE)", Do: RemapCheck, Foot: RemapCheckFoot}}
	reflink = append(reflink, DownWrite("inode-lock", "lock_two_nondirectories: inode_lock", func(c *Ctx) LockID { return LockIRwsem(lo(c)) })...)
	reflink = append(reflink, DownWrite("inode-lock-2", "lock_two_nondirectories: inode_lock (2nd)", func(c *Ctx) LockID { return hi(c, LockIRwsem) })...)
	reflink = append(reflink, DownWrite("invalidate-lock", "filemap_invalidate_lock_two", func(c *Ctx) LockID { return LockInvalidate(lo(c)) })...)
	reflink = append(reflink, DownWrite("invalidate-lock-2", "filemap_invalidate_lock_two (2nd)", func(c *Ctx) LockID { return hi(c, LockInvalidate) })...)
	reflink = append(reflink,
		Step{Label: "sync", Fn: "remap prep: write back the source page", Do: remapSyncStart, Foot: remapSyncStartFoot},
		Step{Label: "writeback", Fn: "remap prep: dax_writeback_one (write-protect the source)", Do: writebackOne,
			Foot: writebackOneFoot},
		Step{Label: "unmap", Fn: "remap prep: unmap and delete the destination page", Do: remapUnmap(true),
			Foot: remapUnmapFoot(true)},
		Step{Label: "share", Fn: "xfs_reflink_remap_blocks: share the block (transaction); unlock", Foot: func(f *Foot) {
			f.ReflinkShare()
			f.W(RInvW, RInvW.Dst(), RIRwW, RIRwW.Dst())
		}, Do: func(c *Ctx) Outcome {
			if !c.ReflinkShare() {
				return c.Block(LockJournal)
			}
			i, j := c.St.Inode, c.St.Inode2
			if i != j {
				c.UpWrite(LockInvalidate(max(i, j)))
			}
			c.UpWrite(LockInvalidate(min(i, j)))
			if i != j {
				c.UpWrite(LockIRwsem(max(i, j)))
			}
			c.UpWrite(LockIRwsem(min(i, j)))
			return c.Return(ResOK)
		}},
	)
	k.Paths[PathReflink] = Path{Name: "reflink", Steps: reflink, Regs: RegsSync}
}

// remapSyncStart starts the datasync writeback of the page being remapped.
func remapSyncStart(c *Ctx) Outcome {
	c.startWriteback(c.St.Page, c.St.Page, true)
	return c.Next()
}

func remapSyncStartFoot(f *Foot) { f.fileVersion(0) }

// remapUnmap unmaps the page being remapped from every process and deletes its
// entry (waiting for the entry lock): of the statement's file for defrag, of the
// destination for reflink.
func remapUnmap(dst bool) func(c *Ctx) Outcome {
	return func(c *Ctx) Outcome {
		i, pg := c.St.Inode, c.St.Page
		if dst {
			i, pg = c.St.Inode2, c.St.Page2
		}
		e := &c.S.Inodes[i].XA[pg]
		if e.Locked != 0 {
			return c.Block(LockEntry(i, pg))
		}
		c.S.unmapPage(i, pg, PTENone)
		if e.Kind == EntryPage && e.Dirty != 0 {
			if !c.S.writebackPageNT(i, pg) {
				return c.Block(NoLock)
			}
		}
		*e = Entry{}
		return c.Next()
	}
}

// remapUnmapFoot: the page (the destination's for reflink) is unmapped and its
// entry written back and deleted.
func remapUnmapFoot(dst bool) func(f *Foot) {
	var at Sel
	if dst {
		at = SelDst
	}
	return func(f *Foot) {
		f.RW(RXA.At(at))
		f.W(RXADrop.At(at))
		f.unmapPage(at)
		f.writebackPageNT(at)
	}
}

// copyBlock allocates a block for page pg of inode i and copies the data of
// block from into it with non-temporal stores (durable at the next fence).
func (s *State) copyBlock(i, pg, from int) (int, bool) {
	b, ok := s.allocZeroed(i)
	if !ok {
		return 0, false
	}
	o := s.Blocks[from]
	bl := &s.Blocks[b]
	bl.Val, bl.Tag, bl.Ver, bl.NT = o.Val, o.Tag, o.Ver, 1
	return b, true
}

// copyBlock declares State.copyBlock for the page at selects: a new block
// with the data of the page's old one, pending until the next fence.
func (f *Foot) copyBlock(at Sel) {
	f.allocZeroed(at)
	f.R(RData.At(at))
	f.kernelWrite(at)
}

// releaseBlock frees block b unless another file still maps it (a shared extent,
// in the scenario or outside it).
func (s *State) releaseBlock(b int) {
	if s.Blocks[b].External != 0 {
		return
	}
	for i := range s.Inodes {
		for pg := range s.Inodes[i].Block {
			if int(s.Inodes[i].Block[pg]) == b+1 {
				return
			}
		}
	}
	s.freeBlock(b)
}

// releaseBlock declares State.releaseBlock: every block map is looked at.
func (f *Foot) releaseBlock() {
	f.R(RMap.All())
	f.RW(RBUsed)
	f.A(RJDirty)
}

// DefragMove moves the statement's page to a new block in one transaction:
// allocate, copy, map, free the old block. It reports the result (ENOSPC when
// no block is free), or false while the running transaction is locked for
// commit (the caller blocks, having changed nothing).
func (c *Ctx) DefragMove() (Result, bool) {
	i, pg := c.St.Inode, c.St.Page
	in := &c.S.Inodes[i]
	if c.S.Journal.Locked != 0 {
		return ResOK, false
	}
	if in.Ext[pg] == ExtWritten || in.Ext[pg] == ExtShared {
		old := int(in.Block[pg]) - 1
		b, ok := c.S.copyBlock(i, pg, old)
		if !ok {
			return ResENOSPC, true
		}
		c.S.setExtent(i, pg, uint8(b+1), ExtWritten)
		c.S.releaseBlock(old)
	}
	return ResOK, true
}

// DefragMove declares Ctx.DefragMove.
func (f *Foot) DefragMove() {
	f.R(RJLocked, RMap)
	f.copyBlock(0)
	f.setExtent(0, false)
	f.releaseBlock()
}

// ReflinkShare makes the destination page share the source page's block, frees
// the destination's old block, marks both extents shared and both inodes
// reflinked (XFS_DIFLAG2_REFLINK), in one transaction. The destination's data
// is now the source's: its Origin and CloneVer say so, for no-data-leak and
// the obligations. It reports false, changing nothing, while the running
// transaction is locked for commit.
func (c *Ctx) ReflinkShare() bool {
	i, pg, j, pg2 := c.St.Inode, c.St.Page, c.St.Inode2, c.St.Page2
	src, dst := &c.S.Inodes[i], &c.S.Inodes[j]
	if c.S.Journal.Locked != 0 {
		return false
	}
	old := int(dst.Block[pg2]) - 1
	// xfs_reflink_remap_prep -> xfs_reflink_set_inode_flag: both inodes are
	// marked reflinked in the transaction, whatever the range holds.
	src.Reflink, dst.Reflink = 1, 1
	if src.Ext[pg] == ExtWritten || src.Ext[pg] == ExtShared {
		b := src.Block[pg]
		c.S.setExtent(i, pg, b, ExtShared)
		c.S.setExtent(j, pg2, b, ExtShared)
		dst.Origin[pg2] = c.S.Blocks[b-1].Tag
	} else {
		c.S.setExtent(j, pg2, 0, ExtHole)
		dst.Origin[pg2] = 0
	}
	dst.CloneVer[pg2] = c.S.bumpVersion(j, pg2)
	if pg2 >= int(dst.Size) {
		c.S.setSize(j, pg2+1)
	}
	if old >= 0 {
		c.S.releaseBlock(old)
	}
	return true
}

// ReflinkShare declares Ctx.ReflinkShare: both extents become shared (or the
// destination a hole), both inodes reflinked, the destination's data the
// source's.
func (f *Foot) ReflinkShare() {
	f.R(RJLocked, RMap, RMap.Dst(), RData, RSize.Dst())
	f.W(RFlags, RFlags.Dst())
	f.setExtent(0, true)
	f.setExtent(SelDst, true)
	f.RW(RClone.Dst())
	f.bumpVersion(SelDst)
	f.setSize(SelDst)
	f.releaseBlock()
}

// breakShare is the copy-on-write of a write to a shared extent: a new block with
// the shared data (dax_iomap_cow_copy), mapped in the running transaction; the
// other file keeps the old block.
func (s *State) breakShare(i, pg int) bool {
	in := &s.Inodes[i]
	old := int(in.Block[pg]) - 1
	b, ok := s.copyBlock(i, pg, old)
	if !ok {
		return false
	}
	s.setExtent(i, pg, uint8(b+1), ExtWritten)
	s.releaseBlock(old)
	return true
}

// breakShare declares State.breakShare of the page at selects.
func (f *Foot) breakShare(at Sel) {
	f.R(RMap.At(at))
	f.copyBlock(at)
	f.setExtent(at, false)
	f.releaseBlock()
}
