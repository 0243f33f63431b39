package model

import (
	"fmt"
	"math/bits"
	"reflect"
)

// Step footprints: what each kernel step may read and write, declared next to
// the step (Step.Foot), for partial-order reduction. This is LTSmin's
// dependency matrix: a row per step, a column per resource; two steps of
// different threads whose rows do not conflict commute, and neither enables
// nor disables the other.
//
// A declaration names resource kinds (Res), each resolved against the
// statement that runs the step: its process, inode, page, struct file, VMA
// and directory, or, with a selector, the second inode (reflink), every page
// of the inode, the statement's page range, every process's VMAs, the inodes
// the statement's VMA maps. The same step has one footprint per statement
// that can run it, computed once ([NewDeps]).
//
// Three kinds of access: R reads, W overwrites, A changes the resource in a
// way that commutes with every other A of it and reads nothing of it (a
// counter increment, setting a dirty flag to 1). Two footprints conflict when
// one writes what the other reads, writes or adds to, or one reads what the
// other adds to (Footprint.Conflicts). A step that declares nothing (Foot nil),
// or that a mutant wrapped without declaring what the wrapper adds, touches
// everything: it conflicts with every step that touches anything. Hooks
// (Kernel.Hooks) have declarations of their own ([Kernel.DeclareHook]); a hook
// replaced without one makes every step that calls it touch everything.
//
// Guards make declarations depend on the state where that is what keeps them
// precise ([Foot.If]): the allocation branches of a fault are dead once the
// page is written and nothing can unwrite it; the instantiation in open is
// dead once the inode is in core and nothing can evict it. A guard is live in
// a state when its predicate holds there or some step any thread may still run
// declares its enabler (Unwrite, Uncore, NTSet, an A of JDirty): a dead guard
// stays dead, so the parts it guards can be left out of every footprint from
// that state on.
//
// What a footprint must cover, for the reduction to be sound, is checked by
// tests over the explored states of every scenario (sim/por_test.go,
// TestFootprintsHold): every byte a step changes lies in its W or A set
// (enablers included), two steps declared independent give the same state and
// the same events in both orders, and a step declared independent of a
// blocked thread's next step leaves it blocked.

// Res is a kind of resource.
type Res uint8

// The resource kinds. Per process: the mmap_lock halves. Per inode: the
// rwsem halves and the inode's field groups. Per (inode, page): the xarray
// slot with its entry lock, the block map entry, the data versions, the
// obligations, the reflink origin, and the data of the block the page
// designates. Per (process, VMA) and (process, VMA, page): VMAs and PTEs. Then
// struct file slots, directories, the global block and journal state, and
// thread positions.
const (
	resNone Res = iota
	// Data is the content (Val, Tag, Ver) of the block that the page's block map
	// names. While no block is shared, every PTE and DAX entry names its page's
	// block and nothing will remap a page, it is that one block; otherwise any
	// access to Data stands for every block's ("wide": see Deps).
	RData
	RMmapW  // mm->mmap_lock: its writer and waiting writers
	RMmapR  // mm->mmap_lock: its reader count
	RIRwW   // inode->i_rwsem: writer and waiting writers
	RIRwR   // inode->i_rwsem: reader count
	RInvW   // mapping->invalidate_lock: writer and waiting writers
	RInvR   // mapping->invalidate_lock: reader count
	RCore   // S_DAX, a_ops
	RInCore // whether the inode is in core
	RDontCache
	RRefs  // the inode's reference count
	RLink  // Nlink, Parent: the file's name
	RFlags // FS_XFLAG_DAX (DiskDax), Owner, the proposal's byte, XFS_DIFLAG2_REFLINK (Reflink)
	RImm   // Immutable: a proposal's block-map freeze
	RSize  // i_size
	RDirt  // MDirty, SizeDirty, DSync: what the running transaction changed
	RDMeta // the committed D* fields
	RXA    // the xarray slot of the page, with its entry lock and wait queue
	RMap   // the page's block map entry (Block, Ext)
	RVer   // the page's data versions: DVer, DoneVer
	RProm  // the page's obligations: Prom, FProm, TruncVer, its PromZero bit
	RClone // the page's reflink origin: Origin, CloneVer
	RVMA   // a VMA slot
	RPTE   // a PTE: (process, VMA, page)
	RFile  // a struct file slot
	RDir   // a directory's FS_XFLAG_DAX (DirDax)
	RDDir  // the committed DirDax
	RBUsed // every block's Used, Owner, External (the in-memory bitmap)
	RBDUsed
	RBDur     // every block's durable content (MVal, MTag, MVer)
	RBNT      // every block's NT: a kernel non-temporal write is pending
	RJLocked  // Journal.Locked
	RJHandles // Journal.Handles
	RJDirty   // Journal.Dirty
	RJReq     // Journal.Request
	RJTid     // Journal.Tid
	RPos      // a thread's position (every step of a thread writes its own)
	RCut      // the power cut of "crash after T:N" (CrashPoint)
	// Observation-only kinds: written by steps, read by no step; guards and
	// properties look at them.
	RXADrop  // the step may remove an entry or change its kind
	RUnwrite // the step may make the page's extent other than written
	RUncore  // the step may take the inode out of core
	RNTSet   // the step may leave a kernel non-temporal write pending
	numRes
)

var resNames = [numRes]string{"none", "data", "mmap_lock.w", "mmap_lock.r", "i_rwsem.w", "i_rwsem.r",
	"invalidate_lock.w", "invalidate_lock.r", "core", "incore", "dontcache", "refs", "link", "flags", "immutable",
	"size", "dirt", "dmeta", "xa", "map", "ver", "prom", "clone", "vma", "pte", "file", "dir", "ddir",
	"bused", "bdused", "bdur", "bnt", "jlocked", "jhandles", "jdirty", "jreq", "jtid", "pos", "cut",
	"xadrop", "unwrite", "uncore", "ntset"}

func (r Res) String() string {
	if r < numRes {
		return resNames[r]
	}
	return fmt.Sprintf("res%d", r)
}

// The domains of the resource kinds.
type domain uint8

const (
	dGlobal domain = iota
	dProc
	dInode
	dPage
	dVMA
	dPTE
	dFile
	dDir
	dThread
)

var domainSize = [...]int{dGlobal: 1, dProc: MaxProcs, dInode: MaxFiles, dPage: MaxFiles * MaxPages,
	dVMA: MaxProcs * MaxVMAs, dPTE: MaxProcs * MaxVMAs * MaxPages, dFile: MaxOpen, dDir: MaxDirs, dThread: MaxThreads}

var resDomain = [numRes]domain{
	RData: dPage, RMmapW: dProc, RMmapR: dProc, RIRwW: dInode, RIRwR: dInode, RInvW: dInode, RInvR: dInode,
	RCore: dInode, RInCore: dInode, RDontCache: dInode, RRefs: dInode, RLink: dInode, RFlags: dInode, RImm: dInode, RSize: dInode,
	RDirt: dInode, RDMeta: dInode, RXA: dPage, RMap: dPage, RVer: dPage, RProm: dPage, RClone: dPage,
	RVMA: dVMA, RPTE: dPTE, RFile: dFile, RDir: dDir, RDDir: dGlobal, RBUsed: dGlobal, RBDUsed: dGlobal,
	RBDur: dGlobal, RBNT: dGlobal, RJLocked: dGlobal, RJHandles: dGlobal, RJDirty: dGlobal, RJReq: dGlobal, RJTid: dGlobal,
	RPos: dThread, RCut: dGlobal, RXADrop: dPage, RUnwrite: dPage, RUncore: dInode, RNTSet: dGlobal,
}

// resBase is the first bit of each kind; Data comes first, at bit 0, so that
// widening it is one mask of word 0.
var resBase = func() (b [numRes]int) {
	n := 0
	for r := RData; r < numRes; r++ {
		b[r] = n
		n += domainSize[resDomain[r]]
	}
	if n > resWords*64 {
		panic(fmt.Sprintf("model: %d resource bits do not fit in %d words", n, resWords*64))
	}
	return b
}()

const (
	resWords = 8
	dataMask = 1<<(MaxFiles*MaxPages) - 1 // the Data bits, in word 0
)

// ResSet is a set of resource instances, one bit each.
type ResSet [resWords]uint64

func (s *ResSet) set(bit int)      { s[bit>>6] |= 1 << (bit & 63) }
func (s *ResSet) has(bit int) bool { return s[bit>>6]&(1<<(bit&63)) != 0 }
func (s *ResSet) or(o *ResSet)     { orSet(s, o) }
func (s *ResSet) meets(o *ResSet) bool {
	for i := range s {
		if s[i]&o[i] != 0 {
			return true
		}
	}
	return false
}

func orSet(s, o *ResSet) {
	for i := range s {
		s[i] |= o[i]
	}
}

// Empty reports whether the set has no resource.
func (s *ResSet) Empty() bool { return *s == ResSet{} }

// widen makes any Data bit stand for every Data bit.
func (s *ResSet) widen() {
	if s[0]&dataMask != 0 {
		s[0] |= dataMask
	}
}

// kindMask is every instance of kind r.
func kindMask(r Res) ResSet {
	var s ResSet
	for i := 0; i < domainSize[resDomain[r]]; i++ {
		s.set(resBase[r] + i)
	}
	return s
}

// Names lists the resources of the set, for messages ("xa[1:0]", "pte[0.1:2]").
func (s *ResSet) Names() []string {
	var out []string
	for r := RData; r < numRes; r++ {
		for i := 0; i < domainSize[resDomain[r]]; i++ {
			if !s.has(resBase[r] + i) {
				continue
			}
			n := r.String()
			switch resDomain[r] {
			case dGlobal:
			case dPage:
				n += fmt.Sprintf("[%d:%d]", i/MaxPages, i%MaxPages)
			case dVMA:
				n += fmt.Sprintf("[%d.%d]", i/MaxVMAs, i%MaxVMAs)
			case dPTE:
				n += fmt.Sprintf("[%d.%d:%d]", i/(MaxVMAs*MaxPages), i/MaxPages%MaxVMAs, i%MaxPages)
			default:
				n += fmt.Sprintf("[%d]", i)
			}
			out = append(out, n)
		}
	}
	return out
}

// Footprint is what a step may read (R), overwrite (W) and change
// commutatively (A).
type Footprint struct{ R, W, A ResSet }

// Conflicts reports whether two footprints are dependent: one writes what the
// other touches, or one reads what the other adds to.
func (f *Footprint) Conflicts(g *Footprint) bool {
	for i := 0; i < resWords; i++ {
		if f.W[i]&(g.R[i]|g.W[i]|g.A[i]) != 0 || g.W[i]&(f.R[i]|f.A[i]) != 0 ||
			f.R[i]&g.A[i] != 0 || f.A[i]&g.R[i] != 0 {
			return true
		}
	}
	return false
}

func (f *Footprint) or(g *Footprint) {
	orSet(&f.R, &g.R)
	orSet(&f.W, &g.W)
	orSet(&f.A, &g.A)
}

func (f *Footprint) widen() { f.R.widen(); f.W.widen(); f.A.widen() }

// Changes is every resource the footprint writes or adds to.
func (f *Footprint) Changes() ResSet {
	c := f.W
	orSet(&c, &f.A)
	return c
}

// everything is the footprint of an undeclared step.
var everything = func() Footprint {
	var f Footprint
	for i := range f.R {
		f.R[i], f.W[i], f.A[i] = ^uint64(0), ^uint64(0), ^uint64(0)
	}
	return f
}()

// Sel selects the instances of a resource kind relative to the statement.
type Sel uint8

const (
	// SelDst is the second inode, page and file (reflink's destination).
	SelDst Sel = 1 << iota
	// SelPages is every page of the selected inode(s).
	SelPages
	// SelRange is the statement's page range (truncate: from Lo to the end).
	SelRange
	// SelPage2 is page Page2 (a write's user buffer, reflink's destination page).
	SelPage2
	// SelSrc is what the statement's VMA maps: the inodes and file slots the
	// mmap statements of that VMA slot name, with page Page2 (the user buffer
	// of "write FD PAGE from MAP PAGE"; munmap's file).
	SelSrc
	// SelMaps is every process's every VMA (with the selected pages for PTEs),
	// and every process for the mmap_lock.
	SelMaps
	// SelAll is every instance of the kind.
	SelAll
)

// Ref is a resource kind with a selector.
type Ref struct {
	Res Res
	Sel Sel
}

// At is the kind's instance selected by sel.
func (r Res) At(sel Sel) Ref { return Ref{r, sel} }

// Pages is every page of the statement's inode.
func (r Res) Pages() Ref { return Ref{r, SelPages} }

// Range is the statement's page range.
func (r Res) Range() Ref { return Ref{r, SelRange} }

// Dst is the second inode, page or file.
func (r Res) Dst() Ref { return Ref{r, SelDst} }

// Maps is every process's VMAs (and every process).
func (r Res) Maps() Ref { return Ref{r, SelMaps} }

// All is every instance.
func (r Res) All() Ref { return Ref{r, SelAll} }

// With adds selectors.
func (r Ref) With(sel Sel) Ref { r.Sel |= sel; return r }

// refOf is a Ref or a Res as a Ref.
type refOf interface{ ref() Ref }

func (r Res) ref() Ref { return Ref{Res: r} }
func (r Ref) ref() Ref { return r }

// Guard kinds (Foot.If).
type Guard uint8

const (
	// GAlloc: the selected page(s) may need a block: the extent is not written
	// (a hole, unwritten, or shared and so copied on write). Enabler: Unwrite.
	GAlloc Guard = iota + 1
	// GZero: a DAX zero-page entry may be at the page: one is there, the page
	// is not written, or a thread is in a DAX fault on it (whose ->iomap_begin
	// may have found the hole). Enabler: Unwrite.
	GZero
	// GCore: the selected inode may be out of core. Enabler: Uncore.
	GCore
	// GNT: a kernel non-temporal write may be pending on some block.
	// Enabler: NTSet.
	GNT
	// GJournal: the journal may commit again: it is dirty or committing.
	// Enabler: an A of JDirty. (The journal thread's steps are all under it.)
	GJournal
)

// Guard bits: per page GAlloc and GZero, per inode GCore, then GNT, GJournal.
const (
	gAllocBase = 0
	gZeroBase  = MaxFiles * MaxPages
	gCoreBase  = 2 * MaxFiles * MaxPages
	gNTBit     = gCoreBase + MaxFiles
	gJournBit  = gNTBit + 1
	numGuards  = gJournBit + 1
)

// GuardSet is a set of guard instances.
type GuardSet [2]uint64

func (g *GuardSet) set(bit int)      { g[bit>>6] |= 1 << (bit & 63) }
func (g *GuardSet) has(bit int) bool { return g[bit>>6]&(1<<(bit&63)) != 0 }
func (g GuardSet) empty() bool       { return g == GuardSet{} }
func (g GuardSet) meets(o GuardSet) bool {
	return g[0]&o[0] != 0 || g[1]&o[1] != 0
}
func (g GuardSet) within(o GuardSet) bool { return g[0]&^o[0] == 0 && g[1]&^o[1] == 0 }

// A part of a footprint under guards: included in a state where one of Any
// (or, when Any is empty, always) and every one of Need is live.
type guarded struct {
	Any, Need GuardSet
	F         Footprint
}

func (g *guarded) live(live GuardSet) bool {
	return (g.Any.empty() || g.Any.meets(live)) && g.Need.within(live)
}

// StepFoot is a step's resolved footprint for one statement: a base part and
// guarded parts.
type StepFoot struct {
	Base  Footprint
	Parts []guarded
	// noJump is the jumps the step never takes for the statement
	// (Foot.NoJump), as path<<8|step.
	noJump []uint16
}

// Eval is the footprint in a state where the guards in live are live; wide
// widens Data.
func (sf *StepFoot) Eval(live GuardSet, wide bool) Footprint {
	f := sf.Base
	for i := range sf.Parts {
		if sf.Parts[i].live(live) {
			f.or(&sf.Parts[i].F)
		}
	}
	if wide {
		f.widen()
	}
	return f
}

// Foot declares a footprint: a step's Foot function calls its methods. It
// resolves every resource against the statement the step runs for.
type Foot struct {
	K  *Kernel
	T  int   // the thread
	St *Stmt // the statement (nil: an observation, every instance)
	P  int   // the thread's process

	at   *Footprint // where accesses go: the base or a guarded part
	sf   *StepFoot
	path PathID // the path of the step declared
	all  bool
	obsv bool
}

// NoJump declares that, for this statement, the step never continues at
// target t (a jump it declares that only other statements, or other hooks,
// take): the steps only t leads to are no part of the statement's future. A
// step that jumps there anyway stops the reduction with a panic
// (model.Deps: a thread at a step its statement cannot reach).
func (f *Foot) NoJump(t Target) {
	if f.sf == nil {
		return
	}
	if p, i, ok := f.K.resolve(f.path, t); ok {
		f.sf.noJump = append(f.sf.noJump, uint16(p)<<8|uint16(i))
	}
}

// R declares reads.
func (f *Foot) R(refs ...refOf) { f.add(&f.at.R, refs) }

// W declares overwrites.
func (f *Foot) W(refs ...refOf) { f.add(&f.at.W, refs) }

// A declares commutative updates (increments, setting a flag).
func (f *Foot) A(refs ...refOf) { f.add(&f.at.A, refs) }

// RW declares reads and overwrites.
func (f *Foot) RW(refs ...refOf) { f.R(refs...); f.W(refs...) }

// Everything declares that the step may touch anything.
func (f *Foot) Everything() { f.all = true }

// If declares the accesses body makes as guarded by guard g over the
// instances sel selects (a page guard over the statement's page by default):
// they happen only in states where g holds for one of them.
func (f *Foot) If(g Guard, sel Sel, body func()) {
	if f.obsv {
		body()
		return
	}
	var any GuardSet
	switch g {
	case GAlloc, GZero:
		base := gAllocBase
		if g == GZero {
			base = gZeroBase
		}
		pages := f.pages(sel)
		each(f.inodes(sel), func(i int) { each(pages, func(pg int) { any.set(base + i*MaxPages + pg) }) })
	case GCore:
		each(f.inodes(sel), func(i int) { any.set(gCoreBase + i) })
	case GNT:
		any.set(gNTBit)
	case GJournal:
		any.set(gJournBit)
	}
	if any.empty() {
		return // no instance: the guarded accesses never happen
	}
	outer := f.at
	f.sf.Parts = append(f.sf.Parts, guarded{Any: any})
	f.at = &f.sf.Parts[len(f.sf.Parts)-1].F
	body()
	// body may have appended parts (nested guards are taken on their own,
	// which over-approximates their conjunction).
	f.at = outer
}

func (f *Foot) add(set *ResSet, refs []refOf) {
	for _, r := range refs {
		f.resolve(set, r.ref())
	}
}

// inodes is the inodes sel selects, a bit each.
func (f *Foot) inodes(sel Sel) uint64 {
	switch {
	case f.St == nil || sel&SelAll != 0:
		return 1<<MaxFiles - 1
	case sel&SelSrc != 0:
		ins, _ := f.K.vmaOrigins(f.T, f.St)
		return ins
	case sel&SelDst != 0:
		return bit(f.St.Inode2, MaxFiles)
	}
	return bit(f.St.Inode, MaxFiles)
}

// pages is the pages sel selects, a bit each.
func (f *Foot) pages(sel Sel) uint64 {
	switch {
	case f.St == nil || sel&(SelAll|SelPages) != 0:
		return 1<<MaxPages - 1
	case sel&SelRange != 0:
		lo, hi := f.St.Lo, f.St.Hi
		if f.St.Op == OpTruncate {
			hi = MaxPages - 1
		}
		var out uint64
		for pg := max(lo, 0); pg <= min(hi, MaxPages-1); pg++ {
			out |= 1 << pg
		}
		return out
	case sel&(SelDst|SelSrc|SelPage2) != 0:
		return bit(f.St.Page2, MaxPages)
	}
	return bit(f.St.Page, MaxPages)
}

// maps is the (process, VMA) pairs sel selects, a bit each
// (process*MaxVMAs+vma).
func (f *Foot) maps(sel Sel) uint64 {
	if f.St == nil || sel&(SelAll|SelMaps) != 0 {
		return 1<<(MaxProcs*MaxVMAs) - 1
	}
	if f.P < 0 || f.St.VMA < 0 || f.St.VMA >= MaxVMAs {
		return 0
	}
	return 1 << (f.P*MaxVMAs + f.St.VMA)
}

// files is the struct file slots sel selects, a bit each.
func (f *Foot) files(sel Sel) uint64 {
	switch {
	case f.St == nil || sel&SelAll != 0:
		return 1<<MaxOpen - 1
	case sel&SelSrc != 0:
		_, files := f.K.vmaOrigins(f.T, f.St)
		return files
	case sel&SelDst != 0:
		return bit(f.St.File2, MaxOpen)
	}
	return bit(f.St.File, MaxOpen)
}

// bit is 1<<i, or 0 for an index outside [0, n).
func bit(i, n int) uint64 {
	if i < 0 || i >= n {
		return 0
	}
	return 1 << i
}

// each calls f for every bit of m, lowest first.
func each(m uint64, f func(i int)) {
	for ; m != 0; m &= m - 1 {
		f(bits.TrailingZeros64(m))
	}
}

func (f *Foot) resolve(set *ResSet, r Ref) {
	base := resBase[r.Res]
	sel := r.Sel
	if f.St == nil {
		sel |= SelAll
	}
	one := func(i int) { set.set(base + i) }
	switch resDomain[r.Res] {
	case dGlobal:
		set.set(base)
	case dProc:
		if sel&(SelAll|SelMaps) != 0 {
			each(1<<MaxProcs-1, one)
		} else if f.P >= 0 {
			set.set(base + f.P)
		}
	case dInode:
		each(f.inodes(sel), one)
	case dPage:
		pages := f.pages(sel)
		each(f.inodes(sel), func(i int) { each(pages, func(pg int) { one(i*MaxPages + pg) }) })
	case dVMA:
		each(f.maps(sel), one)
	case dPTE:
		pages := f.pages(sel)
		each(f.maps(sel), func(m int) { each(pages, func(pg int) { one(m*MaxPages + pg) }) })
	case dFile:
		each(f.files(sel), one)
	case dDir:
		if sel&SelAll != 0 {
			each(1<<MaxDirs-1, one)
		} else {
			each(bit(f.St.Dir, MaxDirs), one)
		}
	case dThread:
		if sel&SelAll != 0 {
			each(1<<MaxThreads-1, one)
		} else {
			each(bit(f.T, MaxThreads), one)
		}
	}
}

// vmaOrigins is what the VMA slot of statement st (of thread t's process) can
// map: the inodes and struct file slots of the mmap statements that fill that
// slot, a bit each. With none found, every inode and slot.
func (k *Kernel) vmaOrigins(t int, st *Stmt) (inodes, files uint64) {
	if t < 0 || t >= len(k.Threads) || st.VMA < 0 {
		return 0, 0
	}
	p := k.Threads[t].Proc
	for u := range k.Threads {
		if k.Threads[u].Proc != p {
			continue
		}
		for _, s := range k.Threads[u].Prog {
			if s.Op == OpMmap && s.VMA == st.VMA {
				inodes |= bit(s.Inode, MaxFiles)
				files |= bit(s.File, MaxOpen)
			}
		}
	}
	if inodes == 0 && files == 0 {
		return 1<<MaxFiles - 1, 1<<MaxOpen - 1
	}
	return inodes, files
}

// --- hooks --------------------------------------------------------------------

// HookFoot is a hook's footprint; at selects what the caller passes it (the
// pages a writeback hook works on, the second inode a gate is asked about).
type HookFoot func(f *Foot, at Sel)

// HookID names a hook (a field of Hooks).
type HookID uint8

const (
	HookInstantiate HookID = iota
	HookMmapFlags
	HookMmapCheck
	HookSyncFault
	HookUserFlushPromised
	HookRemapSupported
	HookGate
	HookExtraInodeRefs
	HookDaxWritebackOne
	HookIputFinal
	HookShouldRetryAlloc
	numHooks
)

var hookFields = [numHooks]string{"Instantiate", "MmapFlags", "MmapCheck", "SyncFault", "UserFlushPromised",
	"RemapSupported", "Gate", "ExtraInodeRefs", "DaxWritebackOne", "IputFinal", "ShouldRetryAlloc"}

func (h HookID) String() string { return hookFields[h] }

type hookDecl struct {
	ptr   uintptr
	foot  HookFoot
	never bool
}

// hookPtr is the code pointer of the hook's current function (0: nil).
func (k *Kernel) hookPtr(h HookID) uintptr {
	v := reflect.ValueOf(&k.Hooks).Elem().FieldByName(hookFields[h])
	if v.IsNil() {
		return 0
	}
	return v.Pointer()
}

// DeclareHook declares the footprint of hook h's current function. Whoever
// sets a hook declares it; a hook changed after its declaration (or never
// declared) touches everything.
func (k *Kernel) DeclareHook(h HookID, foot HookFoot) {
	k.mustEdit()
	k.hookFeet[h] = hookDecl{ptr: k.hookPtr(h), foot: foot}
}

// DeclareHookNever declares that hook h's current function touches nothing
// and always answers false (or nothing): the paths only its true answer leads
// to are no part of any future.
func (k *Kernel) DeclareHookNever(h HookID) {
	k.DeclareHook(h, func(*Foot, Sel) {})
	k.hookFeet[h].never = true
}

// HookNever reports whether hook h's current function was declared never to
// answer true (DeclareHookNever).
func (k *Kernel) HookNever(h HookID) bool {
	d := k.hookFeet[h]
	return d.never && d.ptr == k.hookPtr(h)
}

// HookFootprint is the declared footprint of hook h's current function, nil
// when it has none (for a wrapper that touches what the wrapped hook does).
func (k *Kernel) HookFootprint(h HookID) HookFoot {
	if d := k.hookFeet[h]; d.foot != nil && d.ptr == k.hookPtr(h) {
		return d.foot
	}
	return nil
}

// Hook declares a call of hook h with the instances at selects.
func (f *Foot) Hook(h HookID, at Sel) {
	if f.K.hookPtr(h) == 0 {
		return // nil: the call does nothing
	}
	foot := f.K.HookFootprint(h)
	if foot == nil {
		f.Everything()
		return
	}
	foot(f, at)
}

// --- resolution ---------------------------------------------------------------

// resolveStep is the footprint of step st of path p for statement stmt of
// thread t.
func (k *Kernel) resolveStep(t int, stmt *Stmt, p PathID, st *Step) StepFoot {
	var sf StepFoot
	f := &Foot{K: k, T: t, St: stmt, P: -1, sf: &sf, path: p}
	if t >= 0 && t < len(k.Threads) {
		f.P = k.Threads[t].Proc
	}
	f.at = &sf.Base
	if st.Foot == nil || st.opaque {
		f.all = true
	} else {
		st.Foot(f)
		for _, x := range st.extra {
			x(f)
		}
	}
	if f.all {
		return StepFoot{Base: everything, noJump: sf.noJump}
	}
	return sf
}

// Observe is the resources a state check looks at, every instance of each
// kind (for a property's declaration of what it observes).
func Observe(kinds ...Res) Visibility {
	var v Visibility
	for _, r := range kinds {
		m := kindMask(r)
		v.Observed.or(&m)
	}
	return v
}

// Visibility is what the properties being judged observe in a state: a step
// that writes any of it is visible (condition C2 of the ample-set reduction).
// Transition checks need nothing here: the events of a step, and the state
// they read of it, are part of what independent steps keep in both orders.
type Visibility struct {
	Observed ResSet
}

// Union is v and w together.
func (v Visibility) Union(w Visibility) Visibility {
	v.Observed.or(&w.Observed)
	return v
}

// declareDefaultHooks declares the baseline hooks' footprints.
func (k *Kernel) declareDefaultHooks() {
	none := func(*Foot, Sel) {}
	k.DeclareHook(HookInstantiate, InstantiateFromDiskFlagFoot)
	k.DeclareHook(HookMmapFlags, none)
	k.DeclareHook(HookMmapCheck, none)
	k.DeclareHookNever(HookSyncFault)
	k.DeclareHookNever(HookUserFlushPromised)
	k.DeclareHook(HookRemapSupported, RemapSupportedFoot)
	k.DeclareHook(HookDaxWritebackOne, daxWritebackOneFoot)
	k.DeclareHook(HookIputFinal, func(f *Foot, at Sel) { f.Evict(at) })
	k.DeclareHook(HookShouldRetryAlloc, freedUncommittedFoot)
}
