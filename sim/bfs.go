package sim

import "fmt"

// Breadth-first search.
//
// A level (the frontier: compact states with their numbers, in the order they were
// found) is processed in batches of at most bfsBatch states. Before a batch the
// search makes room for its worst case (every thread of every state giving a new
// state) in the visited set, the tree and the next frontier, within the memory
// budget; a batch that cannot fit is not started (Limit max-memory). The batch
// sizes therefore depend only on the search, never on the workers, and so does
// every stop: a limit, an interrupt and -stop-first all end the search at a batch
// boundary, except MaxStates, which stops exactly at the state after the limit
// (the batch that would cross it is processed in order, by one worker).
//
// With one worker a batch is processed in order, state by state (inlineBatch).
// With several (parallelBatch):
//
//  1. expand: workers take sub-batches of bfsSub states in turn (so each in
//     search order), run every thread one step from each, run the transition
//     and stuck checks, and keep the successors whose fingerprint was neither
//     in the visited set nor met by the same worker earlier in the batch
//     (candidates), on which they run the state checks (a candidate may turn
//     out to be a state another worker's candidate found first: its witnesses
//     lose to that one's, which are the same with a smaller key, and its
//     coverage is kept aside until step 2 says it is new); a step that writes
//     outside the layout makes the batch start over with a wider one;
//  2. insert: worker w inserts the candidates of the partitions p of the
//     visited set with p%workers == w, in search order, so that of two equal
//     candidates the first in search order is the new one, and counts the
//     state checks' coverage of the new ones;
//  3. place: the new states get their numbers in search order (a prefix sum over
//     the sub-batches), and workers write the tree entries and the next
//     frontier's records of their sub-batches;
//  4. the traced checks (lock-order), which learn as they go, see the batch's
//     relevant transitions in search order, on one goroutine;
//  5. the witnesses the workers found are merged: of each check and class the one
//     with the smallest key (level, frontier index, thread, phase) is kept, which
//     is the one the sequential search finds first.
const (
	bfsBatch = 2048
	bfsSub   = 64
)

// keys of BFS judgements: expanding level, frontier index, thread (stuckSlot for
// the stuck checks) and phase.
const (
	phaseStep = iota
	phaseTraced
	phaseState
	stuckSlot = 15
)

func bfsKey(level, item, slot, phase int) wkey {
	return wkey{uint64(level + 1), uint64(item)<<6 | uint64(slot)<<2 | uint64(phase)}
}

// shardWidth is how many frontier states per shard the level where shards part
// must have.
const shardWidth = 8

func (s *search) bfs() {
	if !s.addRoot() {
		return
	}
	nw := s.lay.size()
	cur := newQueue(s.mem, nw+1, &s.pool)
	next := newQueue(s.mem, nw+1, &s.pool)
	defer func() { cur.free(); next.free() }() // the variables: the levels swap
	r, ok := cur.push()
	if !ok {
		s.res.Limit = s.memoryLimit()
		return
	}
	s.lay.encode(r, s.init)
	r[nw] = 0
	if s.stopAfterBatch() {
		return
	}
	nthreads := len(s.k.Threads)
	depthCut := false
	for level := 0; cur.n > 0; level++ {
		if s.opt.MaxDepth > 0 && level >= s.opt.MaxDepth {
			// States at the bound are not expanded, but they are still judged
			// stuck or terminal; any thread that can move means the space goes
			// on past the bound.
			depthCut = s.leafLevel(level, cur)
			break
		}
		s.res.Depth = level
		if s.opt.Shards > 1 && s.res.SplitDepth < 0 && cur.n >= shardWidth*s.opt.Shards {
			if !s.bfsShard(cur, level) {
				s.res.Limit = s.memoryLimit()
				return
			}
		}
		next.reset()
		for lo := 0; lo < cur.n; {
			if s.interrupted() {
				return
			}
			// The batch: as many states as fit the memory budget, were every
			// thread of every one to give a new state.
			items := min(bfsBatch, cur.n-lo)
			stride := s.lay.size() + 1
			for items > 0 && !s.fits(s.seen.bytes(), s.states+items*nthreads, cur.n-lo+next.n+items*nthreads, stride) {
				items /= 2
			}
			need := items * nthreads
			if room := s.seen.room(need, s.parallelRunner(), s.fitsTable(s.states+need, cur.n-lo+next.n+need, stride)); room < need {
				items = room / nthreads
				need = items * nthreads
			}
			if items == 0 || !s.tree.reserve(s.states+need) || !next.reserve(next.n+need) {
				s.res.Limit = s.memoryLimit()
				return
			}
			hi := lo + items
			exact := s.opt.MaxStates > 0 && s.states+items*nthreads > s.opt.MaxStates
			var stop bool
			if s.workers == 1 || exact {
				stop = s.inlineBatch(level, cur, next, lo, hi, exact)
			} else {
				stop = s.parallelBatch(level, cur, next, lo, hi)
			}
			s.commit()
			s.merge()
			if stop || s.stopAfterBatch() {
				return
			}
			cur.dropBefore(hi)
			lo = hi
			s.progressNow(false, level+1, cur.n-lo+next.n)
		}
		cur, next = next, cur
		s.progressNow(true, level+1, cur.n)
	}
	if depthCut {
		s.res.Limit = s.maxDepthLimit()
		return
	}
	s.res.Complete = true
}

func (s *search) parallelRunner() func(n int, f func(i int)) {
	return func(n int, f func(i int)) { parallelFor(s.workers, n, func(_, i int) { f(i) }) }
}

// bfsShard keeps the frontier states of this shard: every shard explores the same
// levels up to the first one with at least shardWidth states per shard, then the
// states of that level whose index modulo Shards is Shard. Every search below the
// level starts from one of its states, so the shards together cover the space;
// shortest witnesses stay shortest (a shorter one would have been found by every
// shard before the split).
// It reports false (the budget refused the copy) to stop the search.
func (s *search) bfsShard(level *queue, depth int) bool {
	s.res.SplitDepth = depth
	keep := newQueue(s.mem, level.stride, &s.pool)
	for i := 0; i < level.n; i++ {
		if i%s.opt.Shards != s.opt.Shard {
			continue
		}
		r, ok := keep.push()
		if !ok {
			keep.free()
			return false
		}
		copy(r, level.at(i))
	}
	level.free()
	*level = *keep
	return true
}

// inlineBatch processes the frontier states [lo, hi) in order on worker 0. With
// exact, it stops (stop true) when it would store a state past MaxStates. It
// stops too when the memory budget refuses to re-encode the queues for a wider
// layout (a step wrote outside the layout).
func (s *search) inlineBatch(level int, cur, next *queue, lo, hi int, exact bool) (stop bool) {
	x := s.xs[0]
	a := &s.accs[0]
	nt := len(s.k.Threads)
	for i := lo; i < hi; i++ {
		nw := s.lay.size()
		rec := cur.at(i)
		id := rec[nw]
		s.lay.decode(&x.cur, rec)
		x.begin()
		for pass, more := x.order(); pass != 0; pass, more = more, 0 {
			for t := 0; t < nt; t++ {
				if pass&(1<<t) == 0 {
					continue
				}
				switch x.try(t) {
				case broken:
					old, l := s.lay, s.lay.widen(&x.w)
					if !s.reencode(old, l, []*queue{cur, next}, []int{i, 0}) {
						s.res.Limit = s.memoryLimit()
						return true
					}
					s.setLayout(l)
					nw = l.size()
					t-- // again, with the wider layout
					continue
				case moved:
				default:
					continue
				}
				a.transitions++
				x.j.at(int64(id), t)
				x.judgeStep(bfsKey(level, i, t, phaseStep))
				if s.traced && x.needsTraced() {
					x.judgeTraced(bfsKey(level, i, t, phaseTraced))
				}
				x.canonical()
				h := s.lay.fingerprintState(&x.w)
				if s.seen.contains(h) {
					continue
				}
				if exact && s.states >= s.opt.MaxStates {
					s.res.Limit = s.maxStatesLimit()
					return true
				}
				s.seen.insert(h)
				nid := s.states
				s.states++
				s.tree.set(nid, uint32(id), t)
				r := next.at(next.n)
				next.n++
				s.lay.encode(r, &x.w)
				r[nw] = uint64(nid)
				x.judgeState(&x.w, bfsKey(level, i, t, phaseState))
			}
			if x.moved != 0 {
				break
			}
		}
		s.judgeEnd(x, a, level, i, id)
	}
	return false
}

// judgeEnd counts a state where nothing can move as terminal (every scenario
// thread finished; daemons may idle) or runs the stuck checks on it.
func (s *search) judgeEnd(x *expander, a *acc, level, i int, id uint64) {
	if x.moved != 0 {
		return
	}
	if x.running == 0 {
		a.terminal++
		return
	}
	x.j.at(int64(id), -1)
	x.judgeStuck(bfsKey(level, i, stuckSlot, phaseStep))
}

// sub is one sub-batch of a parallel batch.
type sub struct {
	lo, hi   int       // frontier states
	cand     []uint64  // candidates: fingerprint, item<<8|thread<<1|new, parent, state checks' coverage, compact state
	n        int       // candidates
	owned    [][]int32 // for each worker, its candidates (by the partition of their fingerprint)
	relevant []uint16  // per state, the threads whose transition the traced checks need
	news     int       // new states among the candidates
	base     int       // number of the first new state
	_        [128 - 120]byte
}

// candHead is the number of words of a candidate before its compact state.
func (s *search) candHead() int { return 3 + len(s.xs[0].state) }

// parallelBatch processes the frontier states [lo, hi) with every worker (see the
// comment at the top of the file). It reports whether the search must stop (the
// memory budget refused a re-encoding of the queues).
func (s *search) parallelBatch(level int, cur, next *queue, lo, hi int) (stop bool) {
	nthreads := len(s.k.Threads)
	nsub := (hi - lo + bfsSub - 1) / bfsSub
	for len(s.subs) < nsub {
		s.subs = append(s.subs, sub{})
	}
	subs := s.subs[:nsub]
	head := s.candHead()
	for {
		stride := head + s.lay.size()
		for k := range subs {
			sb := &subs[k]
			sb.lo, sb.hi = lo+k*bfsSub, min(lo+(k+1)*bfsSub, hi)
			if need := (sb.hi - sb.lo) * nthreads * stride; cap(sb.cand) < need {
				sb.cand = make([]uint64, need)
			}
			sb.cand, sb.n, sb.news = sb.cand[:cap(sb.cand)], 0, 0
			for len(sb.owned) < s.workers {
				sb.owned = append(sb.owned, nil)
			}
			for w := range sb.owned {
				sb.owned[w] = sb.owned[w][:0]
			}
			if s.traced {
				sb.relevant = append(sb.relevant[:0], make([]uint16, sb.hi-sb.lo)...)
			}
		}
		for _, x := range s.xs {
			x.batchSeen.reset((hi - lo) * nthreads)
		}
		parallelFor(s.workers, nsub, func(w, k int) { s.expandSub(w, level, cur, &subs[k]) })
		broken := false
		for _, x := range s.xs {
			broken = broken || x.wide != nil
		}
		if !broken {
			break
		}
		// A step wrote outside the layout: widen it, re-encode the frontiers and
		// expand the batch again.
		s.discard()
		old, l := s.lay, s.widened()
		if !s.reencode(old, l, []*queue{cur, next}, []int{lo, 0}) {
			s.res.Limit = s.memoryLimit()
			return true
		}
		s.setLayout(l)
	}
	nw := s.lay.size()
	stride := head + nw
	// 2. insert, by partition.
	news := make([][]int32, s.workers) // per worker, new states per sub-batch
	runWorkers(s.workers, func(w int) {
		x, a := s.xs[w], &s.accs[w]
		cnt := make([]int32, nsub)
		for k := range subs {
			sb := &subs[k]
			for _, c := range sb.owned[w] {
				r := sb.cand[int(c)*stride : (int(c)+1)*stride]
				if !s.seen.insert(r[0]) {
					continue
				}
				r[1] |= 1
				cnt[k]++
				for i, c := range x.state {
					a.counts[c] += int64(r[3+i])
				}
			}
		}
		news[w] = cnt
	})
	// 3. place: numbers in search order.
	base := s.states
	for k := range subs {
		subs[k].base = base
		for w := range news {
			subs[k].news += int(news[w][k])
		}
		base += subs[k].news
	}
	nextBase := next.n
	parallelFor(s.workers, nsub, func(_, k int) {
		sb := &subs[k]
		id := sb.base
		for c := 0; c < sb.n; c++ {
			r := sb.cand[c*stride : (c+1)*stride]
			if r[1]&1 == 0 {
				continue
			}
			s.tree.set(id, uint32(r[2]), int(r[1]>>1)&0x7f)
			q := next.at(nextBase + id - s.states)
			copy(q, r[head:])
			q[nw] = uint64(id)
			id++
		}
	})
	next.n += base - s.states
	s.states = base
	// 4. the traced checks, in search order.
	if s.traced {
		x := s.xs[0]
		for k := range subs {
			sb := &subs[k]
			for i := sb.lo; i < sb.hi; i++ {
				rel := sb.relevant[i-sb.lo]
				if rel == 0 {
					continue
				}
				rec := cur.at(i)
				s.lay.decode(&x.cur, rec)
				x.begin()
				for t := 0; rel != 0; t++ {
					if rel&(1<<t) == 0 {
						continue
					}
					rel &^= 1 << t
					if x.try(t) != moved {
						panic("sim: a step that moved in the expansion does not move again")
					}
					x.j.at(int64(rec[nw]), t)
					x.judgeTraced(bfsKey(level, i, t, phaseTraced))
				}
			}
		}
	}
	return false
}

// expandSub is step 1 of a parallel batch for one sub-batch, on worker w.
func (s *search) expandSub(w, level int, cur *queue, sb *sub) {
	x := s.xs[w]
	a := &s.accs[w]
	nw := s.lay.size()
	nt := len(s.k.Threads)
	head := s.candHead()
	stride := head + nw
	// Counted locally and stored at the end: sub-batches and accumulators of
	// different workers share cache lines.
	n, transitions := 0, 0
	for o := range x.own {
		x.own[o] = x.own[o][:0]
	}
	for len(x.own) < s.workers {
		x.own = append(x.own, nil)
	}
	defer func() {
		sb.n = n
		a.transitions += transitions
		for o := range sb.owned {
			sb.owned[o] = append(sb.owned[o], x.own[o]...)
		}
	}()
	if x.wide != nil {
		return // this attempt of the batch is redone with a wider layout
	}
	for i := sb.lo; i < sb.hi; i++ {
		rec := cur.at(i)
		id := rec[nw]
		s.lay.decode(&x.cur, rec)
		x.begin()
		for pass, more := x.order(); pass != 0; pass, more = more, 0 {
			for t := 0; t < nt; t++ {
				if pass&(1<<t) == 0 {
					continue
				}
				switch x.try(t) {
				case broken:
					// The batch is redone with a wider layout. w holds words
					// outside the layout: start it afresh, since this worker
					// may be given another sub-batch of this attempt.
					if x.wide == nil {
						x.wide = s.lay
					}
					x.wide = x.wide.widen(&x.w)
					x.w = x.cur
					return
				case moved:
				default:
					continue
				}
				transitions++
				x.j.at(int64(id), t)
				x.judgeStep(bfsKey(level, i, t, phaseStep))
				if s.traced && x.needsTraced() {
					sb.relevant[i-sb.lo] |= 1 << t
				}
				x.canonical()
				h := s.lay.fingerprintState(&x.w)
				// Not new if stored before the batch, or if this worker met it
				// earlier in the batch (a worker takes its sub-batches in
				// search order): two interleavings of commuting steps meet
				// within a level all the time.
				if s.seen.contains(h) || !x.batchSeen.add(h) {
					continue
				}
				r := sb.cand[n*stride : (n+1)*stride]
				s.lay.encode(r[head:], &x.w)
				r[0], r[1], r[2] = h, uint64(i)<<8|uint64(t)<<1, id
				// The state checks, with their coverage kept in the candidate.
				for k, c := range x.state {
					x.saved[k] = x.j.counts[c]
				}
				x.judgeState(&x.w, bfsKey(level, i, t, phaseState))
				for k, c := range x.state {
					r[3+k] = uint64(x.j.counts[c] - x.saved[k])
					x.j.counts[c] = x.saved[k]
				}
				o := partOf(h) % s.workers
				x.own[o] = append(x.own[o], int32(n))
				n++
			}
			if x.moved != 0 {
				break
			}
		}
		s.judgeEnd(x, a, level, i, id)
	}
}

// leafLevel judges the states of the level at the depth bound: terminal and
// stuck states are counted and checked, but no transition is taken or checked.
// It reports whether some thread could move.
func (s *search) leafLevel(level int, cur *queue) bool {
	nsub := (cur.n + bfsSub - 1) / bfsSub
	nt := len(s.k.Threads)
	parallelFor(s.workers, nsub, func(w, k int) {
		x, a := s.xs[w], &s.accs[w]
		nw := s.lay.size()
		for i := k * bfsSub; i < min((k+1)*bfsSub, cur.n); i++ {
			rec := cur.at(i)
			s.lay.decode(&x.cur, rec)
			x.begin()
			for t := 0; t < nt; t++ {
				if o := x.try(t); o == moved || o == broken {
					a.depthCut = true // nothing is stored from here: a wider layout is not needed
					x.w = x.cur       // w may hold words outside the layout
					x.moved |= 1 << t
					break
				}
			}
			s.judgeEnd(x, a, level, i, rec[nw])
		}
	})
	cut := false
	for w := range s.accs {
		cut = cut || s.accs[w].depthCut
		s.accs[w].depthCut = false
	}
	s.commit()
	s.merge()
	return cut
}
func (s *search) maxDepthLimit() string {
	return fmt.Sprintf("max-depth %d reached", s.opt.MaxDepth)
}

// localSet is a worker's set of the fingerprints it met in the current batch: a
// small open-addressing table cleared for each batch.
type localSet struct {
	slots []uint64
	mask  uint64
}

// reset empties the set and sizes it for n fingerprints.
func (l *localSet) reset(n int) {
	size := 64
	for size < 2*n {
		size *= 2
	}
	if len(l.slots) != size {
		l.slots = make([]uint64, size)
	} else {
		clear(l.slots)
	}
	l.mask = uint64(size - 1)
}

// add inserts h and reports whether it was not there.
func (l *localSet) add(h uint64) bool {
	for i := h & l.mask; ; i = (i + 1) & l.mask {
		switch l.slots[i] {
		case h:
			return false
		case 0:
			l.slots[i] = h
			return true
		}
	}
}
