package model

import (
	"bytes"
	"slices"
	"sync"
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
	// owner maps a token of a thread of a class to thread<<8 | index+1 in
	// its list (0: no such thread); tokens says there is one.
	owner  [256]uint16
	tokens bool
}

// Symmetry returns the thread symmetry of k, leaving out the threads exclude
// names; nil when no two threads are interchangeable.
func (k *Kernel) Symmetry(exclude func(t int) bool) *Symmetry {
	if k.ThreadOrdered {
		return nil
	}
	// Threads the kernel itself names: the statement of "crash after" and the
	// statements of after clauses.
	named := map[int]bool{}
	if k.CrashAfter.Valid {
		named[k.CrashAfter.Thread] = true
	}
	for t := range k.Threads {
		for _, st := range k.Threads[t].Prog {
			for _, a := range st.After {
				named[a.Thread] = true
			}
		}
	}
	excluded := func(t int) bool { return named[t] || exclude != nil && exclude(t) }
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
		if taken[t] || k.Threads[t].Daemon || excluded(t) {
			continue
		}
		class := []int{t}
		for u := t + 1; u < len(k.Threads); u++ {
			if !taken[u] && !k.Threads[u].Daemon && !excluded(u) && y.alike(k, t, u) {
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
	for _, class := range y.classes {
		for _, t := range class {
			for n, v := range y.values[t] {
				y.owner[v] = uint16(t)<<8 | uint16(n+1)
				y.tokens = true
			}
		}
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

// IdentityPerm is the permutation that moves nothing.
var IdentityPerm = func() (p Perm) {
	for i := range p {
		p[i] = uint8(i)
	}
	return
}()

// Canonicalize rewrites s in place to the representative of its symmetry
// class and returns the permutation applied.
//
// The threads of each class are sorted by a key of what belongs to them (see
// key), in which the thread's own slots are numbered in program order and its
// own tokens by their index in its list: the key of a thread is the same
// after any exchange of symmetric threads, so sorting by it picks the same
// representative for every state of a class, but for threads whose keys are
// equal, whose exchange then changes nothing the key sees.
func (y *Symmetry) Canonicalize(k *Kernel, s *State) Perm {
	var p Perm
	for t := range p {
		p[t] = uint8(t)
	}
	sc := scratchPool.Get().(*symScratch)
	defer scratchPool.Put(sc)
	y.keys(k, s, sc)
	if y.tokens && y.ties(sc) {
		// Equal keys: tell the threads apart by where their tokens are.
		y.marks(k, s, sc)
	}
	moved := false
	for _, class := range y.classes {
		order := sc.order[:0]
		order = append(order, class...)
		// Insertion sort: classes are small.
		for i := 1; i < len(order); i++ {
			for j := i; j > 0 && bytes.Compare(sc.key[order[j]], sc.key[order[j-1]]) < 0; j-- {
				order[j], order[j-1] = order[j-1], order[j]
			}
		}
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

// symScratch holds the keys of one Canonicalize call.
type symScratch struct {
	key   [MaxThreads][]byte
	order []int
}

var scratchPool = sync.Pool{New: func() any { return &symScratch{order: make([]int, 0, MaxThreads)} }}

// keys computes the key of every thread of a class: its position, registers
// and locks; its files; its VMAs (slot numbers left out) with their PTEs. A
// token of its own is written as its index in the thread's list, any other
// token as itself. Where the keys tie, marks adds where the tokens are.
func (y *Symmetry) keys(k *Kernel, s *State, sc *symScratch) {
	for _, class := range y.classes {
		for _, t := range class {
			b := sc.key[t][:0]
			th := &s.Threads[t]
			b = append(b, (*[unsafe.Sizeof(Thread{})]byte)(unsafe.Pointer(th))[:]...)
			if th.Status == ThreadRunning && th.Path != uint8(PathNone) && k.Threads[t].Prog[th.PC].FromMap {
				off := int(unsafe.Offsetof(th.R)) + offCopy + 1
				b[off] = y.tok(t, th.R[offCopy+1])
			}
			for _, f := range y.files[t] {
				b = append(b, (*[unsafe.Sizeof(File{})]byte)(unsafe.Pointer(&s.Files[f]))[:]...)
			}
			pr := &s.Procs[k.Threads[t].Proc]
			for _, v := range y.vmas[t] {
				n := len(b)
				b = append(b, (*[unsafe.Sizeof(VMA{})]byte)(unsafe.Pointer(&pr.VMA[v]))[:]...)
				b[n] = b2u(b[n] != 0) // VMA.File: a slot number
				n = len(b)
				b = append(b, (*[unsafe.Sizeof(pr.PTE[v])]byte)(unsafe.Pointer(&pr.PTE[v]))[:]...)
				for pg := range pr.PTE[v] {
					if pr.PTE[v][pg].Kind == PTEAnon {
						b[n+3*pg+2] = y.tok(t, pr.PTE[v][pg].Val)
					}
				}
			}
			sc.key[t] = b
		}
	}
}

// tok is a token as thread t's key holds it: its own tokens by their index
// in its list, any other as itself.
func (y *Symmetry) tok(t int, v uint8) byte {
	if o := y.owner[v]; o != 0 && int(o>>8) == t {
		return 0x80 | byte(o&0xff)
	}
	return v
}

// ties reports whether two threads of a class have equal keys.
func (y *Symmetry) ties(sc *symScratch) bool {
	for _, class := range y.classes {
		for i, a := range class {
			for _, b := range class[i+1:] {
				if bytes.Equal(sc.key[a], sc.key[b]) {
					return true
				}
			}
		}
	}
	return false
}

// marks appends to the keys where each thread's own tokens are: the blocks'
// newest and durable contents and the page-cache pages holding them.
func (y *Symmetry) marks(k *Kernel, s *State, sc *symScratch) {
	mark := func(where byte, at int, v uint8) {
		if o := y.owner[v]; o != 0 {
			t := int(o >> 8)
			sc.key[t] = append(sc.key[t], where, byte(at), byte(o&0xff))
		}
	}
	for bi := range s.Blocks {
		bl := &s.Blocks[bi]
		mark(1, bi, bl.Val)
		mark(2, bi, bl.MVal)
	}
	for i := range k.Files {
		for pg, e := range s.Inodes[i].XA {
			if e.Kind == EntryPage {
				mark(3, i*MaxPages+pg, e.Val)
			}
		}
	}
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

// Exchange applies permutation p (position i takes what thread p[i] was; p
// must exchange threads within classes only) to s, as Canonicalize does with
// the permutation it picks: for tests of the representative's uniqueness.
func (y *Symmetry) Exchange(k *Kernel, s *State, p Perm) { y.apply(k, s, &p) }
