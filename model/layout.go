package model

import (
	"sort"
	"unsafe"
)

// Range is the byte range [Off, Off+Len) of a [State].
type Range struct{ Off, Len int }

// Changeable returns the byte ranges of State that the threads of k can ever change
// from init: the slots of the objects the scenario names (its threads, files,
// directories, struct file slots, each process's VMA slots and their page tables),
// the pmem blocks the files can ever occupy, and the journal. Everything else keeps
// init's bytes in every reachable state, so an exploration engine may store and
// fingerprint only these ranges (sim's compact encoding). Padding fields are left
// out. The ranges are sorted and do not overlap.
//
// The object slots follow from how slots are assigned (statically, by the
// scenario's statements: see the package doc). The block bound follows from the
// allocator: allocZeroed takes the lowest block free in memory and on disk, and a
// block is busy only while an in-memory or a committed block map of a file page
// names it, so at most 2 blocks per file page (plus one being set up) are busy at
// once, and no block at or above that count is ever allocated. A step that writes
// outside these ranges breaks the engine's assumption; sim checks every step
// against them and widens its encoding when that happens, so a bound that is too
// tight costs a restart, never a wrong verdict.
func (k *Kernel) Changeable(init *State) []Range {
	var out []Range
	add := func(off, n uintptr) {
		if n > 0 {
			out = append(out, Range{Off: int(off), Len: int(n)})
		}
	}
	var s State
	base := uintptr(unsafe.Pointer(&s))
	at := func(p unsafe.Pointer) uintptr { return uintptr(p) - base }

	// Threads: position, registers and held locks (not the padding).
	for t := range k.Threads {
		if t >= MaxThreads {
			break
		}
		th := &s.Threads[t]
		add(at(unsafe.Pointer(&th.PC)), unsafe.Offsetof(th.R)+unsafe.Sizeof(th.R))
		add(at(unsafe.Pointer(&th.Held)), unsafe.Sizeof(th.Held))
	}
	// Inodes of the scenario's files: all of each.
	if n := min(len(k.Files), MaxFiles); n > 0 {
		add(at(unsafe.Pointer(&s.Inodes[0])), uintptr(n)*unsafe.Sizeof(s.Inodes[0]))
	}
	if n := min(len(k.Dirs), MaxDirs); n > 0 {
		add(at(unsafe.Pointer(&s.DirDax[0])), uintptr(n))
	}
	// Struct file slots and VMA slots: the highest each statement names.
	files := 0
	var vmas [MaxProcs]int
	for t := range k.Threads {
		proc := k.Threads[t].Proc
		for i := range k.Threads[t].Prog {
			st := &k.Threads[t].Prog[i]
			files = max(files, st.File+1, st.File2+1)
			if proc >= 0 && proc < MaxProcs {
				vmas[proc] = max(vmas[proc], st.VMA+1)
			}
		}
	}
	for f := 0; f < min(files, MaxOpen); f++ {
		fl := &s.Files[f]
		add(at(unsafe.Pointer(fl)), unsafe.Offsetof(fl.Sealed)+unsafe.Sizeof(fl.Sealed))
	}
	for p := 0; p < min(len(k.Procs), MaxProcs); p++ {
		pr := &s.Procs[p]
		add(at(unsafe.Pointer(&pr.MmapLock)), unsafe.Offsetof(pr.MmapLock.WWait)+1)
		for v := 0; v < min(vmas[p], MaxVMAs); v++ {
			vm := &pr.VMA[v]
			add(at(unsafe.Pointer(vm)), unsafe.Offsetof(vm.Ops)+unsafe.Sizeof(vm.Ops))
			add(at(unsafe.Pointer(&pr.PTE[v])), unsafe.Sizeof(pr.PTE[v]))
		}
	}
	if n := k.changeableBlocks(init); n > 0 {
		add(at(unsafe.Pointer(&s.Blocks[0])), uintptr(n)*unsafe.Sizeof(s.Blocks[0]))
	}
	j := &s.Journal
	add(at(unsafe.Pointer(j)), unsafe.Offsetof(j.Dirty)+unsafe.Sizeof(j.Dirty))

	sort.Slice(out, func(a, b int) bool { return out[a].Off < out[b].Off })
	return out
}

// changeableBlocks bounds the blocks [0, n) that can ever be allocated, written or
// freed (see Changeable).
func (k *Kernel) changeableBlocks(init *State) int {
	// The device ends where the blocks reserved for good begin (scenario
	// "device blocks=N": allocated in memory and on disk, owned by no file).
	end := MaxBlocks
	for end > 0 {
		bl := &init.Blocks[end-1]
		if bl.Used == 0 || bl.DUsed == 0 || bl.Owner != 0 {
			break
		}
		end--
	}
	// Pages a file can have: its initial size, or any page a statement names.
	pages := 0
	for i := 0; i < min(len(k.Files), MaxFiles); i++ {
		pages = max(pages, int(init.Inodes[i].Size), int(init.Inodes[i].DSize))
	}
	for t := range k.Threads {
		for i := range k.Threads[t].Prog {
			st := &k.Threads[t].Prog[i]
			pages = max(pages, st.Lo+1, st.Hi+1, st.Page+1, st.Page2+1)
		}
	}
	pages = min(pages, MaxPages)
	busy := 2*min(len(k.Files), MaxFiles)*pages + 1
	// Blocks busy in init that no file owns (none today) also count.
	for b := 0; b < end; b++ {
		if bl := &init.Blocks[b]; (bl.Used != 0 || bl.DUsed != 0) && bl.Owner == 0 {
			busy++
		}
	}
	return min(busy, end)
}
