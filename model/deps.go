package model

import (
	"fmt"
	"math/bits"
	"reflect"
	"unsafe"
)

// Deps is the dependency relation of a sealed kernel and its thread programs:
// for every thread, statement and step the statement can reach, the step's
// footprint for that statement, and the footprint of everything the thread may
// still do from there (the rest of the statement's paths, then every later
// statement's). It answers the question of an ample-set reduction: which
// thread's next step is independent of everything the other threads can ever
// do from this state on ([Deps.Ample]).
//
// It is computed once per run; Ample allocates nothing and may be called from
// several goroutines at once.
type Deps struct {
	k       *Kernel
	stepIdx [NumPaths][]int32 // dense index of each step of each path
	threads []threadDeps
	// awaited[t][pc][u] is the statements of thread u (bit pc') that an
	// "after" of a statement of t from pc on waits for.
	awaited [][][MaxThreads]uint32
	cut     StmtRef // Kernel.CrashAfter
	jguard  bool    // journalGuarded
	iomap   int     // the index of the DAX fault's iomap-begin step, -1 for none
	// The scenario's objects: inodes, processes, VMA slots per process
	// (nothing touches the others).
	inodes, procs int
	vmas          [MaxProcs]int
}

type threadDeps struct {
	daemon bool
	stmts  []stmtDeps
}

// stmtDeps is one statement of a thread: for each step its paths reach, by
// dense index (slot[idx] >= 0), its footprint and its future's.
type stmtDeps struct {
	entry int32   // dense index of the statement's first step
	slot  []int32 // dense step index -> index in cur and fut, -1 when unreachable
	cur   []StepFoot
	fut   []StepFoot
}

// NewDeps computes the dependency relation of k, which must be sealed and
// have its threads.
func NewDeps(k *Kernel) *Deps {
	if !k.sealed {
		panic("model: NewDeps on a kernel that is not sealed")
	}
	d := &Deps{k: k, cut: k.CrashAfter}
	d.jguard = d.journalGuarded()
	d.iomap = k.Paths[PathDAXFault].Index("iomap-begin")
	d.inodes, d.procs = min(len(k.Files), MaxFiles), min(len(k.Procs), MaxProcs)
	for t := range k.Threads {
		p := k.Threads[t].Proc
		for _, st := range k.Threads[t].Prog {
			if p >= 0 && p < MaxProcs && st.VMA >= 0 && st.VMA < MaxVMAs {
				d.vmas[p] = max(d.vmas[p], st.VMA+1)
			}
		}
	}
	n := int32(0)
	for p := range k.Paths {
		d.stepIdx[p] = make([]int32, len(k.Paths[p].Steps))
		for i := range d.stepIdx[p] {
			d.stepIdx[p][i] = n
			n++
		}
	}
	d.threads = make([]threadDeps, len(k.Threads))
	d.awaited = make([][][MaxThreads]uint32, len(k.Threads))
	for t := range k.Threads {
		td := &d.threads[t]
		td.daemon = k.Threads[t].Daemon
		prog := k.Threads[t].Prog
		td.stmts = make([]stmtDeps, len(prog))
		var later StepFoot // every step of the statements after pc
		d.awaited[t] = make([][MaxThreads]uint32, len(prog)+1)
		for pc := len(prog) - 1; pc >= 0; pc-- {
			sd := d.statement(t, pc, n, &later)
			td.stmts[pc] = sd
			for i := range sd.cur {
				later.or(&sd.cur[i])
			}
			d.awaited[t][pc] = d.awaited[t][pc+1]
			for _, a := range prog[pc].After {
				if a.Valid && a.Thread >= 0 && a.Thread < MaxThreads && a.PC < 32 {
					d.awaited[t][pc][a.Thread] |= 1 << a.PC
				}
			}
		}
	}
	return d
}

// statement resolves statement pc of thread t: the footprints of the steps its
// entry path reaches, and their futures (later is the footprint of every
// later statement).
func (d *Deps) statement(t, pc int, nsteps int32, later *StepFoot) stmtDeps {
	k := d.k
	st := &k.Threads[t].Prog[pc]
	entry := Ops[st.Op].Entry
	sd := stmtDeps{entry: d.stepIdx[entry][0], slot: make([]int32, nsteps)}
	for i := range sd.slot {
		sd.slot[i] = -1
	}
	// The steps the statement reaches, and their successors.
	var nodes []int32 // dense index by slot
	var succ [][]int32
	var stack []uint16
	seen := make([]bool, nsteps)
	push := func(n uint16) {
		if i := d.stepIdx[n>>8][n&0xff]; !seen[i] {
			seen[i] = true
			stack = append(stack, n)
		}
	}
	push(uint16(entry) << 8)
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		p, i := PathID(n>>8), int(n&0xff)
		idx := d.stepIdx[p][i]
		sd.slot[idx] = int32(len(nodes))
		nodes = append(nodes, idx)
		step := &k.Paths[p].Steps[i]
		sf := k.resolveStep(t, st, p, step)
		var next []uint16
		next = append(next, n) // Again
		if i+1 < len(k.Paths[p].Steps) {
			next = append(next, n+1)
		}
	jumps:
		for _, m := range step.to {
			// A fault retries the user access it was taken for
			// (FaultRegs.Access, set by the statement's own entry step):
			// its load, store or flush, never another.
			if q := PathID(m >> 8); m&0xff == 0 && (q == PathLoad || q == PathStore || q == PathFlush) && q != entry {
				continue
			}
			for _, x := range sf.noJump {
				if x == m {
					continue jumps
				}
			}
			next = append(next, m)
		}
		var ss []int32
		for _, m := range next {
			push(m)
			ss = append(ss, d.stepIdx[m>>8][m&0xff])
		}
		succ = append(succ, ss)
		d.implicit(&sf, t, pc)
		sd.cur = append(sd.cur, sf)
	}
	// Futures: the steps reachable from each, then the later statements.
	sd.fut = make([]StepFoot, len(nodes))
	mark := make([]int, len(nodes)) // the last search that met each node
	var work []int
	for s := range nodes {
		var f StepFoot
		work = append(work[:0], s)
		mark[s] = s + 1
		for len(work) > 0 {
			x := work[len(work)-1]
			work = work[:len(work)-1]
			f.or(&sd.cur[x])
			for _, m := range succ[x] {
				if y := int(sd.slot[m]); y >= 0 && mark[y] != s+1 {
					mark[y] = s + 1
					work = append(work, y)
				}
			}
		}
		f.or(later)
		sd.fut[s] = f
	}
	return sd
}

// implicit adds what every step of thread t's statement pc touches besides
// its declaration: its own position, the power cut it may make or that
// stops it, and for the journal thread the guard that it may commit again.
func (d *Deps) implicit(sf *StepFoot, t, pc int) {
	k := d.k
	var pos ResSet
	pos.set(resBase[RPos] + t)
	orSet(&sf.Base.W, &pos)
	if c := k.CrashAfter; c.Valid && !k.Threads[t].Daemon {
		var cut ResSet
		cut.set(resBase[RCut])
		orSet(&sf.Base.R, &cut) // Running: a cut thread stops
		if c.Thread == t && c.PC == pc {
			orSet(&sf.Base.W, &cut)
		}
	}
	if k.Threads[t].Daemon && d.jguard {
		// The journal thread can move only while the journal is dirty or
		// committing, or will be: everything it does is under GJournal.
		var j GuardSet
		j.set(gJournBit)
		parts := []guarded{{Need: j, F: sf.Base}}
		for _, p := range sf.Parts {
			p.Need[0] |= j[0]
			p.Need[1] |= j[1]
			parts = append(parts, p)
		}
		*sf = StepFoot{Parts: parts}
	}
}

// journalGuarded reports whether the journal thread's loop is the baseline's,
// whose first step blocks while the journal is clean (jbd2Lock), with every
// step declared: then it moves only under GJournal.
func (d *Deps) journalGuarded() bool {
	p := &d.k.Paths[PathJbd2]
	if len(p.Steps) == 0 || reflect.ValueOf(p.Steps[0].Do).Pointer() != reflect.ValueOf(jbd2Lock).Pointer() {
		return false
	}
	for i := range p.Steps {
		if p.Steps[i].Foot == nil || p.Steps[i].opaque {
			return false
		}
	}
	return true
}

// or adds o to sf, merging the parts with the same guards.
func (sf *StepFoot) or(o *StepFoot) {
	sf.Base.or(&o.Base)
next:
	for i := range o.Parts {
		p := &o.Parts[i]
		for j := range sf.Parts {
			if q := &sf.Parts[j]; q.Any == p.Any && q.Need == p.Need {
				q.F.or(&p.F)
				continue next
			}
		}
		sf.Parts = append(sf.Parts, *p)
	}
}

// Footprint is the footprint, in state s, of the step thread t takes next
// (guards evaluated in s, Data widened unless s is narrow).
func (d *Deps) Footprint(s *State, t int) (Footprint, bool) {
	cur, _, ok := d.position(s, t)
	if !ok {
		return Footprint{}, false
	}
	var fut [MaxThreads]*StepFoot
	run := d.futures(s, &fut)
	live := d.liveGuards(s, run, &fut)
	return cur.Eval(live, !d.narrow(s, run, &fut, live)), true
}

// position is thread t's current step's footprint and its future's.
func (d *Deps) position(s *State, t int) (cur, fut *StepFoot, ok bool) {
	if t >= len(d.threads) || !d.k.Running(s, t) {
		return nil, nil, false
	}
	th := &s.Threads[t]
	sd := &d.threads[t].stmts[th.PC]
	idx := sd.entry
	if th.Path != uint8(PathNone) {
		idx = d.stepIdx[th.Path][th.Step]
	}
	i := sd.slot[idx]
	if i < 0 {
		panic(fmt.Sprintf("model: thread %d at a step its statement %d cannot reach", t, th.PC))
	}
	return &sd.cur[i], &sd.fut[i], true
}

// futures fills fut with each running thread's future and returns the
// running threads.
func (d *Deps) futures(s *State, fut *[MaxThreads]*StepFoot) uint16 {
	var run uint16
	for t := range d.threads {
		if _, f, ok := d.position(s, t); ok {
			fut[t] = f
			run |= 1 << t
		}
	}
	return run
}

// liveGuards is the guards live in s: those whose predicate holds in s, and
// those an enabler in a live part of some running thread's future enables,
// to a fixpoint.
func (d *Deps) liveGuards(s *State, run uint16, fut *[MaxThreads]*StepFoot) GuardSet {
	k := d.k
	var live GuardSet
	for i := range k.Files {
		in := &s.Inodes[i]
		for pg := 0; pg < MaxPages; pg++ {
			if in.Ext[pg] != ExtWritten {
				live.set(gAllocBase + i*MaxPages + pg)
				live.set(gZeroBase + i*MaxPages + pg)
			} else if in.XA[pg].Kind == EntryZero {
				live.set(gZeroBase + i*MaxPages + pg)
			}
		}
		if in.InCore == 0 {
			live.set(gCoreBase + i)
		}
	}
	// A zero-page entry is made only by a DAX fault's insert whose
	// ->iomap_begin found a hole (its block register is 0): one past
	// iomap-begin with no block may make one, one before it will find the
	// page written unless something unwrites it (the enabler).
	for t := range d.threads {
		th := &s.Threads[t]
		if run&(1<<t) == 0 || th.Path != uint8(PathDAXFault) {
			continue
		}
		fr := (*FaultRegs)(unsafe.Pointer(&th.R[offFault]))
		if d.iomap >= 0 && (int(th.Step) <= d.iomap || fr.Block != 0) {
			continue
		}
		st := &k.Threads[t].Prog[th.PC]
		if st.Inode >= 0 && st.Page >= 0 && st.Page < MaxPages {
			live.set(gZeroBase + st.Inode*MaxPages + st.Page)
		}
	}
	for b := range s.Blocks {
		if s.Blocks[b].NT != 0 {
			live.set(gNTBit)
			break
		}
	}
	if s.Journal.Dirty != 0 || s.Journal.Locked != 0 {
		live.set(gJournBit)
	}
	for {
		var en ResSet
		var adds ResSet
		for t := range d.threads {
			if run&(1<<t) == 0 {
				continue
			}
			f := fut[t]
			orSet(&en, &f.Base.W)
			orSet(&en, &f.Base.A)
			orSet(&adds, &f.Base.A)
			for i := range f.Parts {
				if p := &f.Parts[i]; p.live(live) {
					orSet(&en, &p.F.W)
					orSet(&en, &p.F.A)
					orSet(&adds, &p.F.A)
				}
			}
		}
		next := live
		for x := 0; x < MaxFiles*MaxPages; x++ {
			if en.has(resBase[RUnwrite] + x) {
				next.set(gAllocBase + x)
				next.set(gZeroBase + x)
			}
		}
		for i := 0; i < MaxFiles; i++ {
			if en.has(resBase[RUncore] + i) {
				next.set(gCoreBase + i)
			}
		}
		if en.has(resBase[RNTSet]) {
			next.set(gNTBit)
		}
		if adds.has(resBase[RJDirty]) {
			next.set(gJournBit)
		}
		if next == live {
			return live
		}
		live = next
	}
}

// narrow reports whether, from s on, the Data of a page is one block no other
// page's Data is: no extent is shared and no two pages have one block; every
// DAX PTE, DAX entry and fault's block register names its page's block; and
// no running thread may change a block map or allocate or free a block.
func (d *Deps) narrow(s *State, run uint16, fut *[MaxThreads]*StepFoot, live GuardSet) bool {
	return d.consistent(s, run) && d.remapFree(run, fut, live)
}

// consistent reports whether in s no extent is shared and no two pages have
// one block, and every DAX PTE, DAX entry and running thread's fault block
// register names its page's block.
func (d *Deps) consistent(s *State, run uint16) bool {
	k := d.k
	var owner [MaxBlocks + 1]bool
	for i := 0; i < d.inodes; i++ {
		in := &s.Inodes[i]
		for pg := 0; pg < MaxPages; pg++ {
			if in.Ext[pg] == ExtShared {
				return false
			}
			if b := in.Block[pg]; b != 0 {
				if int(b) > MaxBlocks || owner[b] {
					return false
				}
				owner[b] = true
			}
			if e := &in.XA[pg]; e.Kind == EntryDAX && e.Val != in.Block[pg] {
				return false
			}
		}
	}
	for p := 0; p < d.procs; p++ {
		pr := &s.Procs[p]
		for v := 0; v < d.vmas[p]; v++ {
			for pg := 0; pg < MaxPages; pg++ {
				if pte := &pr.PTE[v][pg]; pte.Kind == PTEDAX {
					i := int(pr.VMA[v].Inode) - 1
					if i < 0 || pte.Val != s.Inodes[i].Block[pg] {
						return false
					}
				}
			}
		}
	}
	for t := range d.threads {
		if run&(1<<t) == 0 {
			continue
		}
		th := &s.Threads[t]
		if th.Path == uint8(PathNone) || k.Paths[th.Path].Regs&RegsFault == 0 {
			continue
		}
		fr := (*FaultRegs)(unsafe.Pointer(&th.R[offFault]))
		st := &k.Threads[t].Prog[th.PC]
		if fr.Block != 0 && (st.Inode < 0 || st.Page < 0 || fr.Block != s.Inodes[st.Inode].Block[st.Page]) {
			return false
		}
	}
	return true
}

// remapFree reports whether no running thread may still change a block map or
// allocate or free a block.
func (d *Deps) remapFree(run uint16, fut *[MaxThreads]*StepFoot, live GuardSet) bool {
	var remap ResSet
	m := kindMask(RMap)
	orSet(&remap, &m)
	remap.set(resBase[RBUsed])
	for t := range d.threads {
		if run&(1<<t) == 0 {
			continue
		}
		f := fut[t]
		if f.Base.W.meets(&remap) || f.Base.A.meets(&remap) {
			return false
		}
		for i := range f.Parts {
			if p := &f.Parts[i]; p.live(live) && (p.F.W.meets(&remap) || p.F.A.meets(&remap)) {
				return false
			}
		}
	}
	return true
}

// mayMove is false for a thread that certainly cannot move in s: the journal
// thread while it cannot commit (GJournal dead), a thread whose next
// statement waits for one that has not returned. (Choosing one would make the
// engine try every thread.)
func (d *Deps) mayMove(s *State, t int, live GuardSet) bool {
	if d.threads[t].daemon && d.jguard && !live.has(gJournBit) {
		return false
	}
	th := &s.Threads[t]
	if th.Path != uint8(PathNone) {
		return true
	}
	for _, a := range d.k.Threads[t].Prog[th.PC].After {
		if !done(s, a) {
			return false
		}
	}
	return true
}

// Ample returns a set of threads whose enabled next steps form an ample set
// of s for properties observing vis, as a mask, or 0 when there is none but
// every thread. The set T is closed: the next step of each thread of T
// conflicts with nothing any thread outside T may still do (its future: every
// step of the rest of its statements' paths and of its later statements,
// blocked ones included, and the journal thread's commit loop while it may
// commit), no thread outside T waits ("after") for a statement of T or is
// waited for by one, and no thread of T makes the power cut of "crash after"
// while threads outside it may still run. Then:
//
//   - C1: along a path from s that takes no enabled step of T, no thread of
//     T moves at all (a blocked one waits on what its step reads, which only
//     threads of T can change, and they cannot move first), so the path is
//     steps of threads outside T, each independent of every step of T;
//   - C2: no step of T changes what vis observes;
//   - C0 is the engine's: when no thread of T can move it tries every thread;
//   - C3 holds because the state graph is acyclic (see sim/por.go).
//
// Of the closed sets generated from one thread each, Ample returns the one
// with the fewest threads (the lowest first thread among equals), and a set
// of one thread whenever there is one. It allocates nothing.
func (d *Deps) Ample(s *State, vis *Visibility) uint16 {
	var fut [MaxThreads]*StepFoot
	run := d.futures(s, &fut)
	if run&(run-1) == 0 {
		return 0 // one thread or none: nothing to reduce
	}
	live := d.liveGuards(s, run, &fut)
	wide := !d.remapFree(run, &fut, live) || !d.consistent(s, run)
	// What is needed is computed once, when first needed: most states have a
	// set of one thread generated by one of the first threads tried.
	var eff, cur [MaxThreads]Footprint
	var haveEff, haveCur, haveDep, visible uint16
	var dep [MaxThreads]uint16 // the threads a closed set with t must hold
	curOf := func(t int) *Footprint {
		if haveCur&(1<<t) == 0 {
			haveCur |= 1 << t
			c, _, _ := d.position(s, t)
			cur[t] = c.Eval(live, wide)
			if ch := cur[t].Changes(); ch.meets(&vis.Observed) {
				visible |= 1 << t
			}
		}
		return &cur[t]
	}
	depOf := func(t int) uint16 {
		if haveDep&(1<<t) != 0 {
			return dep[t]
		}
		haveDep |= 1 << t
		c := curOf(t)
		th := &s.Threads[t]
		for u := range d.threads {
			if u == t || run&(1<<u) == 0 {
				continue
			}
			if th.PC < 32 && d.awaited[u][s.Threads[u].PC][t]&(1<<th.PC) != 0 {
				dep[t] |= 1 << u
				continue
			}
			if haveEff&(1<<u) == 0 {
				haveEff |= 1 << u
				eff[u] = fut[u].Eval(live, wide)
			}
			if c.Conflicts(&eff[u]) {
				dep[t] |= 1 << u
			}
		}
		if th.Path == uint8(PathNone) {
			for _, a := range d.k.Threads[t].Prog[th.PC].After {
				if !done(s, a) && run&(1<<a.Thread) != 0 {
					dep[t] |= 1 << a.Thread
				}
			}
		}
		return dep[t]
	}
	best, size := uint16(0), 0
	for t := range d.threads {
		if run&(1<<t) == 0 || !d.mayMove(s, t, live) {
			continue
		}
		if curOf(t); visible&(1<<t) != 0 {
			continue
		}
		set := uint16(1) << t
		for grow := set; grow != 0 && set != run; {
			var add uint16
			for g := grow; g != 0; g &= g - 1 {
				x := bits.TrailingZeros16(g)
				if curOf(x); visible&(1<<x) != 0 {
					add = run // a visible step: no set with it will do
					break
				}
				add |= depOf(x)
			}
			grow = add &^ set
			set |= add
		}
		if set&run == run {
			continue
		}
		if n := bits.OnesCount16(set); best == 0 || n < size {
			best, size = set, n
			if n == 1 {
				break
			}
		}
	}
	return best
}
