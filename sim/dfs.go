package sim

// Depth-first search: one worker, a stack of compact states (with their number and
// depth), the same expander and checks as BFS. A state's successors are judged in
// thread order and the new ones pushed so that the lowest thread is explored
// first. Its witnesses are the first in this order, not shortest ones. The memory
// budget is checked before every expansion; MaxStates stops the search when it
// would store one state more (it never stores more than MaxStates).

func (s *search) dfs() {
	if !s.addRoot() {
		return
	}
	nw := s.lay.size()
	stack := newQueue(s.mem, nw+2, &s.pool)
	defer func() { stack.free() }()
	r, ok := stack.push()
	if !ok {
		s.res.Limit = s.memoryLimit()
		return
	}
	s.lay.encode(r, s.init)
	r[nw], r[nw+1] = 0, 0
	if s.stopAfterBatch() {
		return
	}
	x, a := s.xs[0], &s.accs[0]
	nthreads := len(s.k.Threads)
	seq := uint64(0)
	key := func() wkey { seq++; return wkey{1, seq} }
	depthCut := false
	var fresh [16]int // the threads whose successor is new, in order
	for n := 0; stack.n > 0; n++ {
		if n%256 == 0 && s.interrupted() {
			return
		}
		stack.trim()
		stride := s.lay.size() + 2
		if !s.fits(s.seen.bytes(), s.states+nthreads, stack.n+nthreads, stride) ||
			s.seen.room(nthreads, s.parallelRunner(), s.fitsTable(s.states+nthreads, stack.n+nthreads, stride)) < nthreads ||
			!s.tree.reserve(s.states+nthreads) || !stack.reserve(stack.n+nthreads) {
			s.res.Limit = s.memoryLimit()
			return
		}
		nw = s.lay.size()
		rec := stack.pop()
		id, depth := rec[nw], int(rec[nw+1])
		s.lay.decode(&x.cur, rec)
		if depth > s.res.Depth {
			s.res.Depth = depth
		}
		x.begin()
		if s.opt.MaxDepth > 0 && depth >= s.opt.MaxDepth {
			for t := 0; t < nthreads; t++ {
				if o := x.try(t); o == moved || o == broken {
					depthCut = true // nothing is stored from here: a wider layout is not needed
					x.w = x.cur     // w may hold words outside the layout
					x.moved |= 1 << t
					break
				}
			}
			s.dfsEnd(x, a, id, key)
			s.commit()
			if len(s.sinks[0].cands) > 0 {
				s.merge()
			}
			if s.stopAfterBatch() {
				return
			}
			continue
		}
		nf := 0
		limited := false
	expand:
		for pass, more := x.order(); pass != 0; pass, more = more, 0 {
			for t := 0; t < nthreads; t++ {
				if pass&(1<<t) == 0 {
					continue
				}
				switch x.try(t) {
				case broken:
					old, l := s.lay, s.lay.widen(&x.w)
					if !s.reencode(old, l, []*queue{stack}, []int{0}) {
						s.res.Limit = s.memoryLimit()
						return
					}
					s.setLayout(l)
					t-- // again, with the wider layout
					continue
				case moved:
				default:
					continue
				}
				a.transitions++
				x.j.at(int64(id), t)
				x.judgeStep(key())
				if s.traced && x.needsTraced() {
					x.judgeTraced(key())
				}
				x.canonical()
				h := s.lay.fingerprintState(&x.w)
				if s.seen.contains(h) {
					continue
				}
				if s.opt.MaxStates > 0 && s.states >= s.opt.MaxStates {
					limited = true
					break expand
				}
				s.seen.insert(h)
				s.tree.set(s.states, uint32(id), t)
				s.states++
				x.judgeState(&x.w, key())
				fresh[nf] = t
				nf++
			}
			if x.moved != 0 {
				break
			}
		}
		if limited {
			s.commit()
			s.merge()
			s.res.Limit = s.maxStatesLimit()
			return
		}
		s.dfsEnd(x, a, id, key)
		// Push in reverse so that the lowest thread is explored first; the
		// successors are made again (a step is a function of the state).
		nw = s.lay.size()
		for i := nf - 1; i >= 0; i-- {
			t := fresh[i]
			if x.try(t) != moved {
				panic("sim: a step that moved does not move again")
			}
			x.canonical()
			r := stack.at(stack.n)
			stack.n++
			s.lay.encode(r, &x.w)
			r[nw], r[nw+1] = uint64(s.states-nf+i), uint64(depth+1)
		}
		s.commit()
		if len(s.sinks[0].cands) > 0 {
			s.merge()
		}
		if s.stopAfterBatch() {
			return
		}
		s.progressNow(false, depth, stack.n)
	}
	if depthCut {
		s.res.Limit = s.maxDepthLimit()
		return
	}
	s.res.Complete = true
}

// dfsEnd is judgeEnd with DFS keys.
func (s *search) dfsEnd(x *expander, a *acc, id uint64, key func() wkey) {
	if x.moved != 0 {
		return
	}
	if x.running == 0 {
		a.terminal++
		return
	}
	x.j.at(int64(id), -1)
	x.judgeStuck(key())
}
