package model

// Gates and pins: the proposals of seeds 000, 001 and 004 let a file's block map be
// frozen (PMEM_IMMUTABLE, immutable metadata, S_DAXFILE) or pinned while mapped
// (MAP_DIRECT). The baseline paths ask Kernel.Gate before every change such a
// proposal may refuse; the proposal answers with an errno (or SIGBUS for a fault)
// and says, in Event.Denial, whose pin or flag caused it, for no-denial.
//
// This file also holds the statements that exist only under some proposals
// (daxfile, seal, setflag immutable=, mincore), which the baseline answers as a
// kernel without the proposal would, and the pieces the proposals that freeze a
// block map build their paths from.

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

// DenyForHolders records a refusal r caused by the other processes that hold
// inode i (an open file, or only a mapping when mappers is set) and returns r.
// The cause is an unprivileged holder if there is one (it can neither write the
// file nor has CAP_LINUX_IMMUTABLE: a reader, a read-only mapper), else the
// first holder. Without another holder nothing is recorded: the caller's own
// references, or state nobody holds, made the call fail.
func (c *Ctx) DenyForHolders(r Result, i int, mappers bool) Result {
	first, unpriv := -1, -1
	for p := range c.K.Procs {
		if p == c.ProcIndex() {
			continue
		}
		holds, writes := c.K.holds(c.S, p, i, mappers)
		if !holds {
			continue
		}
		if first < 0 {
			first = p
		}
		if !writes && !c.K.hasCap(p) && unpriv < 0 {
			unpriv = p
		}
	}
	switch {
	case unpriv >= 0:
		return c.Deny(r, unpriv, false)
	case first >= 0:
		return c.Deny(r, first, true)
	}
	return r
}

// DenyForHolders declares Ctx.DenyForHolders: every process's VMAs and every
// open statement's struct file are looked at.
func (f *Foot) DenyForHolders() { f.R(RVMA.All(), RFile.All()) }

// holds reports whether process p holds inode i in s (through a mapping, or
// when mappers is false also through an open descriptor of one of its
// threads), and whether one of its references can write the file.
func (k *Kernel) holds(s *State, p, i int, mappers bool) (holds, writes bool) {
	for v := range s.Procs[p].VMA {
		if vma := &s.Procs[p].VMA[v]; vma.File != 0 && int(vma.Inode) == i+1 {
			holds = true
			writes = writes || vma.Write != 0 && vma.Flags&VMShared != 0
		}
	}
	if mappers {
		return holds, writes
	}
	for t := range k.Threads {
		if k.Threads[t].Proc != p {
			continue
		}
		for _, st := range k.Threads[t].Prog {
			if st.Op != OpOpen && st.Op != OpCreate || st.File < 0 {
				continue
			}
			if f := &s.Files[st.File]; f.FdOpen != 0 && int(f.Inode) == i+1 {
				holds = true
				writes = writes || f.Write != 0
			}
		}
	}
	return holds, writes
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

// Mapped declares State.Mapped.
func (f *Foot) Mapped() { f.R(RVMA.All()) }

// HasCap reports whether the running thread's process has CAP_LINUX_IMMUTABLE.
func (c *Ctx) HasCap() bool { return c.K.hasCap(c.ProcIndex()) }

func (k *Kernel) hasCap(p int) bool { return p >= 0 && p < len(k.ProcCaps) && k.ProcCaps[p] }

// uid is process p's uid (0 when the kernel was built without uids).
func (k *Kernel) uid(p int) uint32 {
	if p >= 0 && p < len(k.ProcUIDs) {
		return k.ProcUIDs[p]
	}
	return 0
}

// OwnerOrCapable is inode_owner_or_capable (fs/inode.c) for an inode or
// directory owned by owner (process + 1, 0 for root): the running thread's
// process has the owner's uid, or is root (CAP_FOWNER).
func (c *Ctx) OwnerOrCapable(owner uint8) bool {
	uid := c.K.uid(c.ProcIndex())
	return uid == 0 || owner != 0 && c.K.uid(int(owner)-1) == uid
}

// gatePaths are the statements of the unmerged proposals as a kernel without
// them answers.
func gatePaths(k *Kernel) {
	k.Paths[PathSetflagImmutable] = Path{Name: "setflag-immutable", Steps: []Step{{Label: "ioctl",
		Fn: "ioctl(FS_IOC_FSSETXATTR): unknown xflag", Foot: func(*Foot) {}, Do: func(c *Ctx) Outcome { return c.Return(ResEOPNOTSUPP) }}}}
	k.Paths[PathDaxfile] = Path{Name: "daxfile", Steps: []Step{{Label: "syscall",
		Fn: "daxfile(): no such system call", Foot: func(*Foot) {}, Do: func(c *Ctx) Outcome { return c.Return(ResENOSYS) }}}}
	k.Paths[PathSeal] = Path{Name: "seal", Steps: []Step{{Label: "fcntl",
		Fn: "fcntl(F_MAY_SEAL_IOMAP): unknown command", Foot: func(*Foot) {}, Do: func(c *Ctx) Outcome { return c.Return(ResEINVAL) }}}}
	k.Paths[PathMincore] = Path{Name: "mincore", Steps: []Step{{Label: "mincore", Fn: "mincore: no DAX bit", Do: mincoreNoDAX,
		Foot: MincoreFoot}}}
}

// mincoreNoDAX is mincore(2) as merged: it reports residency, never DAX.
func mincoreNoDAX(c *Ctx) Outcome {
	if _, ok := c.MappedVMA(); !ok {
		return c.Return(ResENOMEM)
	}
	return c.Return(ResNodax)
}

// MincoreFoot is the footprint of a mincore that looks at the statement's VMA.
func MincoreFoot(f *Foot) { f.R(RVMA) }

// SealSyncLabels label the steps of [SealSyncSteps].
var SealSyncLabels = []string{"seal-sync", "seal-writeback", "seal-commit", "seal-commit-wait"}

// SealSyncSteps are the steps that make the inode's metadata durable (fdatasync of
// the whole file without promises), for paths that seal a block map: start, write
// back, commit, wait. The caller continues after them. The path must declare
// [RegsSync].
func SealSyncSteps(fn string) []Step {
	l := SealSyncLabels
	return []Step{
		{Label: l[0], Fn: fn + ": vfs_fsync_range", Foot: sealSyncFoot, Do: func(c *Ctx) Outcome {
			c.startWriteback(0, int(c.S.Inodes[c.St.Inode].Size)-1, false)
			c.Sync().Snap = [MaxPages]uint8{} // a seal promises nothing by itself
			return c.Next()
		}},
		{Label: l[1], Fn: fn + ": dax_writeback_one", Do: writebackOne, Foot: writebackOneFoot},
		{Label: l[2], Fn: fn + ": commit needed?", Do: commitRequest(l[3]), Foot: commitRequestFoot,
			Jumps: []Target{Past(PathSelf, l[3])}},
		{Label: l[3], Fn: fn + ": wait for the commit", Do: commitWait, Foot: commitWaitFoot},
	}
}

// sealSyncFoot: the writeback of the whole file starts (its versions are
// looked at, then forgotten).
func sealSyncFoot(f *Foot) {
	f.R(RSize)
	f.fileVersion(SelPages)
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

// AllocateAll declares State.AllocateAll of the statement's inode: the pages
// that are not written (GAlloc) get a block or a copy of their shared one.
func (f *Foot) AllocateAll() {
	f.R(RSize, RMap.Pages())
	f.If(GAlloc, SelPages, func() {
		f.breakShare(SelPages)
		f.makeWritten(SelPages)
	})
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

// FullyAllocated declares State.FullyAllocated.
func (f *Foot) FullyAllocated() { f.R(RSize, RMap.Pages()) }

// TakeInodeRef takes a reference to inode i (ihold).
func (s *State) TakeInodeRef(i int) { s.Inodes[i].Refs++ }

// TakeInodeRef declares State.TakeInodeRef of the statement's inode.
func (f *Foot) TakeInodeRef() { f.A(RRefs) }

// DropInodeRef drops a reference to inode i (iput).
func (c *Ctx) DropInodeRef(i int) { c.S.iput(c.K, i) }

// DropInodeRef declares Ctx.DropInodeRef of the statement's inode.
func (f *Foot) DropInodeRef() { f.iput(0) }

// FileOf is the struct file of the running statement.
func (c *Ctx) FileOf() *File { return &c.S.Files[c.St.File] }
