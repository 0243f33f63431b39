// Package sim is the exploration engine: it enumerates the interleavings of the
// threads of a kernel (package model) from an initial state, hands every state and
// transition to the checks, and reports violations with the thread schedule that
// reaches them.
//
// A transition is one atomic step of one thread ([model.Kernel.Exec]). States are
// stored in a compact encoding (only the words of [model.State] that the
// scenario's steps change, learnt as the search goes: layout.go) and deduplicated
// by a 64-bit fingerprint in an open-addressing set with no values (fpset.go); a
// search tree of 5 bytes a state (the state it came from, the thread) rebuilds
// witnesses' schedules. These structures live outside the Go heap and are
// bounded by a memory budget (mem.go).
//
// Exhaustive search is breadth-first by default, level by level and, within a level,
// in the order states were found, trying threads in index order: so the first
// violation found for a check is one with the fewest steps (a shortest
// counterexample), and the whole run is deterministic. A level is processed in
// batches; with several workers, each batch is expanded in parallel, then the
// workers insert the new fingerprints into disjoint partitions of the set, and the
// witnesses, state numbers and the next frontier are put in search order, so the
// result is the same for every number of workers (bfs.go). Depth-first search is an
// option for when the frontier does not fit in memory; its counterexamples are not
// shortest. Both honour MaxStates, MaxDepth, MaxMemory and cancellation and then
// report the run incomplete, never a pass.
//
// One successor-and-check loop (expand.go) serves BFS, DFS and random mode, and one
// witness set (check.go) keeps, for each check and class, the first witness in
// search order.
package sim

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/daxsim/daxsim/model"
)

// Options bound the search.
type Options struct {
	DFS bool // depth-first instead of breadth-first
	// Swarm, with DFS, tries the threads of every state in an order drawn from
	// Seed and the state's number instead of thread order: searches with
	// different seeds reach different parts of a space too large for one
	// (Holzmann's swarm verification). Deterministic for a seed.
	Swarm     bool
	Seed      uint64
	MaxStates int // stop when this many distinct states are stored (0: no limit)
	MaxDepth  int // do not expand states this many steps from the start (0: no limit)
	// MaxMemory bounds the bytes of the search's structures (visited set, search
	// tree, frontier or stack): the search stops, incomplete, before a batch that
	// would not fit. 0: no bound (see DefaultMaxMemory for the command line's).
	MaxMemory int64
	// StopFirst ends the search at the first violation of any check (SPIN's and
	// TLC's default): the witnesses found by then are kept (for BFS shortest ones),
	// and the run is incomplete.
	StopFirst bool
	// StopWhenAllViolated ends the search once every check has a witness.
	StopWhenAllViolated bool
	// Workers expand each BFS batch in parallel (the result does not depend on
	// it); DFS is sequential.
	Workers int
	// Progress, when set, is called after every BFS level, and every 100 ms or so
	// within a long one.
	Progress func(Progress)
	// Shard, with Shards > 1, explores part Shard of Shards of the space (see
	// bfsShard); the parts together cover it. BFS only.
	Shard, Shards int
	// Context, when set, stops the search at the next batch boundary once it is
	// done (SIGINT): the run is incomplete with Limit Interrupted.
	Context context.Context
	// Reduce, when set, plugs a state-space reduction into successor generation.
	Reduce Reduction
}

// Interrupted is the Limit of a search stopped by its Context.
const Interrupted = "interrupted"

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
	Search      string // "bfs", "dfs" or "swarm" (a DFS in a seeded order)
	// Coverage counts, for each check (by name), what it judged (Judge.Judged):
	// the same for every number of workers.
	Coverage map[string]int64
	// StoredBytes is the memory kept per run for the states found (visited set
	// and search tree) at the end; PeakBytes the most the search structures
	// (with the frontier or stack) took at once; MaxMemory the budget (0: none).
	StoredBytes uint64
	PeakBytes   int64
	MaxMemory   int64
	// StateWords is the size of the compact encoding in 8-byte words, and
	// Widened how often a step wrote outside it and the search had to widen it.
	StateWords, Widened int
	// Shard is "i/n" for a sharded search, with SplitDepth the level where the
	// shards part (-1: the space ended before the frontier was wide enough, so
	// this shard explored all of it). Exhaustive shards overlap: each explores the
	// levels above SplitDepth, and below it the states reachable from the parts
	// of several shards are explored by each; together they do more work than one
	// search (a split for memory or for a job array, not a speed-up).
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

// Explore searches the state graph of k from init.
func Explore(k *model.Kernel, init *model.State, checks []Check, opt Options) *Result {
	s := newSearch(k, init, checks, opt)
	defer s.free()
	if opt.DFS {
		s.res.Search = "dfs"
		if opt.Swarm {
			s.res.Search = "swarm"
		}
		s.dfs()
	} else {
		s.bfs()
	}
	return s.finish()
}

// search is the state of one exhaustive search.
type search struct {
	k        *model.Kernel
	init     *model.State
	checks   []Check
	opt      Options
	lay      *layout
	mem      *budget
	seen     *fpset
	tree     tree
	pool     [][]byte
	ws       *witnessSet
	res      *Result
	coverage []int64 // per check
	start    time.Time
	states   int

	workers  int
	xs       []*expander
	sinks    []*sink
	accs     []acc
	subs     []sub // the sub-batches of a parallel batch, reused
	traced   bool  // some check is Traced
	progress time.Time
}

// acc is what a worker counted in the current batch (committed at its end).
type acc struct {
	transitions, terminal int
	depthCut              bool
	counts                []int64
	_                     [128 - 56]byte // workers' accumulators on their own cache lines
}

func newSearch(k *model.Kernel, init *model.State, checks []Check, opt Options) *search {
	s := &search{k: k, init: init, checks: checks, opt: opt, start: time.Now(),
		mem: &budget{}, ws: newWitnessSet(checks),
		res:      &Result{Search: "bfs", SplitDepth: -1, MaxMemory: opt.MaxMemory, Coverage: map[string]int64{}},
		coverage: make([]int64, len(checks))}
	if opt.Shards > 1 {
		s.res.Shard = fmt.Sprintf("%d/%d", opt.Shard, opt.Shards)
	}
	s.tree.mem = s.mem
	s.lay = newLayout(init, make([]bool, stateWords))
	s.workers = max(opt.Workers, 1)
	if opt.DFS {
		s.workers = 1
	}
	for w := 0; w < s.workers; w++ {
		// The counters, written at every judgement, on cache lines of their own.
		a := acc{counts: make([]int64, len(checks)+16)[8 : 8+len(checks)]}
		s.accs = append(s.accs, a)
		sk := newSink(s.ws)
		x := newExpander(k, s.lay, checks, opt.Reduce, a.counts)
		x.j.sink, x.j.tree = sk, &s.tree
		s.xs = append(s.xs, x)
		s.sinks = append(s.sinks, sk)
	}
	for i := range checks {
		if checks[i].Traced != nil {
			s.traced = true
		}
	}
	return s
}

func (s *search) free() {
	if s.seen != nil {
		s.seen.free()
	}
	s.tree.free()
	freePool(s.mem, &s.pool)
}

// finish fills the result's totals.
func (s *search) finish() *Result {
	r := s.res
	r.States = s.states
	r.Violations = s.ws.violations()
	for i, c := range s.coverage {
		r.Coverage[s.checks[i].Name] += c
	}
	r.Elapsed = time.Since(s.start)
	if s.seen != nil {
		r.StoredBytes = uint64(s.seen.bytes() + s.tree.bytes())
	}
	r.PeakBytes = s.mem.peak.Load()
	r.StateWords = s.lay.size()
	return r
}

// commit adds the workers' batch counts to the result.
func (s *search) commit() {
	for w := range s.accs {
		a := &s.accs[w]
		s.res.Transitions += a.transitions
		s.res.Terminal += a.terminal
		for i, c := range a.counts {
			s.coverage[i] += c
			a.counts[i] = 0
		}
		a.transitions, a.terminal = 0, 0
	}
}

// discard forgets the workers' batch counts and candidates (the batch is redone).
func (s *search) discard() {
	for w := range s.accs {
		a := &s.accs[w]
		clear(a.counts)
		a.transitions, a.terminal, a.depthCut = 0, 0, false
		s.sinks[w].reset()
	}
}

// merge moves the batch's witnesses into the witness set.
func (s *search) merge() {
	s.ws.merge(s.sinks, &s.tree, s.states, time.Since(s.start))
}

// stopAfterBatch says whether the search ends after a batch (and why).
func (s *search) stopAfterBatch() bool {
	switch {
	case s.opt.StopFirst && s.ws.nhit > 0:
		s.res.Limit = "stopped at the first violation"
	case s.opt.StopWhenAllViolated && len(s.checks) > 0 && s.ws.nhit == len(s.checks):
		s.res.Limit = "stopped at the first witness of every check"
	case s.opt.MaxStates > 0 && s.states >= s.opt.MaxStates:
		s.res.Limit = s.maxStatesLimit()
	default:
		return false
	}
	return true
}

func (s *search) maxStatesLimit() string {
	return fmt.Sprintf("max-states %d reached", s.opt.MaxStates)
}

// fits is the memory projection of the search (see mem.go): the visited set's
// table of tableBytes, states in the tree and records of stride words in the
// frontier or stack, with the rounding of their chunks.
func (s *search) fits(tableBytes int64, states, records, stride int) bool {
	if s.opt.MaxMemory <= 0 {
		return true
	}
	chunk := int64(1) << chunkShift(stride) * int64(stride) * 8
	rounding := int64(treeChunkLen*5) + 4*chunk + poolChunks*chunk
	return tableBytes+int64(states)*5+int64(records)*int64(stride)*8+rounding <= s.opt.MaxMemory
}

// fitsTable is fits for a table of tableBytes, with the rest as now plus what
// the next batch may add.
func (s *search) fitsTable(states, records, stride int) func(int64) bool {
	return func(tableBytes int64) bool { return s.fits(tableBytes, states, records, stride) }
}

func (s *search) memoryLimit() string {
	if s.mem.refused.Load() {
		return fmt.Sprintf("out of memory: the system refused more than %s", FormatBytes(s.mem.used.Load()))
	}
	return fmt.Sprintf("max-memory %s reached", FormatBytes(s.opt.MaxMemory))
}

// interrupted says whether the Context is done.
func (s *search) interrupted() bool {
	if s.opt.Context == nil || s.opt.Context.Err() == nil {
		return false
	}
	s.res.Limit = Interrupted
	return true
}

// addRoot stores the initial state and runs the state checks on it.
func (s *search) addRoot() bool {
	if s.seen = newFPSet(s.mem); s.seen == nil || !s.tree.reserve(1) || !s.fits(s.seen.bytes(), 1, 1, s.lay.size()+2) {
		s.res.Limit = s.memoryLimit()
		return false
	}
	s.seen.insert(s.lay.fingerprintState(s.init))
	s.tree.set(0, noParent, 0)
	s.states = 1
	x := s.xs[0]
	x.j.at(0, -1)
	x.judgeState(s.init, wkey{})
	s.commit()
	s.merge()
	return true
}

// setLayout makes every worker use lay.
func (s *search) setLayout(lay *layout) {
	s.lay = lay
	s.res.Widened++
	for _, x := range s.xs {
		x.lay, x.wide = lay, nil
	}
}

// widened is the layout that also holds every word the workers' breaking steps
// wrote.
func (s *search) widened() *layout {
	l := s.lay
	for _, x := range s.xs {
		if x.wide != nil {
			l = l.union(x.wide)
		}
	}
	return l
}

// reencode re-encodes the records [from[i], n) of each queue qs[i] from layout
// old to layout l (record tails, the state number and depth, are copied), in
// place, chunk by chunk (an old chunk is unmapped as soon as its records are
// moved, so the copy costs a chunk or two, not a second queue). It reports false
// when the system refuses a mapping (the search stops; the queues are then
// inconsistent and only to be freed).
func (s *search) reencode(old, l *layout, qs []*queue, from []int) bool {
	for i, q := range qs {
		extra := q.stride - old.size()
		nq := newQueue(s.mem, l.size()+extra, &s.pool)
		room := len(q.chunks) * q.per // as much room as q had
		nq.n = q.n
		tmp := old.init
		for r := from[i]; r < q.n; r++ {
			for len(nq.chunks) <= r>>nq.shift {
				if len(nq.chunks) < from[i]>>nq.shift {
					nq.chunks = append(nq.chunks, nil) // dropped records
					continue
				}
				c := s.mem.alloc(nq.chunkBytes())
				if c == nil {
					return false
				}
				nq.chunks = append(nq.chunks, c)
			}
			src, dst := q.at(r), nq.at(r)
			old.decode(&tmp, src)
			l.encode(dst, &tmp)
			copy(dst[l.size():], src[old.size():])
			if c := r >> q.shift; r == q.n-1 || (r+1)>>q.shift != c {
				s.mem.free(q.chunks[c])
				q.chunks[c] = nil
			}
		}
		q.free()
		for len(nq.chunks) < from[i]>>nq.shift {
			nq.chunks = append(nq.chunks, nil)
		}
		if !nq.reserve(room) {
			return false
		}
		*q = *nq
	}
	return true
}

// progressNow reports progress when it is due (always when force).
func (s *search) progressNow(force bool, depth, frontier int) {
	if s.opt.Progress == nil {
		return
	}
	if !force && time.Since(s.progress) < 100*time.Millisecond {
		return
	}
	s.progress = time.Now()
	s.opt.Progress(Progress{States: s.states, Depth: depth, Frontier: frontier, Elapsed: time.Since(s.start)})
}

// runWorkers runs f(0..n-1) on n goroutines (inline for one) and waits; a panic
// in one is raised again in the caller.
func runWorkers(n int, f func(w int)) {
	if n <= 1 {
		f(0)
		return
	}
	var g errgroup.Group
	var failure atomic.Pointer[any]
	for w := 0; w < n; w++ {
		g.Go(func() error {
			defer func() {
				if p := recover(); p != nil {
					failure.CompareAndSwap(nil, &p)
				}
			}()
			f(w)
			return nil
		})
	}
	g.Wait()
	if p := failure.Load(); p != nil {
		panic(*p)
	}
}

// parallelFor runs f(w, i) for i in [0, n) on up to workers goroutines, handing
// out the indexes in order (w is the goroutine's number).
func parallelFor(workers, n int, f func(w, i int)) {
	if workers <= 1 || n < 2 {
		for i := 0; i < n; i++ {
			f(0, i)
		}
		return
	}
	var next atomic.Int64
	runWorkers(min(workers, n), func(w int) {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			f(w, i)
		}
	})
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
