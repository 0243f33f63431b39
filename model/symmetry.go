package model

import (
	"bytes"
	"slices"
	"unsafe"
)

// Thread symmetry. Threads of one process that run the same program, up to the
// struct file and VMA slots their statements create and the data tokens they
// store, are interchangeable: exchanging two of them (with their slots, the
// locks they hold, and their tokens) maps an execution to an execution and
// keeps every property's verdict, so the search needs one state of each
// class of states that differ only by such an exchange (Emerson and Sistla's
// symmetry reduction). Nothing relies on data independence: the tokens are
// renamed with their threads.
//
// Canonicalize picks the representative by sorting each class's threads by
// what belongs to them; any state of the class is a sound choice, and equal
// keys give the same representative for every state of a class but the rare
// ties between threads whose own parts are equal (a tie only costs a
// duplicate state, never a missed one).
//
// What names a thread turns its symmetry off (Kernel.Symmetry's exclude): an
// expect result line on it, an after clause, a crash after, and a mutant whose
// steps depend on thread numbers (entry-wake-one's wait queue).

// Symmetry is the thread symmetry of a kernel.
type Symmetry struct {
	classes [][]int // interchangeable threads, each class sorted, at least two
	// Per thread: the file slots, VMA slots and data tokens its statements
	// create or store, in program order (symmetric threads' lists correspond).
	files, vmas [][]int
	values      [][]uint8
}

// Symmetry returns the thread symmetry of k, leaving out the threads exclude
// names; nil when no two threads are interchangeable.
func (k *Kernel) Symmetry(exclude func(t int) bool) *Symmetry {
	y := &Symmetry{files: make([][]int, len(k.Threads)), vmas: make([][]int, len(k.Threads)),
		values: make([][]uint8, len(k.Threads))}
	for t := range k.Threads {
		for _, st := range k.Threads[t].Prog {
			if st.Op == OpOpen || st.Op == OpCreate {
				y.files[t] = append(y.files[t], st.File)
			}
			if st.Op == OpMmap {
				y.vmas[t] = append(y.vmas[t], st.VMA)
			}
			if st.Val != 0 && !slices.Contains(y.values[t], st.Val) {
				y.values[t] = append(y.values[t], st.Val)
			}
		}
	}
	taken := make([]bool, len(k.Threads))
	for t := range k.Threads {
		if taken[t] || k.Threads[t].Daemon || exclude(t) {
			continue
		}
		class := []int{t}
		for u := t + 1; u < len(k.Threads); u++ {
			if !taken[u] && !k.Threads[u].Daemon && !exclude(u) && y.alike(k, t, u) {
				class = append(class, u)
				taken[u] = true
			}
		}
		if len(class) > 1 {
			y.classes = append(y.classes, class)
		}
	}
	if len(y.classes) == 0 {
		return nil
	}
	return y
}

// alike reports whether threads t and u run the same program up to their
// slots and tokens, and own disjoint slots and tokens.
func (y *Symmetry) alike(k *Kernel, t, u int) bool {
	a, b := &k.Threads[t], &k.Threads[u]
	if a.Proc != b.Proc || len(a.Prog) != len(b.Prog) || len(y.files[t]) != len(y.files[u]) ||
		len(y.vmas[t]) != len(y.vmas[u]) || len(y.values[t]) != len(y.values[u]) {
		return false
	}
	for i := range a.Prog {
		x, z := a.Prog[i], b.Prog[i]
		if len(x.After) != 0 || len(z.After) != 0 {
			return false
		}
		// The slots and tokens must correspond, position by position.
		if slotIndex(y.files[t], x.File) != slotIndex(y.files[u], z.File) ||
			slotIndex(y.files[t], x.File2) != slotIndex(y.files[u], z.File2) ||
			slotIndex(y.vmas[t], x.VMA) != slotIndex(y.vmas[u], z.VMA) ||
			valueIndex(y.values[t], x.Val) != valueIndex(y.values[u], z.Val) {
			return false
		}
		if x.Op != z.Op || x.Inode != z.Inode || x.Inode2 != z.Inode2 || x.Dir != z.Dir || x.Write != z.Write ||
			x.Sync != z.Sync || x.Lo != z.Lo || x.Hi != z.Hi || x.Page != z.Page || x.Page2 != z.Page2 ||
			x.FromMap != z.FromMap || x.Flags != z.Flags || x.On != z.On {
			return false
		}
	}
	for _, f := range y.files[t] {
		if slices.Contains(y.files[u], f) {
			return false
		}
	}
	for _, v := range y.values[t] {
		if slices.Contains(y.values[u], v) {
			return false
		}
	}
	return true
}

// slotIndex is -1 for "no slot" (a negative slot), else the slot's position
// in the thread's list (-2 when it is not the thread's own: it must match
// exactly, which the callers' comparison of the other fields does not cover).
func slotIndex(own []int, slot int) int {
	if slot < 0 {
		return -1
	}
	if i := slices.Index(own, slot); i >= 0 {
		return i
	}
	return -2 - slot
}

func valueIndex(own []uint8, v uint8) int {
	if v == 0 {
		return -1
	}
	return slices.Index(own, v)
}

// Order is how many states a class of symmetric states holds at most: the
// product of the classes' factorials.
func (y *Symmetry) Order() int {
	n := 1
	for _, c := range y.classes {
		for i := 2; i <= len(c); i++ {
			n *= i
		}
	}
	return n
}

// Classes lists the classes of interchangeable threads.
func (y *Symmetry) Classes() [][]int { return y.classes }

// Perm maps each position to the thread whose state it holds: after
// Canonicalize, position i of the state is what thread Perm[i] was.
type Perm [MaxThreads]uint8

// Canonicalize rewrites s in place to the representative of its symmetry
// class and returns the permutation applied.
func (y *Symmetry) Canonicalize(k *Kernel, s *State) Perm {
	var p Perm
	for t := range p {
		p[t] = uint8(t)
	}
	moved := false
	for _, class := range y.classes {
		order := slices.Clone(class)
		slices.SortStableFunc(order, func(a, b int) int { return y.compare(k, s, a, b) })
		for i, t := range class {
			if order[i] != t {
				p[t] = uint8(order[i])
				moved = true
			}
		}
	}
	if moved {
		y.apply(k, s, &p)
	}
	return p
}

// key is what belongs to thread t in s, without its tokens: its position,
// registers and locks, its files and its VMAs with their PTEs.
func (y *Symmetry) key(k *Kernel, s *State, t int, buf *bytes.Buffer) {
	th := s.Threads[t]
	buf.Write((*[unsafe.Sizeof(Thread{})]byte)(unsafe.Pointer(&th))[:])
	for _, f := range y.files[t] {
		buf.Write((*[unsafe.Sizeof(File{})]byte)(unsafe.Pointer(&s.Files[f]))[:])
	}
	pr := &s.Procs[k.Threads[t].Proc]
	for _, v := range y.vmas[t] {
		vma := pr.VMA[v]
		vma.File = 0 // a slot number: it differs between symmetric threads
		buf.Write((*[unsafe.Sizeof(VMA{})]byte)(unsafe.Pointer(&vma))[:])
		for _, pte := range pr.PTE[v] {
			if pte.Kind == PTEAnon {
				pte.Val = 0 // a token
			}
			buf.Write([]byte{pte.Kind, pte.Write, pte.Val})
		}
	}
}

func (y *Symmetry) compare(k *Kernel, s *State, a, b int) int {
	var ka, kb bytes.Buffer
	y.key(k, s, a, &ka)
	y.key(k, s, b, &kb)
	return bytes.Compare(ka.Bytes(), kb.Bytes())
}

// apply moves thread p[i]'s state to position i for every i, with its file
// and VMA slots and its tokens, and renames the thread references of the
// shared structures (lock holders, wait queues).
func (y *Symmetry) apply(k *Kernel, s *State, p *Perm) {
	old := *s
	var inv [MaxThreads]uint8 // old thread -> new position
	for i := range p {
		inv[p[i]] = uint8(i)
	}
	var fileMap [MaxOpen]int8 // old slot -> new slot
	for j := range fileMap {
		fileMap[j] = int8(j)
	}
	var valMap [256]uint8
	for v := range valMap {
		valMap[v] = uint8(v)
	}
	for i := range k.Threads {
		t := int(p[i])
		if t == i {
			continue
		}
		s.Threads[i] = old.Threads[t]
		for n, f := range y.files[t] {
			s.Files[y.files[i][n]] = old.Files[f]
			fileMap[f] = int8(y.files[i][n])
		}
		pr, opr := &s.Procs[k.Threads[i].Proc], &old.Procs[k.Threads[t].Proc]
		for n, v := range y.vmas[t] {
			pr.VMA[y.vmas[i][n]] = opr.VMA[v]
			pr.PTE[y.vmas[i][n]] = opr.PTE[v]
		}
		for n, v := range y.values[t] {
			valMap[v] = y.values[i][n]
		}
	}
	holder := func(h uint8) uint8 {
		if h == 0 {
			return 0
		}
		return inv[h-1] + 1
	}
	for pi := range s.Procs {
		pr := &s.Procs[pi]
		pr.MmapLock.Writer = holder(pr.MmapLock.Writer)
		for v := range pr.VMA {
			if f := pr.VMA[v].File; f != 0 {
				pr.VMA[v].File = uint8(fileMap[f-1]) + 1
			}
			for pg := range pr.PTE[v] {
				if pte := &pr.PTE[v][pg]; pte.Kind == PTEAnon {
					pte.Val = valMap[pte.Val]
				}
			}
		}
	}
	for i := range s.Inodes {
		in := &s.Inodes[i]
		in.IRwsem.Writer = holder(in.IRwsem.Writer)
		in.Invalidate.Writer = holder(in.Invalidate.Writer)
		for pg := range in.XA {
			e := &in.XA[pg]
			e.Locked = holder(e.Locked)
			if e.Kind == EntryPage {
				e.Val = valMap[e.Val]
			}
			if w := e.Waiters; w != 0 {
				e.Waiters = 0
				for t := 0; t < 8; t++ {
					if w&(1<<t) != 0 {
						e.Waiters |= 1 << inv[t]
					}
				}
			}
		}
	}
	for b := range s.Blocks {
		bl := &s.Blocks[b]
		bl.Val, bl.MVal = valMap[bl.Val], valMap[bl.MVal]
	}
	for t := range k.Threads {
		// A write(2) from a mapping keeps the token it copied in CopyRegs.
		if th := &s.Threads[t]; th.Status == ThreadRunning && th.Path != uint8(PathNone) && k.Threads[t].Prog[th.PC].FromMap {
			th.R[offCopy+1] = valMap[th.R[offCopy+1]]
		}
	}
}
