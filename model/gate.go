package model

// Gates and pins: the proposals of seeds 000, 001 and 004 let a file's block map be
// frozen (PMEM_IMMUTABLE, immutable metadata, S_DAXFILE) or pinned while mapped
// (MAP_DIRECT). The baseline paths ask Kernel.Gate before every change such a
// proposal may refuse; the proposal answers with an errno (or SIGBUS for a fault)
// and says, in Event.Denial, whose pin or flag caused it, for no-denial.
//
// This file also holds the statements that exist only under some proposals
// (daxfile, seal, setflag immutable=, mincore); the baseline answers them as a
// kernel without the proposal would.

// GateOp is a change a proposal may refuse.
type GateOp uint8

const (
	GateWrite      GateOp = iota + 1 // write(2) into allocated blocks
	GateWriteAlloc                   // write(2) that allocates, converts, copies a shared extent or grows i_size
	GateFaultAlloc                   // a DAX write fault that allocates, converts or copies a shared extent
	GateTruncate                     // truncate that frees blocks
	GatePunch
	GateFallocate
	GateRemap // defrag, reflink (source and destination)
	GateSetflagDax
)

// Denial says whose pin or flag made a call fail (no-denial).
type Denial struct {
	Valid    bool
	By       int  // the process holding the pin or having set the flag (-1: unknown)
	Rightful bool // it had write access to the file, or the capability the proposal requires
}

// gate asks the proposal whether op on pages lo..hi of inode i may go on.
func (c *Ctx) gate(op GateOp, i, lo, hi int) Result {
	if c.K.Gate == nil {
		return ResOK
	}
	return c.K.Gate(c, op, i, lo, hi)
}

// Deny records the cause of a refusal and returns r.
func (c *Ctx) Deny(r Result, by int, rightful bool) Result {
	c.Ev.Denial = Denial{Valid: true, By: by, Rightful: rightful}
	return r
}

// DirectPin finds a MAP_DIRECT VMA of any process mapping a page of lo..hi of
// inode i; it reports the process and whether the pin was taken with the rights
// MAP_DIRECT requires (a writable mapping of a file opened for write and sealed).
func (s *State) DirectPin(i, lo, hi int) (proc int, rightful, ok bool) {
	for p := range s.Procs {
		for v := range s.Procs[p].VMA {
			vma := &s.Procs[p].VMA[v]
			if vma.File == 0 || int(vma.Inode) != i+1 || vma.Flags&VMDirect == 0 {
				continue
			}
			if int(vma.Hi) < lo || int(vma.Lo) > hi {
				continue
			}
			f := &s.Files[vma.File-1]
			return p, vma.Write != 0 && f.Write != 0 && f.Sealed != 0, true
		}
	}
	return -1, false, false
}

// Mapped reports whether any VMA maps inode i.
func (s *State) Mapped(i int) bool {
	for p := range s.Procs {
		for v := range s.Procs[p].VMA {
			if vma := &s.Procs[p].VMA[v]; vma.File != 0 && int(vma.Inode) == i+1 {
				return true
			}
		}
	}
	return false
}

// HasCap reports whether the running thread's process has CAP_LINUX_IMMUTABLE.
func (c *Ctx) HasCap() bool {
	p := c.ProcIndex()
	return p >= 0 && p < len(c.K.ProcCaps) && c.K.ProcCaps[p]
}

func init() { extraPaths = append(extraPaths, gatePaths) }

func gatePaths(k *Kernel) {
	k.Paths[PathSetflagImmutable] = Path{Name: "setflag-immutable", Steps: []Step{
		{Fn: "ioctl(FS_IOC_FSSETXATTR): unknown xflag", Do: func(c *Ctx) Outcome { return c.Return(ResEOPNOTSUPP) }}}}
	k.Paths[PathDaxfile] = Path{Name: "daxfile", Steps: []Step{
		{Fn: "daxfile(): no such system call", Do: func(c *Ctx) Outcome { return c.Return(ResENOSYS) }}}}
	k.Paths[PathSeal] = Path{Name: "seal", Steps: []Step{
		{Fn: "fcntl(F_MAY_SEAL_IOMAP): unknown command", Do: func(c *Ctx) Outcome { return c.Return(ResEINVAL) }}}}
	k.Paths[PathMincore] = Path{Name: "mincore", Steps: []Step{{Fn: "mincore: no DAX bit", Do: mincoreNoDAX}}}
	k.Entry[OpSetflagImmutable] = PathSetflagImmutable
	k.Entry[OpDaxfile] = PathDaxfile
	k.Entry[OpSeal] = PathSeal
	k.Entry[OpMincore] = PathMincore
}

// mincoreNoDAX is mincore(2) as merged: it reports residency, never DAX.
func mincoreNoDAX(c *Ctx) Outcome {
	if _, ok := c.mappedVMA(); !ok {
		return c.Return(ResENOMEM)
	}
	return c.Return(ResNodax)
}

// MincoreDAX is the proposed mincore DAX bit: set when the mapping is DAX.
func MincoreDAX(c *Ctx) Outcome {
	v, ok := c.mappedVMA()
	if !ok {
		return c.Return(ResENOMEM)
	}
	if v.Ops == KindDAX {
		return c.Return(ResDax)
	}
	return c.Return(ResNodax)
}

// SyncSteps are the steps that make the inode's metadata durable (fdatasync of
// the whole file without promises), for paths that seal a block map: start, write
// back, commit, wait. The caller continues after them.
func SyncSteps(fn string) []Step {
	return []Step{
		{Fn: fn + ": vfs_fsync_range", Do: func(c *Ctx) Outcome {
			c.startWriteback(0, int(c.S.Inodes[c.St.Inode].Size)-1, false)
			for pg := 0; pg < MaxPages; pg++ {
				c.Th.R[rSnap+pg] = 0 // a seal promises nothing by itself
			}
			return c.Next()
		}},
		{Fn: fn + ": dax_writeback_one", Do: writebackOne},
		{Fn: fn + ": commit needed?", Do: commitRequest},
		{Fn: fn + ": wait for the commit", Do: commitWait},
	}
}

// AllocateAll gives every hole and unwritten page below i_size of inode i a zeroed
// written block, in the running transaction (the preallocation of daxfile and
// S_IOMAP_IMMUTABLE). It reports false on ENOSPC.
func (s *State) AllocateAll(i int) bool {
	in := &s.Inodes[i]
	for pg := 0; pg < int(in.Size); pg++ {
		switch in.Ext[pg] {
		case ExtWritten:
		case ExtShared:
			if !s.breakShare(i, pg) {
				return false
			}
		default:
			if !s.makeWritten(i, pg) {
				return false
			}
		}
	}
	return true
}

// FullyAllocated reports whether every page below i_size of inode i is a written,
// unshared extent (PMEM_IMMUTABLE's precondition).
func (s *State) FullyAllocated(i int) bool {
	in := &s.Inodes[i]
	for pg := 0; pg < int(in.Size); pg++ {
		if in.Ext[pg] != ExtWritten {
			return false
		}
	}
	return true
}

// TakeInodeRef and DropInodeRef are the file reference daxfile() keeps while
// S_DAXFILE is set (seed 000: "We only hold the one reference while S_DAXFILE is
// set").
func (s *State) TakeInodeRef(i int) { s.Inodes[i].Refs++ }

// DropInodeRef drops it; the last reference of an I_DONTCACHE inode evicts it.
func (c *Ctx) DropInodeRef(i int) {
	in := &c.S.Inodes[i]
	in.Refs--
	if in.Refs == 0 && in.DontCache != 0 {
		c.S.evict(i, !c.K.Bug(MutDontcacheDiscardsDirty))
	}
}

// FileOf is the struct file of the running statement.
func (c *Ctx) FileOf() *File { return &c.S.Files[c.St.File] }

// ReleaseIRwsem drops the inode_lock the statement holds for write.
func (c *Ctx) ReleaseIRwsem() { c.UpWrite(iRwsemOf(c)) }

// IRwsemOf selects the inode_lock of the statement's inode (for DownWrite).
func IRwsemOf(c *Ctx) LockID { return iRwsemOf(c) }

// FdCheck is the syscall entry check of paths (see fdCheck).
func FdCheck(write bool) func(c *Ctx) Outcome { return fdCheck(write) }

// FaultEnd releases what a DAX fault holds after its entry lock (see faultEnd).
func (c *Ctx) FaultEnd() { c.faultEnd() }

// Retry ends a fault: the user access is taken again (VM_FAULT_RETRY, NOPAGE).
func (c *Ctx) Retry() Outcome { return c.retry() }

// SealPath builds the path of a call that freezes a file's block map (daxfile(),
// setflag immutable=): the descriptor and capability check, inode_lock, the
// proposal's check (on) or undo (off), optional preallocation, a metadata sync so
// that the frozen map is durable before the seal takes effect, then set. With the
// mutant seal-before-durable the sync is skipped (crash-model 3.8 #7).
func SealPath(name string, check func(c *Ctx) Result, off func(c *Ctx) Result, prealloc bool, set func(c *Ctx)) Path {
	steps := []Step{{Fn: name + ": fdget, capable(CAP_LINUX_IMMUTABLE)", Do: func(c *Ctx) Outcome {
		if c.S.Files[c.St.File].FdOpen == 0 {
			return c.Return(ResEBADF)
		}
		if !c.HasCap() {
			return c.Return(ResEPERM)
		}
		return c.Next()
	}}}
	steps = append(steps, DownWrite(name+": inode_lock", iRwsemOf)...)
	sync := SyncSteps(name)
	steps = append(steps, Step{Fn: name + ": check, preallocate", Do: func(c *Ctx) Outcome {
		if !c.St.On {
			r := off(c)
			c.UpWrite(iRwsemOf(c))
			return c.Return(r)
		}
		if r := check(c); r != ResOK {
			c.UpWrite(iRwsemOf(c))
			return c.Return(r)
		}
		if prealloc {
			if c.S.Journal.Locked != 0 {
				return c.Block(LockJournal)
			}
			if !c.S.AllocateAll(c.St.Inode) {
				c.UpWrite(iRwsemOf(c))
				return c.Return(ResENOSPC)
			}
		}
		if c.K.Bug(MutSealBeforeDurable) {
			return c.Skip(len(sync))
		}
		return c.Next()
	}})
	steps = append(steps, sync...)
	steps = append(steps, Step{Fn: name + ": set the flag", Do: func(c *Ctx) Outcome {
		set(c)
		c.UpWrite(iRwsemOf(c))
		return c.Return(ResOK)
	}})
	return Path{Name: name, Steps: steps}
}
