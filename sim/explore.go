// Package sim is the exploration engine: it enumerates the interleavings of the
// threads of a kernel (package model) from an initial state, hands every state and
// transition to the checks, and reports violations with the thread schedule that
// reaches them.
//
// A transition is one atomic step of one thread ([model.Kernel.Exec]). States are
// deduplicated by their 64-bit fingerprint ([model.State.Hash]).
//
// Exhaustive search is breadth-first by default, level by level and, within a level,
// in the order states were found, trying threads in index order: so the first
// violation found for a check is one with the fewest steps (a shortest
// counterexample), and the whole run is deterministic. Depth-first search is an
// option for when the frontier does not fit in memory; its counterexamples are not
// shortest. Both honour MaxStates and MaxDepth and then report the run incomplete,
// never a pass.
package sim

import (
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/daxsim/daxsim/model"
)

// Check is one property as the engine sees it: functions called on every reached
// state, every transition, and every state where all unfinished threads are
// blocked. Each returns a class ("" when the property holds there) and a message.
// The class distinguishes different ways of breaking the property; the engine
// keeps the first (shortest) witness of each class.
type Check struct {
	Name  string
	State func(k *model.Kernel, s *model.State) (class, msg string)
	Step  func(k *model.Kernel, before, after *model.State, ev *model.Event) (class, msg string)
	// Stuck gets the stuck state and the blocked event of every running thread.
	Stuck func(k *model.Kernel, s *model.State, blocked []model.Event) (class, msg string)
	// Traced is a transition check for properties over the whole explored graph
	// (lock-order): it may ask for the schedule that reaches the transition, to
	// keep it as evidence, and may return a finding with related schedules.
	Traced func(k *model.Kernel, before, after *model.State, ev *model.Event, trace func() []int) *Finding
}

// Finding is what a Traced check reports.
type Finding struct {
	Class, Msg string
	Related    []Related
}

// Related is an earlier schedule a finding refers to (lockdep's "the existing
// dependency chain").
type Related struct {
	Note  string
	Trace []int
}

// Options bound the search.
type Options struct {
	DFS       bool // depth-first instead of breadth-first
	MaxStates int  // stop after this many distinct states (0: no limit)
	MaxDepth  int  // do not expand states this many steps from the start (0: no limit)
	// StopWhenAllViolated ends the search once every check has a witness.
	StopWhenAllViolated bool
	// MeasureMemory fills Result.StoredBytes (it runs the garbage collector twice).
	MeasureMemory bool
	// Workers expand each BFS level in parallel (the result does not depend on
	// it); DFS is sequential.
	Workers int
	// Progress, when set, is called after every BFS level.
	Progress func(Progress)
	// Shard, with Shards > 1, explores part Shard of Shards of the space (see
	// bfsShard); the parts together cover it. BFS only.
	Shard, Shards int
}

// Progress is what a search reports while it runs.
type Progress struct {
	States   int
	Depth    int
	Frontier int
	Elapsed  time.Duration
}

// Violation is a witness that a check fails.
type Violation struct {
	Check string
	Class string
	Msg   string
	// Trace is the schedule from the initial state: the thread that takes each
	// step. For a transition check the last step is the violating transition; for a
	// state or stuck check the trace ends in the violating state.
	Trace   []int
	Related []Related // earlier schedules the witness refers to
	Run     int       // random mode: the run that found it (-1: exhaustive)
	Found   int       // states visited when it was found (for reports of time-to-first)
	At      time.Duration
}

// Result is the outcome of a search.
type Result struct {
	States      int // distinct states reached
	Transitions int // transitions executed (including to known states)
	Depth       int // deepest level expanded
	Terminal    int // states where every thread finished
	Complete    bool
	Limit       string // why the search stopped early, when !Complete
	Violations  []Violation
	Elapsed     time.Duration
	Search      string // "bfs" or "dfs"
	// StoredBytes is the heap the search keeps per run (visited set and search
	// tree, not the frontier), when Options.MeasureMemory is set.
	StoredBytes uint64
	// Shard is "i/n" for a sharded search, with SplitDepth the level where the
	// shards part (-1: the space ended before the frontier was wide enough, so
	// this shard explored all of it).
	Shard      string
	SplitDepth int
}

// Violated reports whether check name has a witness.
func (r *Result) Violated(name string) bool {
	for _, v := range r.Violations {
		if v.Check == name {
			return true
		}
	}
	return false
}

// First returns the shortest witness for check name.
func (r *Result) First(name string) (Violation, bool) {
	best, ok := Violation{}, false
	for _, v := range r.Violations {
		if v.Check == name && (!ok || len(v.Trace) < len(best.Trace)) {
			best, ok = v, true
		}
	}
	return best, ok
}

// node is a visited state's place in the search tree.
type node struct {
	parent int32 // node index, -1 for the root
	thread int8  // thread whose step led here
	depth  int32
}

type explorer struct {
	k       *model.Kernel
	checks  []Check
	opt     Options
	start   time.Time
	visited map[uint64]int32
	nodes   []node
	res     *Result
	seen    map[string]bool // check + "\x00" + class already witnessed
	checked map[string]bool // checks with any witness
	events  []model.Event
	succBuf []succ      // successors of a BFS batch, reused
	exps    []expansion // their expansions, reused
}

// Explore searches the state graph of k from init.
func Explore(k *model.Kernel, init *model.State, checks []Check, opt Options) *Result {
	e := &explorer{
		k: k, checks: checks, opt: opt, start: time.Now(),
		visited: make(map[uint64]int32, 1<<12),
		res:     &Result{Search: "bfs"},
		seen:    map[string]bool{},
		checked: map[string]bool{},
		events:  make([]model.Event, len(k.Threads)),
	}
	if opt.DFS {
		e.res.Search = "dfs"
	}
	e.res.SplitDepth = -1
	if opt.Shards > 1 {
		e.res.Shard = fmt.Sprintf("%d/%d", opt.Shard, opt.Shards)
	}
	var base uint64
	if opt.MeasureMemory {
		base = heapAlloc()
	}
	root := e.add(init, -1, -1, 0)
	e.checkState(init, root)
	if opt.DFS {
		e.dfs(init, root)
	} else {
		e.bfs(init, root)
	}
	e.res.States = len(e.nodes)
	e.res.Elapsed = time.Since(e.start)
	e.succBuf, e.exps = nil, nil // working buffers, not stored states
	if opt.MeasureMemory {
		if h := heapAlloc(); h > base {
			e.res.StoredBytes = h - base
		}
		runtime.KeepAlive(e)
	}
	return e.res
}

func heapAlloc() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func (e *explorer) add(s *model.State, parent int32, thread int, depth int) int32 {
	return e.addHashed(s.Hash(), parent, thread, depth)
}

func (e *explorer) addHashed(h uint64, parent int32, thread int, depth int) int32 {
	id := int32(len(e.nodes))
	e.nodes = append(e.nodes, node{parent: parent, thread: int8(thread), depth: int32(depth)})
	e.visited[h] = id
	return id
}

// trace rebuilds the schedule that reaches node id.
func (e *explorer) trace(id int32) []int {
	var rev []int
	for n := id; e.nodes[n].parent >= 0; n = e.nodes[n].parent {
		rev = append(rev, int(e.nodes[n].thread))
	}
	out := make([]int, len(rev))
	for i, t := range rev {
		out[len(rev)-1-i] = t
	}
	return out
}

// report records a witness unless one of the same check and class is known; the
// trace leads to node id, then takes a step of thread (-1: none).
func (e *explorer) report(check, class, msg string, id int32, thread int) bool {
	key := check + "\x00" + class
	if e.seen[key] {
		return false
	}
	e.seen[key] = true
	e.checked[check] = true
	trace := e.trace(id)
	if thread >= 0 {
		trace = append(trace, thread)
	}
	e.res.Violations = append(e.res.Violations, Violation{Check: check, Class: class, Msg: msg, Trace: trace,
		Found: len(e.nodes), At: time.Since(e.start), Run: -1})
	return true
}

func (e *explorer) done() bool {
	return e.opt.StopWhenAllViolated && len(e.checked) == len(e.checks)
}

func (e *explorer) checkState(s *model.State, id int32) {
	for i := range e.checks {
		c := &e.checks[i]
		if c.State == nil {
			continue
		}
		if class, msg := c.State(e.k, s); msg != "" {
			e.report(c.Name, class, msg, id, -1)
		}
	}
}

func (e *explorer) checkStep(before, after *model.State, ev *model.Event, from int32, thread int) {
	for i := range e.checks {
		c := &e.checks[i]
		if c.Step == nil {
			continue
		}
		if class, msg := c.Step(e.k, before, after, ev); msg != "" {
			e.report(c.Name, class, msg, from, thread)
		}
	}
	for i := range e.checks {
		c := &e.checks[i]
		if c.Traced == nil {
			continue
		}
		trace := func() []int { return append(e.trace(from), thread) }
		if f := c.Traced(e.k, before, after, ev, trace); f != nil {
			if e.report(c.Name, f.Class, f.Msg, from, thread) {
				e.res.Violations[len(e.res.Violations)-1].Related = f.Related
			}
		}
	}
}

// expand runs every thread one step from s. For each successor it calls visit
// with the new state and the thread; it returns whether s is a terminal state
// (all done) or stuck (all unfinished threads blocked).
func (e *explorer) expand(s *model.State, id int32, visit func(next *model.State, thread int)) (terminal, stuck bool) {
	terminal, stuck, _ = e.step(s, id, visit)
	return terminal, stuck
}

// step runs every thread one step from s; with visit nil it only finds out
// whether any can move (a state at the depth bound: no transition is taken or
// checked).
func (e *explorer) step(s *model.State, id int32, visit func(next *model.State, thread int)) (terminal, stuck, moved bool) {
	running := 0
	var next model.State
	for t := range e.k.Threads {
		if !e.k.Running(s, t) {
			continue
		}
		if !e.k.Threads[t].Daemon {
			running++
		}
		next = *s
		ev := &e.events[t]
		if !e.k.Exec(&next, t, ev) {
			continue
		}
		moved = true
		if visit == nil {
			continue
		}
		e.res.Transitions++
		e.checkStep(s, &next, ev, id, t)
		visit(&next, t)
	}
	terminal, stuck = e.judge(s, id, running, moved)
	return terminal, stuck, moved
}

// judge counts a state where nothing can move as terminal (every scenario thread
// finished; daemons may idle) or runs the Stuck checks on it.
func (e *explorer) judge(s *model.State, id int32, running int, moved bool) (terminal, stuck bool) {
	switch {
	case moved:
		return false, false
	case running == 0:
		e.res.Terminal++
		return true, false
	}
	e.stuck(s, id)
	return false, true
}

func (e *explorer) limitHit() bool {
	if e.opt.MaxStates > 0 && len(e.nodes) >= e.opt.MaxStates {
		e.res.Limit = fmt.Sprintf("max-states %d reached", e.opt.MaxStates)
		return true
	}
	return false
}

type item struct {
	s  model.State
	id int32
}

// shardWidth is how many frontier states per shard the level where shards part
// must have.
const shardWidth = 8

// bfsShard keeps the frontier states of this shard: every shard explores the same
// levels up to the first one with at least shardWidth states per shard, then the
// states of that level whose index modulo Shards is Shard. Every search below the
// level starts from one of its states, so the shards together cover the space;
// shortest witnesses stay shortest (a shorter one would have been found by every
// shard before the split).
func (e *explorer) bfsShard(level []item, depth int) []item {
	e.res.SplitDepth = depth
	var keep []item
	for i := range level {
		if i%e.opt.Shards == e.opt.Shard {
			keep = append(keep, level[i])
		}
	}
	return keep
}

func (e *explorer) bfs(init *model.State, root int32) {
	// Two level buffers, swapped at each level, so that the frontier is allocated
	// once at its widest and not per level.
	level := []item{{*init, root}}
	var nextLevel []item
	depthCut := false
	workers := max(e.opt.Workers, 1)
	for depth := 0; len(level) > 0; depth++ {
		if e.opt.MaxDepth > 0 && depth >= e.opt.MaxDepth {
			// States at the bound are not expanded, but they are still judged
			// stuck or terminal; any thread that can move means the space goes
			// on past the bound.
			for i := range level {
				if e.leaf(&level[i].s, level[i].id) {
					depthCut = true
				}
			}
			break
		}
		e.res.Depth = depth
		if e.opt.Shards > 1 && e.res.SplitDepth < 0 && len(level) >= shardWidth*e.opt.Shards {
			level = e.bfsShard(level, depth)
		}
		nextLevel = nextLevel[:0]
		size := bfsBatch
		if workers > 1 {
			size = bfsBatch * 8 // fewer synchronisations between the workers
		}
		for lo := 0; lo < len(level); lo += size {
			batch := level[lo:min(lo+size, len(level))]
			var stop bool
			nextLevel, stop = e.bfsBatch(batch, depth, workers, nextLevel)
			if stop {
				return
			}
		}
		level, nextLevel = nextLevel, level
		if e.opt.Progress != nil {
			e.opt.Progress(Progress{States: len(e.nodes), Depth: depth + 1, Frontier: len(level), Elapsed: time.Since(e.start)})
		}
	}
	if depthCut {
		e.res.Limit = fmt.Sprintf("max-depth %d reached", e.opt.MaxDepth)
		return
	}
	e.res.Complete = true
}

// bfsBatch is the number of frontier states expanded together.
const bfsBatch = 64

// succ is one successor computed by a worker.
type succ struct {
	thread int
	hash   uint64
	s      model.State
	ev     model.Event
}

// expansion is what a worker found from one frontier state. Its successors are
// a window of the explorer's successor buffer, reused from batch to batch.
type expansion struct {
	succs   []succ
	blocked []model.Event // blocked events of the running scenario threads
	running int
}

// bfsBatch expands a batch of one level. Workers compute the successors and
// their fingerprints in parallel; the merge that follows is sequential and in
// frontier order (transition checks, deduplication, numbering), then the state
// checks of the new states run in parallel and are reported in order. So the
// result is the same for every number of workers. It returns the next level and
// whether the search must stop.
func (e *explorer) bfsBatch(batch []item, depth, workers int, nextLevel []item) ([]item, bool) {
	nt := len(e.k.Threads)
	if need := len(batch) * nt; len(e.succBuf) < need {
		e.succBuf = make([]succ, need)
	}
	if len(e.exps) < len(batch) {
		e.exps = make([]expansion, len(batch))
	}
	exps := e.exps[:len(batch)]
	parallel(workers, len(batch), func(i int) {
		exps[i] = e.expandOne(&batch[i].s, e.succBuf[i*nt:(i+1)*nt:(i+1)*nt])
	})
	type fresh struct {
		id   int32
		s    *model.State
		from int
	}
	var news []fresh
	limited := false
merge:
	for i := range batch {
		it := &batch[i]
		x := &exps[i]
		for j := range x.succs {
			sc := &x.succs[j]
			e.res.Transitions++
			e.checkStep(&it.s, &sc.s, &sc.ev, it.id, sc.thread)
			if _, ok := e.visited[sc.hash]; ok {
				continue
			}
			if e.opt.MaxStates > 0 && len(e.nodes) >= e.opt.MaxStates {
				limited = true
				break merge
			}
			id := e.addHashed(sc.hash, it.id, sc.thread, depth+1)
			news = append(news, fresh{id: id, s: &sc.s, from: i})
		}
		switch {
		case len(x.succs) > 0:
		case x.running == 0:
			e.res.Terminal++
		default:
			e.stuckWith(&it.s, it.id, x.blocked)
		}
	}
	type found struct{ class, msg string }
	nc := len(e.checks)
	findings := make([]found, len(news)*nc)
	parallel(workers, len(news), func(i int) {
		for c := range e.checks {
			if f := e.checks[c].State; f != nil {
				if class, msg := f(e.k, news[i].s); msg != "" {
					findings[i*nc+c] = found{class, msg}
				}
			}
		}
	})
	for i, n := range news {
		for c := range e.checks {
			if f := findings[i*nc+c]; f.msg != "" {
				e.report(e.checks[c].Name, f.class, f.msg, n.id, -1)
			}
		}
		nextLevel = append(nextLevel, item{id: n.id})
		nextLevel[len(nextLevel)-1].s = *n.s
		if e.done() {
			e.res.Limit = "stopped at the first witness of every check"
			return nextLevel, true
		}
	}
	if limited || e.limitHit() {
		e.limitHit()
		return nextLevel, true
	}
	return nextLevel, false
}

// expandOne runs every thread one step from s, without checks, writing the
// successors into buf (one slot per thread).
func (e *explorer) expandOne(s *model.State, buf []succ) expansion {
	x := expansion{succs: buf[:0]}
	for t := range e.k.Threads {
		if !e.k.Running(s, t) {
			continue
		}
		if !e.k.Threads[t].Daemon {
			x.running++
		}
		n := len(x.succs)
		x.succs = x.succs[:n+1]
		sc := &x.succs[n]
		sc.thread, sc.s = t, *s
		if !e.k.Exec(&sc.s, t, &sc.ev) {
			if !e.k.Threads[t].Daemon {
				x.blocked = append(x.blocked, sc.ev)
			}
			x.succs = x.succs[:n]
			continue
		}
		sc.hash = sc.s.Hash()
	}
	return x
}

// parallel runs f(0..n-1) on up to workers goroutines (inline for one).
func parallel(workers, n int, f func(i int)) {
	if workers <= 1 || n < 2 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var g errgroup.Group
	g.SetLimit(workers)
	per := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += per {
		lo := lo
		g.Go(func() error {
			for i := lo; i < min(lo+per, n); i++ {
				f(i)
			}
			return nil
		})
	}
	g.Wait()
}

// leaf judges a state at the depth bound: terminal and stuck states are counted
// and checked as in expand, but no transition is taken or checked. It reports
// whether some thread could move.
func (e *explorer) leaf(s *model.State, id int32) bool {
	_, _, moved := e.step(s, id, nil)
	return moved
}

func (e *explorer) dfs(init *model.State, root int32) {
	type frame struct {
		s     model.State
		id    int32
		depth int
	}
	stack := []frame{{*init, root, 0}}
	depthCut := false
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if f.depth > e.res.Depth {
			e.res.Depth = f.depth
		}
		if e.opt.MaxDepth > 0 && f.depth >= e.opt.MaxDepth {
			if e.leaf(&f.s, f.id) {
				depthCut = true
			}
			continue
		}
		var succ []frame
		e.expand(&f.s, f.id, func(next *model.State, t int) {
			if _, ok := e.visited[next.Hash()]; ok {
				return
			}
			id := e.add(next, f.id, t, f.depth+1)
			e.checkState(next, id)
			succ = append(succ, frame{*next, id, f.depth + 1})
		})
		// Push in reverse so that the lowest thread is explored first.
		for i := len(succ) - 1; i >= 0; i-- {
			stack = append(stack, succ[i])
		}
		if e.done() {
			e.res.Limit = "stopped at the first witness of every check"
			return
		}
		if e.limitHit() {
			return
		}
	}
	if depthCut {
		e.res.Limit = fmt.Sprintf("max-depth %d reached", e.opt.MaxDepth)
		return
	}
	e.res.Complete = true
}

// Step is one step of a replayed trace.
type Step struct {
	Event  model.Event
	Before model.State
	After  model.State
}

// Replay runs a schedule from init and returns every step. It fails if a thread in
// the schedule cannot move (the trace does not belong to this kernel and state).
func Replay(k *model.Kernel, init *model.State, trace []int) ([]Step, error) {
	s := *init
	out := make([]Step, 0, len(trace))
	for i, t := range trace {
		if t < 0 || t >= len(k.Threads) {
			return out, fmt.Errorf("step %d: no thread %d", i+1, t)
		}
		st := Step{Before: s}
		if !k.Exec(&s, t, &st.Event) {
			return out, fmt.Errorf("step %d: thread %s cannot move", i+1, k.ThreadName(t))
		}
		st.After = s
		out = append(out, st)
	}
	return out, nil
}

// stuck runs the Stuck checks on a state where every running thread is blocked;
// e.events holds their blocked events.
func (e *explorer) stuck(s *model.State, id int32) {
	var evs []model.Event
	for t := range e.k.Threads {
		if e.k.Running(s, t) && !e.k.Threads[t].Daemon {
			evs = append(evs, e.events[t])
		}
	}
	e.stuckWith(s, id, evs)
}

// stuckWith runs the Stuck checks with the blocked events evs.
func (e *explorer) stuckWith(s *model.State, id int32, evs []model.Event) {
	for i := range e.checks {
		c := &e.checks[i]
		if c.Stuck == nil {
			continue
		}
		if class, msg := c.Stuck(e.k, s, evs); msg != "" {
			e.report(c.Name, class, msg, id, -1)
		}
	}
}
