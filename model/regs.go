package model

import (
	"fmt"
	"unsafe"
)

// Registers. A thread's registers ([Thread.R]) hold what a statement's kernel
// path remembers between its steps. They are read and written only through typed
// views, each a struct laid over a fixed range of the registers. A path declares
// the views its steps use (Path.Regs); sealing checks that the views of all the
// paths one statement can pass through (its entry path and every path it can
// jump to) do not overlap, and a step that asks for a view its path did not
// declare panics. Views that never meet in one statement may share bytes (the
// fault's and the user copy's do). Every register is zero when a statement starts.

// RegView is a set of register views.
type RegView uint8

const (
	RegsFault    RegView = 1 << iota // FaultRegs: the page-fault paths
	RegsCopy                         // CopyRegs: write(2) whose user buffer is a mapping
	RegsSync                         // SyncRegs: writeback and journal commit (fsync, sync faults, seals)
	RegsProposal                     // ProposalRegs: reserved for a proposal's own steps
	RegsMutant                       // MutantRegs: reserved for a mutant's own steps
)

// The first register of each view.
const (
	offSync     = 0
	offFault    = 12
	offCopy     = 12
	offProposal = 16
	offMutant   = 18
)

// regViews describes each view: its name, first register and size.
var regViews = []struct {
	view      RegView
	name      string
	off, size uintptr
}{
	{RegsSync, "sync", offSync, unsafe.Sizeof(SyncRegs{})},
	{RegsFault, "fault", offFault, unsafe.Sizeof(FaultRegs{})},
	{RegsCopy, "copy", offCopy, unsafe.Sizeof(CopyRegs{})},
	{RegsProposal, "proposal", offProposal, unsafe.Sizeof(ProposalRegs{})},
	{RegsMutant, "mutant", offMutant, unsafe.Sizeof(MutantRegs{})},
}

// SyncRegs are the registers of the writeback and commit steps shared by fsync,
// the synchronous fault and the seals.
type SyncRegs struct {
	Cursor   uint8 // writeback: next page to look at
	Hi       uint8 // writeback: last page of the range
	Datasync uint8 // 1 for fdatasync semantics
	Tid      uint8 // commit: the tid waited for
	// Snap[pg] is the data version of page pg when the sync was called (0: not
	// in range): the versions its return promises durable.
	Snap [MaxPages]uint8
}

// FaultRegs are the registers of a page fault.
type FaultRegs struct {
	Access  uint8 // AccessRead / AccessWrite / AccessFlush: what the user step retries
	Mkwrite uint8 // 1 when the PTE was present (->pfn_mkwrite / ->page_mkwrite)
	Block   uint8 // block + 1 found by ->iomap_begin, 0 for a hole
	Started uint8 // a_ops kind at the fault's first use of the ops
}

// Access kinds (FaultRegs.Access).
const (
	AccessRead  = 1
	AccessWrite = 2
	AccessFlush = 3 // a read fault on behalf of a flush
)

// CopyRegs are the registers of write(2) with a user buffer in a mapping.
type CopyRegs struct {
	Copied uint8 // 1 once the buffer has been read
	Value  uint8 // the data token read from it
	Ret    uint8 // CopyRetDAX or CopyRetPageCache: the write path the copy returns to
}

// Return points of the user copy (CopyRegs.Ret).
const (
	CopyRetDAX       = 1
	CopyRetPageCache = 2
)

// ProposalRegs are two registers a proposal's own steps may use.
type ProposalRegs [2]uint8

// MutantRegs are two registers a mutant's own steps may use.
type MutantRegs [2]uint8

// view returns the registers of view v of the running thread, checking that
// the running path declared it.
func (c *Ctx) view(v RegView, off uintptr) unsafe.Pointer {
	if c.K.Paths[c.Th.Path].Regs&v == 0 {
		panic(fmt.Sprintf("model: path %s uses register view %s without declaring it", c.K.Paths[c.Th.Path].Name, viewName(v)))
	}
	return unsafe.Pointer(&c.Th.R[off])
}

// Sync is the running thread's writeback and commit registers.
func (c *Ctx) Sync() *SyncRegs { return (*SyncRegs)(c.view(RegsSync, offSync)) }

// Fault is the running thread's page-fault registers.
func (c *Ctx) Fault() *FaultRegs { return (*FaultRegs)(c.view(RegsFault, offFault)) }

// Copy is the running thread's user-copy registers.
func (c *Ctx) Copy() *CopyRegs { return (*CopyRegs)(c.view(RegsCopy, offCopy)) }

// Proposal is the registers reserved for the proposal's steps.
func (c *Ctx) Proposal() *ProposalRegs { return (*ProposalRegs)(c.view(RegsProposal, offProposal)) }

// Mutant is the registers reserved for a mutant's steps.
func (c *Ctx) Mutant() *MutantRegs { return (*MutantRegs)(c.view(RegsMutant, offMutant)) }

func viewName(v RegView) string {
	for _, d := range regViews {
		if d.view == v {
			return d.name
		}
	}
	return fmt.Sprintf("view%d", v)
}

// checkRegisterViews panics when a statement can pass through two paths whose
// register views overlap, or a view does not fit in the registers.
func (k *Kernel) checkRegisterViews() {
	for _, d := range regViews {
		if d.off+d.size > MaxRegs {
			panic(fmt.Sprintf("model: register view %s (%d+%d) does not fit in %d registers", d.name, d.off, d.size, MaxRegs))
		}
	}
	for _, p := range k.entries() {
		_, paths := k.closure(p)
		var used RegView
		for _, q := range paths {
			used |= k.Paths[q].Regs
		}
		if a, b, overlap := overlapping(used); overlap {
			panic(fmt.Sprintf("model: a statement starting in path %s uses register views %s and %s, which overlap",
				k.Paths[p].Name, a, b))
		}
	}
}

// overlapping finds two views of set whose registers overlap.
func overlapping(set RegView) (string, string, bool) {
	for i, a := range regViews {
		for _, b := range regViews[i+1:] {
			if set&a.view == 0 || set&b.view == 0 {
				continue
			}
			if a.off < b.off+b.size && b.off < a.off+a.size {
				return a.name, b.name, true
			}
		}
	}
	return "", "", false
}
