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
		if !s.tree.reserve(s.states+nthreads) || !stack.reserve(stack.n+nthreads) ||
			s.seen.room(nthreads, s.parallelRunner()) < nthreads {
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
		if s.opt.MaxDepth > 0 && depth >= s.opt.MaxDepth {
			x.successors()
			x.broken = false // nothing is stored from here
			if x.moved != 0 {
				depthCut = true
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
		x.successors()
		if x.broken {
			old, l := s.lay, s.widened()
			if stack = s.convert(stack, 0, old, l); stack == nil {
				s.res.Limit = s.memoryLimit()
				return
			}
			s.setLayout(l)
			nw = l.size()
			x.successors()
		}
		nf := 0
		limited := false
		for emit, t := x.expanded(), 0; emit != 0; t++ {
			if emit&(1<<t) == 0 {
				continue
			}
			emit &^= 1 << t
			a.transitions++
			x.j.at(int64(id), t)
			x.judgeStep(t, key())
			if s.traced && x.needsTraced(t) {
				x.judgeTraced(t, key())
			}
			x.canonical(t)
			h := s.lay.fingerprintState(&x.next[t])
			if s.seen.contains(h) {
				continue
			}
			if s.opt.MaxStates > 0 && s.states >= s.opt.MaxStates {
				limited = true
				break
			}
			s.seen.insert(h)
			s.tree.set(s.states, uint32(id), t)
			s.states++
			x.judgeState(&x.next[t], key())
			fresh[nf] = t
			nf++
		}
		if limited {
			s.commit()
			s.merge()
			s.res.Limit = s.maxStatesLimit()
			return
		}
		s.dfsEnd(x, a, id, key)
		// Push in reverse so that the lowest thread is explored first.
		for i := nf - 1; i >= 0; i-- {
			t := fresh[i]
			r := stack.at(stack.n)
			stack.n++
			s.lay.encode(r, &x.next[t])
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
