package sim

// Depth-first search: one worker, a stack of compact states (with their number and
// depth), the same expander and checks as BFS. A state's successors are judged in
// thread order and the new ones pushed so that the lowest thread is explored
// first. Its witnesses are the first in this order, not shortest ones. The memory
// budget is checked before every expansion; MaxStates stops the search when it
// would store one state more (it never stores more than MaxStates). A swarm
// search (Options.Swarm) tries each state's threads in a seeded order instead.

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
	var perm [16]int  // the order threads are tried in
	for t := range perm {
		perm[t] = t
	}
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
		if s.opt.Swarm {
			swarmOrder(perm[:nthreads], s.opt.Seed, id)
		}
	expand:
		for pass, more := x.order(); pass != 0; pass, more = more, 0 {
			for i := 0; i < nthreads; i++ {
				t := perm[i]
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
					i-- // again, with the wider layout
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

// swarmOrder shuffles perm (the threads 0..len-1) by a generator seeded with
// seed and the state's number id (its place in this search): the same seed
// gives the same search, another seed another order.
func swarmOrder(perm []int, seed, id uint64) {
	for i := range perm {
		perm[i] = i
	}
	x := seed ^ (id+1)*0x9e3779b97f4a7c15
	for i := len(perm) - 1; i > 0; i-- {
		x += 0x9e3779b97f4a7c15 // splitmix64
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		z ^= z >> 31
		j := int(z % uint64(i+1))
		perm[i], perm[j] = perm[j], perm[i]
	}
}
