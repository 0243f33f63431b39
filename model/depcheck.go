package model

import "fmt"

// What the tests of the declared footprints need (sim/por_test.go): the
// resources a step really changed, and the guard and narrow reasoning of
// Deps in a state.

// Changed is the resources the step thread t took from a to b changed, and
// what it must declare with them: the observation-only kinds its changes call
// for (XADrop for an entry removed or of another kind, Unwrite for a written
// extent made other, Uncore for an inode leaving core, NTSet for a pending
// non-temporal write) in changes, an A of JDirty for a journal made dirty in
// adds. The Data of a block is the Data of the pages a's block maps give it
// (every page's when none does). A change to another thread is an error.
func (d *Deps) Changed(t int, a, b *State) (changes, adds ResSet, err error) {
	set := func(r Res, i int) { changes.set(resBase[r] + i) }
	for u := range a.Threads {
		if u != t && a.Threads[u] != b.Threads[u] {
			return changes, adds, fmt.Errorf("the step of thread %d changed thread %d", t, u)
		}
	}
	rw := func(x, y *RWSem, w, r Res, i int) {
		if x.Writer != y.Writer || x.WWait != y.WWait {
			set(w, i)
		}
		if x.Readers != y.Readers {
			set(r, i)
		}
	}
	for i := range a.Inodes {
		x, y := &a.Inodes[i], &b.Inodes[i]
		if x.DiskDax != y.DiskDax || x.Owner != y.Owner || x.Proposal != y.Proposal || x.Reflink != y.Reflink {
			set(RFlags, i)
		}
		if x.DDiskDax != y.DDiskDax || x.DReflink != y.DReflink || x.DNlink != y.DNlink || x.DSize != y.DSize || x.DBlock != y.DBlock || x.DExt != y.DExt {
			set(RDMeta, i)
		}
		if x.Parent != y.Parent || x.Nlink != y.Nlink {
			set(RLink, i)
		}
		if x.Immutable != y.Immutable {
			set(RImm, i)
		}
		if x.SDax != y.SDax || x.Aops != y.Aops {
			set(RCore, i)
		}
		if x.InCore != y.InCore {
			set(RInCore, i)
		}
		if x.InCore != 0 && y.InCore == 0 {
			set(RUncore, i)
		}
		if x.DontCache != y.DontCache {
			set(RDontCache, i)
		}
		if x.Refs != y.Refs {
			set(RRefs, i)
		}
		if x.Size != y.Size {
			set(RSize, i)
		}
		if x.MDirty != y.MDirty || x.SizeDirty != y.SizeDirty || x.DSync != y.DSync {
			set(RDirt, i)
		}
		rw(&x.IRwsem, &y.IRwsem, RIRwW, RIRwR, i)
		rw(&x.Invalidate, &y.Invalidate, RInvW, RInvR, i)
		for pg := 0; pg < MaxPages; pg++ {
			n := i*MaxPages + pg
			if x.XA[pg] != y.XA[pg] {
				set(RXA, n)
				if k := x.XA[pg].Kind; k != EntryNone && (y.XA[pg].Kind == EntryNone || y.XA[pg].Kind.Kind() != k.Kind()) {
					set(RXADrop, n)
				}

			}
			if x.Block[pg] != y.Block[pg] || x.Ext[pg] != y.Ext[pg] {
				set(RMap, n)
			}
			if x.Ext[pg] == ExtWritten && y.Ext[pg] != ExtWritten {
				set(RUnwrite, n)
			}
			if x.DVer[pg] != y.DVer[pg] || x.DoneVer[pg] != y.DoneVer[pg] {
				set(RVer, n)
			}
			if x.Prom[pg] != y.Prom[pg] || x.FProm[pg] != y.FProm[pg] || x.TruncVer[pg] != y.TruncVer[pg] ||
				(x.PromZero^y.PromZero)&(1<<pg) != 0 {
				set(RProm, n)
			}
			if x.Origin[pg] != y.Origin[pg] || x.CloneVer[pg] != y.CloneVer[pg] {
				set(RClone, n)
			}
		}
	}
	for i := range a.DirDax {
		if a.DirDax[i] != b.DirDax[i] {
			set(RDir, i)
		}
	}
	if a.DDirDax != b.DDirDax {
		set(RDDir, 0)
	}
	for j := range a.Files {
		if a.Files[j] != b.Files[j] {
			set(RFile, j)
		}
	}
	for p := range a.Procs {
		x, y := &a.Procs[p], &b.Procs[p]
		rw(&x.MmapLock, &y.MmapLock, RMmapW, RMmapR, p)
		for v := range x.VMA {
			if x.VMA[v] != y.VMA[v] {
				set(RVMA, p*MaxVMAs+v)
			}
			for pg := 0; pg < MaxPages; pg++ {
				if x.PTE[v][pg] != y.PTE[v][pg] {
					set(RPTE, (p*MaxVMAs+v)*MaxPages+pg)
				}
			}
		}
	}
	for bl := range a.Blocks {
		x, y := &a.Blocks[bl], &b.Blocks[bl]
		if x.Used != y.Used || x.Owner != y.Owner || x.External != y.External {
			set(RBUsed, 0)
		}
		if x.DUsed != y.DUsed {
			set(RBDUsed, 0)
		}
		if x.MVal != y.MVal || x.MTag != y.MTag || x.MVer != y.MVer {
			set(RBDur, 0)
		}
		if x.NT != y.NT {
			set(RBNT, 0)
		}

		if x.NT == 0 && y.NT != 0 {
			set(RNTSet, 0)
		}
		if x.Val != y.Val || x.Tag != y.Tag || x.Ver != y.Ver {
			mapped := false
			for i := range a.Inodes {
				for pg := 0; pg < MaxPages; pg++ {
					if int(a.Inodes[i].Block[pg]) == bl+1 {
						set(RData, i*MaxPages+pg)
						mapped = true
					}
				}
			}
			if !mapped {
				changes[0] |= dataMask
			}
		}
	}
	j, k := &a.Journal, &b.Journal
	if j.Locked != k.Locked {
		set(RJLocked, 0)
	}
	if j.Handles != k.Handles {
		set(RJHandles, 0)
	}
	if j.Dirty != k.Dirty {
		set(RJDirty, 0)
		if j.Dirty == 0 {
			adds.set(resBase[RJDirty])
		}
	}
	if j.Request != k.Request {
		set(RJReq, 0)
	}
	if j.Tid != k.Tid {
		set(RJTid, 0)
	}
	return changes, adds, nil
}

// Guards is the guards live in s and whether s is narrow (Data is per page).
func (d *Deps) Guards(s *State) (live GuardSet, narrow bool) {
	var fut [MaxThreads]*StepFoot
	run := d.futures(s, &fut)
	live = d.liveGuards(s, run, &fut)
	return live, d.narrow(s, run, &fut, live)
}

// ZeroLive reports whether guard GZero of page pg of inode i is in the set.
func (g GuardSet) ZeroLive(i, pg int) bool { return g.has(gZeroBase + i*MaxPages + pg) }

// Consistent reports whether s has what narrow asks of a state (no shared
// extent, no block twice, every DAX PTE, DAX entry and fault block register
// naming its page's block), whatever the threads may do next.
func (d *Deps) Consistent(s *State) bool {
	var fut [MaxThreads]*StepFoot
	return d.consistent(s, d.futures(s, &fut))
}

// Undeclared lists what of k has no footprint declaration (and so touches
// everything): steps without Foot, steps wrapped without one, hooks set
// without one.
func Undeclared(k *Kernel) []string {
	var out []string
	for p := range k.Paths {
		for _, st := range k.Paths[p].Steps {
			switch {
			case st.Foot == nil:
				out = append(out, fmt.Sprintf("step %s:%s", PathID(p), st.Label))
			case st.opaque:
				out = append(out, fmt.Sprintf("step %s:%s (wrapped)", PathID(p), st.Label))
			}
		}
	}
	for h := HookID(0); h < numHooks; h++ {
		if h != HookExtraInodeRefs && k.hookPtr(h) != 0 && k.HookFootprint(h) == nil {
			out = append(out, "hook "+h.String())
		}
	}
	return out
}

// Blockers says, for each running thread of s, why its next step is not a
// singleton ample set for vis ("" when it is one): the first reason of
// Ample's, with the resources in conflict. For tuning the declarations.
func (d *Deps) Blockers(s *State, vis *Visibility) []string {
	out := make([]string, len(d.threads))
	var fut [MaxThreads]*StepFoot
	run := d.futures(s, &fut)
	live := d.liveGuards(s, run, &fut)
	wide := !d.narrow(s, run, &fut, live)
	for t := range d.threads {
		if run&(1<<t) == 0 {
			out[t] = "not running"
			continue
		}
		cur, _, _ := d.position(s, t)
		c := cur.Eval(live, wide)
		if ch := c.Changes(); ch.meets(&vis.Observed) {
			x := ch
			for i := range x {
				x[i] &= vis.Observed[i]
			}
			out[t] = fmt.Sprintf("visible %v", x.Names())
			continue
		}
		pc := s.Threads[t].PC
		for u := range d.threads {
			if u == t || run&(1<<u) == 0 {
				continue
			}
			if pc < 32 && d.awaited[u][s.Threads[u].PC][t]&(1<<pc) != 0 {
				out[t] = fmt.Sprintf("awaited by thread %d", u)
				break
			}
			f := fut[u].Eval(live, wide)
			if c.Conflicts(&f) {
				var x ResSet
				for i := range x {
					x[i] = c.W[i]&(f.R[i]|f.W[i]|f.A[i]) | f.W[i]&(c.R[i]|c.A[i]) | c.R[i]&f.A[i] | c.A[i]&f.R[i]
				}
				out[t] = fmt.Sprintf("thread %d (wide %v): %v", u, wide, x.Names())
				break
			}
		}
	}
	return out
}

// DebugFuture describes thread t's future in s (for tuning).
func (d *Deps) DebugFuture(s *State, t int) string {
	_, f, ok := d.position(s, t)
	if !ok {
		return "-"
	}
	out := fmt.Sprintf("base W %v A %v", f.Base.W.Names(), f.Base.A.Names())
	for _, p := range f.Parts {
		out += fmt.Sprintf("\n  part any %x need %x: W %v A %v", p.Any, p.Need, p.F.W.Names(), p.F.A.Names())
	}
	return out
}

// Closure is the smallest set of running threads containing t whose current
// steps conflict with no future of a thread outside it (ignoring
// visibility), as a mask (for tuning).
func (d *Deps) Closure(s *State, t int) uint16 {
	var fut [MaxThreads]*StepFoot
	run := d.futures(s, &fut)
	live := d.liveGuards(s, run, &fut)
	wide := !d.narrow(s, run, &fut, live)
	set := uint16(1) << t
	for changed := true; changed; {
		changed = false
		for x := range d.threads {
			if set&(1<<x) == 0 {
				continue
			}
			cur, _, _ := d.position(s, x)
			c := cur.Eval(live, wide)
			for u := range d.threads {
				if run&(1<<u) == 0 || set&(1<<u) != 0 {
					continue
				}
				f := fut[u].Eval(live, wide)
				if c.Conflicts(&f) || d.awaited[u][s.Threads[u].PC][x]&(1<<s.Threads[x].PC) != 0 {
					set |= 1 << u
					changed = true
				}
			}
		}
	}
	return set
}

// VerifyStats counts what Verify checked.
type VerifyStats struct {
	Steps, Pairs, BlockedPairs int
}

// Verify checks the declared footprints against what the steps do in state s
// (the tests run it on every explored state) and returns what it found wrong:
//
//   - cover: what a step changes lies in the footprint declared for it in s:
//     every resource it changes is in its W or A set (Data resolved by s's
//     block map when s is narrow), with the observation kinds its changes
//     call for (XADrop, Unwrite, Uncore, NTSet), and an A of JDirty when it
//     dirties the journal; a step from a narrow state leaves a consistent
//     one; a zero-page entry appears only where GZero was live;
//   - commute: two threads whose next steps are enabled and declared
//     independent in s reach the same state in both orders, each step is
//     enabled after the other, and each step's event is the same in both
//     orders (what it returned, its use of the ops, the data it read, its
//     fences, obligations, denials, waits);
//   - no enabling: a step declared independent of a blocked thread's next
//     step leaves that thread blocked (what a blocked step waits on is in what
//     it reads: a blocked thread of an ample set must stay blocked while only
//     threads outside the set move). A statement waiting for another
//     thread's ("after") is linked with it by Ample itself, not by footprints.
func (d *Deps) Verify(s *State, st *VerifyStats) []error {
	k := d.k
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	var ev, ev1, ev2, evA, evB Event
	live, narrow := d.Guards(s)
	var fps [MaxThreads]Footprint
	var fns [MaxThreads]string
	var blocked, moves uint16
	for th := range k.Threads {
		fp, ok := d.Footprint(s, th)
		if !ok {
			continue
		}
		fps[th] = fp
		n := *s
		if !k.Exec(&n, th, &ev) {
			if ev.Awaits == nil {
				blocked |= 1 << th
			}
			continue
		}
		st.Steps++
		moves |= 1 << th
		fns[th] = fmt.Sprintf("%s at %s (stmt %d)", k.ThreadName(th), ev.Fn, ev.PC+1)
		ch, adds, err := d.Changed(th, s, &n)
		if err != nil {
			fail("%s: %v", fns[th], err)
			continue
		}
		declared := fp.Changes()
		if extra := minus(ch, declared); !extra.Empty() {
			fail("%s changes %v, which it does not declare (narrow %v)", fns[th], extra.Names(), narrow)
		}
		if extra := minus(adds, fp.A); !extra.Empty() {
			fail("%s makes the journal dirty without declaring an A of it", fns[th])
		}
		if narrow && !d.Consistent(&n) {
			fail("%s leaves a state that is not consistent from a narrow one", fns[th])
		}
		for i := range s.Inodes {
			for pg := 0; pg < MaxPages; pg++ {
				if n.Inodes[i].XA[pg].Kind == EntryZero && s.Inodes[i].XA[pg].Kind != EntryZero && !live.ZeroLive(i, pg) {
					fail("%s makes a zero-page entry at %d:%d where GZero was dead", fns[th], i, pg)
				}
			}
		}
	}
	for a := range k.Threads {
		for b := range k.Threads {
			if a == b || fps[a].Conflicts(&fps[b]) {
				continue
			}
			switch {
			case a < b && moves&(1<<a) != 0 && moves&(1<<b) != 0:
				st.Pairs++
				ab, ba := *s, *s
				okAB := k.Exec(&ab, a, &ev1) && k.Exec(&ab, b, &ev2)
				okBA := k.Exec(&ba, b, &evB) && k.Exec(&ba, a, &evA)
				switch {
				case !okAB || !okBA:
					fail("%s and %s: declared independent, but one disables the other", fns[a], fns[b])
				case ab != ba:
					fail("%s and %s: declared independent, but the two orders reach different states", fns[a], fns[b])
				case ev1 != evA:
					fail("%s and %s: the first's event differs with the order: %+v vs %+v", fns[a], fns[b], ev1, evA)
				case ev2 != evB:
					fail("%s and %s: the second's event differs with the order: %+v vs %+v", fns[a], fns[b], ev2, evB)
				}
			case blocked&(1<<a) != 0 && moves&(1<<b) != 0:
				st.BlockedPairs++
				n := *s
				k.Exec(&n, b, &ev)
				if k.Exec(&n, a, &ev) {
					fail("%s enables %s at %s, declared independent of it", fns[b], k.ThreadName(a), ev.Fn)
				}
			}
		}
	}
	return errs
}

func minus(a, b ResSet) ResSet {
	for i := range a {
		a[i] &^= b[i]
	}
	return a
}
