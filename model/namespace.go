package model

// The namespace: creating and unlinking files, directories' own descriptors and
// their FS_XFLAG_DAX, the DAX mount option. References: reference/linux-dax.md
// A.2 (per-inode DAX in 5.8: the flag is inherited from the parent directory
// when an inode is created, S_DAX follows the mount option and the flag when
// the inode is instantiated), fs/namei.c (do_unlinkat), fs/inode.c (iput_final).

// InstantiateFromDiskFlag is the baseline S_DAX rule of 5.8 and later
// (xfs_inode_should_enable_dax / ext4_should_enable_dax): dax=always makes
// every regular file DAX, dax=never none, dax=inode (the default) follows the
// on-disk FS_XFLAG_DAX when the inode is instantiated.
func InstantiateFromDiskFlag(k *Kernel, s *State, i int) {
	in := &s.Inodes[i]
	switch k.Mount {
	case MountAlways:
		in.SDax = 1
	case MountNever:
		in.SDax = 0
	default:
		in.SDax = in.DiskDax
	}
	in.Aops = KindOf(in.SDax)
}

// InstantiateFromDiskFlagFoot is the footprint of InstantiateFromDiskFlag.
func InstantiateFromDiskFlagFoot(f *Foot, at Sel) {
	f.R(RFlags.At(at))
	f.W(RCore.At(at))
}

// openDir opens a directory (open(2) of a directory, O_RDONLY): a descriptor
// that setflag and statx accept.
func (c *Ctx) openDir() Outcome {
	c.S.Files[c.St.File] = File{Dir: uint8(c.St.Dir + 1), FdOpen: 1, Refs: 1}
	return c.Return(ResOK)
}

// createStep is open(O_CREAT|O_EXCL|O_RDWR): a new, empty inode in the
// running transaction, whose FS_XFLAG_DAX is its parent directory's
// (xfs_inode_inherit_flags, ext4_inherit_flags: 5.8), instantiated and opened.
// The model's inode is the file's slot: a name whose unlinked inode is still
// referenced cannot be created again (EEXIST, where Linux would make a second
// inode).
func createStep(c *Ctx) Outcome {
	st := c.St
	in := &c.S.Inodes[st.Inode]
	if in.Nlink != 0 || in.Refs != 0 || in.InCore != 0 {
		return c.Return(ResEEXIST)
	}
	if c.S.Journal.Locked != 0 {
		return c.Block(LockJournal)
	}
	in.DiskDax = 0
	if in.Parent != 0 {
		in.DiskDax = c.S.DirDax[in.Parent-1]
	}
	in.Nlink = 1
	in.Owner = uint8(c.ProcIndex() + 1)
	c.S.setSize(st.Inode, 0) // the new inode is metadata of the running transaction
	c.S.instantiate(c.K, st.Inode)
	in.Refs++
	c.S.Files[st.File] = File{Inode: uint8(st.Inode + 1), Write: 1, FdOpen: 1, Refs: 1}
	return c.Return(ResOK)
}

// createFoot: the name and the inode's references and core are checked, the
// new inode takes its parent's flag, joins the running transaction, is
// instantiated (while out of core) and opened.
func createFoot(f *Foot) {
	f.R(RRefs, RInCore, RJLocked, RDir.All())
	f.RW(RLink)
	f.W(RFlags)
	f.setSize(0)
	f.If(GCore, 0, func() { f.instantiate(0) })
	f.A(RRefs)
	f.W(RFile)
}

// unlinkStep is unlink(2): the name goes in the running transaction; the inode
// and its blocks go at once if nothing references it, else at the last
// reference (an orphan). Its data stays readable through the references it has.
func unlinkStep(c *Ctx) Outcome {
	i := c.St.Inode
	in := &c.S.Inodes[i]
	if in.Nlink == 0 {
		return c.Return(ResENOENT)
	}
	if c.S.Journal.Locked != 0 {
		return c.Block(LockJournal)
	}
	in.Nlink = 0
	c.S.Journal.Dirty = 1
	// After a crash the file is gone or not, with its data: the durability
	// promises about it are released (crash-model 3.4's X, as for a truncate).
	for pg := 0; pg < MaxPages; pg++ {
		if in.Prom[pg] != 0 || in.FProm[pg] != 0 {
			in.PromZero |= 1 << pg
		}
	}
	if in.Refs == 0 {
		c.S.deleteInode(i)
	}
	return c.Return(ResOK)
}

// unlinkFoot: the name goes in the running transaction, the promises are
// released, and an unreferenced inode is deleted.
func unlinkFoot(f *Foot) {
	f.RW(RLink)
	f.R(RJLocked, RRefs)
	f.A(RJDirty)
	f.RW(RProm.Pages())
	f.deleteInode(0)
}

// deleteInode frees an unlinked, unreferenced inode: its page cache and DAX
// entries are dropped unwritten (the data is deleted), its blocks freed and
// its size zeroed in the running transaction (evict -> ext4_evict_inode /
// xfs_inactive).
func (s *State) deleteInode(i int) {
	in := &s.Inodes[i]
	for pg := 0; pg < MaxPages; pg++ {
		in.XA[pg] = Entry{}
		if b := int(in.Block[pg]) - 1; b >= 0 {
			s.setExtent(i, pg, 0, ExtHole)
			s.releaseBlock(b)
		}
	}
	if in.Size != 0 {
		s.setSize(i, 0)
	}
	in.InCore, in.SDax, in.Aops, in.DontCache = 0, 0, KindNone, 0
}

// deleteInode declares State.deleteInode of the inode at selects.
func (f *Foot) deleteInode(at Sel) {
	f.RW(RXA.At(at|SelPages), RMap.At(at|SelPages))
	f.W(RXADrop.At(at | SelPages))
	f.setExtent(at|SelPages, true)
	f.releaseBlock()
	f.R(RSize.At(at))
	f.setSize(at)
	f.W(RCore.At(at), RInCore.At(at), RDontCache.At(at), RUncore.At(at))
}

// iput drops an inode reference; the last one of an unlinked inode frees it,
// of an I_DONTCACHE inode evicts it (iput_final).
func (s *State) iput(k *Kernel, i int) {
	in := &s.Inodes[i]
	in.Refs--
	switch {
	case in.Refs != 0:
	case in.Nlink == 0:
		s.deleteInode(i)
	case in.DontCache != 0:
		// iput_final: I_DONTCACHE inodes are evicted at the last reference,
		// after write_inode_now (88149082bb8e "fs: Handle I_DONTCACHE in
		// iput_final()").
		k.IputFinal(s, i)
	}
}

// iput declares State.iput of the inode at selects.
func (f *Foot) iput(at Sel) {
	f.RW(RRefs.At(at))
	f.R(RLink.At(at), RDontCache.At(at))
	f.deleteInode(at)
	f.Hook(HookIputFinal, at)
}

// setflagDir is FS_IOC_FSSETXATTR on a directory: its FS_XFLAG_DAX, which the
// files created in it inherit.
// Directories are root's (the model has no mkdir): only root may change it.
// The change is in the running transaction.
func (c *Ctx) setflagDir() Outcome {
	if !c.OwnerOrCapable(0) {
		return c.Return(ResEPERM) // vfs_fileattr_set: inode_owner_or_capable
	}
	if c.S.Journal.Locked != 0 {
		return c.Block(LockJournal)
	}
	if d := &c.S.DirDax[c.St.Dir]; *d != b2u(c.St.On) {
		*d = b2u(c.St.On)
		c.S.Journal.Dirty = 1
	}
	return c.Return(ResOK)
}
