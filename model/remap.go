package model

// Block-map changes under live mappings (seed 002): defrag moves a page to a new
// block, reflink shares a block between two files, and a later write to a shared
// extent copies it (CoW). Jan Kara's protocol for doing this safely under DAX
// mappings, "block faults, fdatasync the remapped range, unmap_mapping_range,
// remap, unblock", is the baseline path (RemapKara); the remap-naive proposal
// remaps without locking out faults or unmapping (RemapNaive).
//
// What the kernels support: ext4 refuses online defrag of DAX files (73f34a5e2ced
// "ext4: online defrag not supported with DAX") and has no reflink; XFS refused
// reflink on DAX inodes until 5.19 (xfs_reflink_remap_prep: "Don't share DAX file
// data for now"). Kernel.RemapSupported says which calls a proposal allows.

func init() { extraPaths = append(extraPaths, remapPaths) }

func remapPaths(k *Kernel) {
	k.RemapSupported = remapSupportedLinux
	RemapKara(k)
	k.Entry[OpDefrag] = PathDefrag
	k.Entry[OpReflink] = PathReflink
}

// remapSupportedLinux is what ext4 and XFS (before 5.19) allow.
func remapSupportedLinux(c *Ctx) Result {
	src := &c.S.Inodes[c.St.Inode]
	switch c.St.Op {
	case OpDefrag:
		if c.K.FS == "ext4" && src.SDax != 0 {
			return ResEOPNOTSUPP
		}
	case OpReflink:
		if c.K.FS == "ext4" {
			return ResEOPNOTSUPP
		}
		if src.SDax != 0 || c.S.Inodes[c.St.Inode2].SDax != 0 {
			return ResEINVAL
		}
	}
	return ResOK
}

// remapCheck is the ioctl entry: open descriptors (the destination for write) and
// the filesystem's support.
func remapCheck(c *Ctx) Outcome {
	st := c.St
	dst := st.File
	if st.Op == OpReflink {
		dst = st.File2
		if c.S.Files[st.File].FdOpen == 0 {
			return c.Return(ResEBADF)
		}
		if st.Inode == st.Inode2 {
			return c.Return(ResEINVAL) // the model does not clone within one file
		}
	}
	f := &c.S.Files[dst]
	if f.FdOpen == 0 || f.Write == 0 {
		return c.Return(ResEBADF)
	}
	if r := c.K.RemapSupported(c); r != ResOK {
		return c.Return(r)
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

// RemapKara installs the safe protocol for defrag and reflink.
func RemapKara(k *Kernel) {
	defrag := append(append(append([]Step{
		{Fn: "EXT4_IOC_MOVE_EXT / xfs_swap_extents", Do: remapCheck}},
		DownWrite("inode_lock", iRwsemOf)...),
		DownWrite("filemap_invalidate_lock (block faults)", invalidateLockOf)...),
		Step{Fn: "fdatasync range: dax_writeback_one", Do: defragSyncStart},
		Step{Fn: "fdatasync range: dax_writeback_one", Do: writebackOne},
		Step{Fn: "fdatasync range: commit needed?", Do: commitRequest},
		Step{Fn: "fdatasync range: jbd2_log_wait_commit", Do: commitWait},
		Step{Fn: "unmap_mapping_range; delete the entry", Do: remapUnmap(false)},
		Step{Fn: "remap: allocate, copy, map, free (transaction); unblock faults", Do: defragMove(true)},
	)
	k.Paths[PathDefrag] = Path{Name: "defrag", Steps: defrag}
	lo := func(c *Ctx) int { return min(c.St.Inode, c.St.Inode2) }
	hi := func(c *Ctx) int { return max(c.St.Inode, c.St.Inode2) }
	reflink := []Step{{Fn: "ioctl(FICLONERANGE)", Do: remapCheck}}
	reflink = append(reflink, DownWrite("lock_two_nondirectories: inode_lock", func(c *Ctx) LockID { return LockIRwsem(lo(c)) })...)
	reflink = append(reflink, DownWrite("lock_two_nondirectories: inode_lock (2nd)", func(c *Ctx) LockID { return LockIRwsem(hi(c)) })...)
	reflink = append(reflink, DownWrite("filemap_invalidate_lock_two", func(c *Ctx) LockID { return LockInvalidate(lo(c)) })...)
	reflink = append(reflink, DownWrite("filemap_invalidate_lock_two (2nd)", func(c *Ctx) LockID { return LockInvalidate(hi(c)) })...)
	reflink = append(reflink,
		Step{Fn: "remap prep: write back the source page", Do: reflinkSyncStart},
		Step{Fn: "remap prep: dax_writeback_one (write-protect the source)", Do: writebackOne},
		Step{Fn: "remap prep: unmap and delete the destination page", Do: remapUnmap(true)},
		Step{Fn: "xfs_reflink_remap_blocks: share the block (transaction); unlock", Do: reflinkShare(true)},
	)
	k.Paths[PathReflink] = Path{Name: "reflink", Steps: reflink}
}

// RemapNaive installs the unsafe protocol: remap under inode_lock only, with no
// exclusion of faults and no unmapping (seed 002's "remap-naive").
func RemapNaive(k *Kernel) {
	k.Paths[PathDefrag] = Path{Name: "defrag-naive", Steps: append(append([]Step{
		{Fn: "defrag ioctl", Do: remapCheck}},
		DownWrite("inode_lock", iRwsemOf)...),
		Step{Fn: "remap: allocate, copy, map, free (transaction)", Do: defragMove(false)})}
	k.Paths[PathReflink] = Path{Name: "reflink-naive", Steps: []Step{
		{Fn: "ioctl(FICLONERANGE)", Do: remapCheck},
		{Fn: "remap: share the block (transaction)", Do: reflinkShare(false)},
	}}
}

func defragSyncStart(c *Ctx) Outcome {
	c.startWriteback(c.St.Page, c.St.Page, true)
	return c.Next()
}

func reflinkSyncStart(c *Ctx) Outcome {
	c.startWriteback(c.St.Page, c.St.Page, true)
	return c.Next()
}

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

// releaseBlock frees block b unless another file still maps it (a shared extent).
func (s *State) releaseBlock(b int) {
	for i := range s.Inodes {
		for pg := range s.Inodes[i].Block {
			if int(s.Inodes[i].Block[pg]) == b+1 {
				return
			}
		}
	}
	s.freeBlock(b)
}

// defragMove moves the page to a new block in one transaction: allocate, copy,
// map, free the old block. locked: the kara protocol holds inode_lock and
// invalidate_lock, released here.
func defragMove(locked bool) func(c *Ctx) Outcome {
	return func(c *Ctx) Outcome {
		i, pg := c.St.Inode, c.St.Page
		in := &c.S.Inodes[i]
		if c.S.Journal.Locked != 0 {
			return c.Block(LockJournal)
		}
		r := ResOK
		if in.Ext[pg] == ExtWritten || in.Ext[pg] == ExtShared {
			old := int(in.Block[pg]) - 1
			if b, ok := c.S.copyBlock(i, pg, old); ok {
				c.S.setExtent(i, pg, uint8(b+1), ExtWritten)
				c.S.releaseBlock(old)
			} else {
				r = ResENOSPC
			}
		}
		if locked {
			c.UpWrite(invalidateLockOf(c))
		}
		c.UpWrite(iRwsemOf(c))
		return c.Return(r)
	}
}

// reflinkShare makes the destination page share the source page's block, frees
// the destination's old block, and marks both extents shared. The destination's
// data is now the source's: its Origin and CloneVer say so, for no-data-leak and
// the obligations.
func reflinkShare(locked bool) func(c *Ctx) Outcome {
	return func(c *Ctx) Outcome {
		i, pg, j, pg2 := c.St.Inode, c.St.Page, c.St.Inode2, c.St.Page2
		src, dst := &c.S.Inodes[i], &c.S.Inodes[j]
		if c.S.Journal.Locked != 0 {
			return c.Block(LockJournal)
		}
		old := int(dst.Block[pg2]) - 1
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
		if locked {
			c.UpWrite(LockInvalidate(max(i, j)))
			c.UpWrite(LockInvalidate(min(i, j)))
			c.UpWrite(LockIRwsem(max(i, j)))
			c.UpWrite(LockIRwsem(min(i, j)))
		}
		return c.Return(ResOK)
	}
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
