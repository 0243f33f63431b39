package sim

import (
	"sort"
	"time"

	"github.com/daxsim/daxsim/model"
)

// Check is one property as the engine sees it: functions called on every reached
// state, every transition, and every state where all unfinished threads are
// blocked. Each judges through j: it counts what it judged (j.Judged: coverage),
// and when the property fails it names the class of the failure (j.Fail) and,
// only when Fail says the engine wants it, builds the message (j.Explain). The
// class distinguishes different ways of breaking the property; the engine keeps
// the first witness of each class in search order (for BFS a shortest one), so
// most failures are of a class already known and cost no formatting.
//
// A call reports at most one failure (the first Fail; later ones are ignored).
//
// State, Step and Stuck must be pure: the engine calls them on several
// goroutines at once and in no particular order (the witnesses it keeps do not
// depend on that order). A check with memory over the whole search is a Traced
// check.
type Check struct {
	Name  string
	State func(j *Judge, k *model.Kernel, s *model.State)
	Step  func(j *Judge, k *model.Kernel, before, after *model.State, ev *model.Event)
	// Stuck gets the stuck state and the blocked event of every running thread.
	Stuck func(j *Judge, k *model.Kernel, s *model.State, blocked []model.Event)
	// Traced is a transition check for properties over the whole explored graph
	// (lock-order): the engine calls it on one goroutine, on the transitions in
	// search order, so it may learn from each; j.Trace gives the schedule that
	// reaches the transition, to keep as evidence, and j.Relate attaches earlier
	// schedules to a failure.
	Traced func(j *Judge, k *model.Kernel, before, after *model.State, ev *model.Event)
	// Relevant, when set, says which transitions Traced needs to see: Traced
	// must do nothing (learn nothing, report nothing) on the others. It may read
	// what Traced learned but not change it; the engine calls it on several
	// goroutines while Traced does not run.
	Relevant func(k *model.Kernel, before, after *model.State, ev *model.Event) bool
}

// Judge is how a check function reports: what it judged, and a failure. The engine
// gives each worker its own.
type Judge struct {
	sink   *sink // nil: outside a search (every message is wanted)
	counts []int64
	check  int
	key    wkey

	failed, want bool
	class, msg   string
	related      []Related

	// Where the schedule of a witness comes from: the search tree (state from,
	// then thread, -1 for none), or, in random mode, the run so far.
	tree   *tree
	from   int64
	thread int
	run    []int
	fixed  []int // outside a search: the trace Trace returns
}

// Judged counts n things the check judged here (obligations, crash points,
// uses, histories): the check's coverage. A property that judged nothing in a
// whole search is vacuous there.
func (j *Judge) Judged(n int) { j.counts[j.check] += int64(n) }

// Fail reports that the property fails here, in the given class. It returns true
// when the engine wants the message (this is, so far, the first witness of the
// class in search order): then the check calls Explain (and Relate). A call
// reports one failure: after the first, Fail returns false.
func (j *Judge) Fail(class string) bool {
	if j.failed {
		return false
	}
	j.failed, j.class = true, class
	j.want = j.sink == nil || j.sink.wants(j.check, class, j.key)
	return j.want
}

// Explain gives the message of the failure Fail just reported.
func (j *Judge) Explain(msg string) {
	if j.want {
		j.msg = msg
	}
}

// Relate attaches an earlier schedule to the failure Fail just reported
// (lockdep's "the existing dependency chain").
func (j *Judge) Relate(note string, trace []int) {
	if j.want {
		j.related = append(j.related, Related{Note: note, Trace: trace})
	}
}

// Trace is the schedule from the initial state through the transition being
// judged (for a state, to the state). It allocates: call it only when keeping
// the evidence.
func (j *Judge) Trace() []int {
	switch {
	case j.fixed != nil:
		return append([]int(nil), j.fixed...)
	case j.tree == nil:
		tr := append([]int(nil), j.run...)
		if j.thread >= 0 {
			tr = append(tr, j.thread)
		}
		return tr
	}
	return j.tree.trace(int(j.from), j.thread)
}

// at sets where the next witnesses' schedules come from.
func (j *Judge) at(from int64, thread int) { j.from, j.thread = from, thread }

func (j *Judge) begin(check int, key wkey) {
	j.check, j.key = check, key
	j.failed, j.want, j.class, j.msg, j.related = false, false, "", "", nil
}

// end hands a wanted failure to the sink.
func (j *Judge) end() {
	if !j.failed || !j.want || j.sink == nil {
		return
	}
	c := candidate{ckey: ckey{j.check, j.class}, key: j.key, msg: j.msg, related: j.related, from: j.from, thread: j.thread}
	if j.tree == nil {
		c.trace, c.own = j.Trace(), true
	}
	j.sink.add(c)
}

// Finding is what one check function reported when called outside a search (the
// JudgeState... methods: replays, tests).
type Finding struct {
	Failed     bool
	Class, Msg string
	Related    []Related
	Judged     int64
}

// Related is an earlier schedule a finding refers to (lockdep's "the existing
// dependency chain").
type Related struct {
	Note  string
	Trace []int
}

func standalone(fixed []int) *Judge {
	j := &Judge{counts: make([]int64, 1), from: -1, thread: -1, fixed: fixed}
	j.begin(0, wkey{})
	return j
}

func (j *Judge) finding() Finding {
	return Finding{Failed: j.failed, Class: j.class, Msg: j.msg, Related: j.related, Judged: j.counts[0]}
}

// JudgeState runs c.State (if any) on s outside a search.
func (c *Check) JudgeState(k *model.Kernel, s *model.State) Finding {
	j := standalone(nil)
	if c.State != nil {
		c.State(j, k, s)
	}
	return j.finding()
}

// JudgeStep runs c.Step (if any) on a transition outside a search.
func (c *Check) JudgeStep(k *model.Kernel, before, after *model.State, ev *model.Event) Finding {
	j := standalone(nil)
	if c.Step != nil {
		c.Step(j, k, before, after, ev)
	}
	return j.finding()
}

// JudgeStuck runs c.Stuck (if any) on a stuck state outside a search.
func (c *Check) JudgeStuck(k *model.Kernel, s *model.State, blocked []model.Event) Finding {
	j := standalone(nil)
	if c.Stuck != nil {
		c.Stuck(j, k, s, blocked)
	}
	return j.finding()
}

// JudgeTraced runs c.Traced (if any) on a transition outside a search; trace is
// the schedule through it (what j.Trace returns).
func (c *Check) JudgeTraced(k *model.Kernel, before, after *model.State, ev *model.Event, trace []int) Finding {
	j := standalone(append([]int{}, trace...))
	if c.Traced != nil {
		c.Traced(j, k, before, after, ev)
	}
	return j.finding()
}

// ---- witnesses ----------------------------------------------------------------------

// wkey is a position in search order: witnesses are compared by it, and of each
// check and class the engine keeps the one with the smallest key. BFS: (level+1,
// frontier index, thread, phase); DFS: (1, judgement number); random mode: (run,
// judgement number in the run).
type wkey struct{ a, b uint64 }

func (k wkey) less(o wkey) bool { return k.a < o.a || k.a == o.a && k.b < o.b }

type ckey struct {
	check int
	class string
}

// candidate is a failure a worker found whose class was not known when it found
// it.
type candidate struct {
	ckey
	key     wkey
	msg     string
	related []Related
	from    int64 // search tree: the state the schedule reaches
	thread  int   // then this thread's step (-1: none)
	trace   []int // random mode (own): the schedule itself
	own     bool
}

// sink is one worker's candidates between two merges.
type sink struct {
	known   *witnessSet // read-only while workers run
	pending map[ckey]int
	cands   []candidate
}

func newSink(w *witnessSet) *sink { return &sink{known: w, pending: map[ckey]int{}} }

// wants says whether a failure at key would be the first of its class so far.
func (s *sink) wants(check int, class string, key wkey) bool {
	if _, ok := s.known.known[check][class]; ok {
		return false
	}
	if i, ok := s.pending[ckey{check, class}]; ok && !key.less(s.cands[i].key) {
		return false
	}
	return true
}

func (s *sink) add(c candidate) {
	if i, ok := s.pending[c.ckey]; ok {
		s.cands[i] = c
		return
	}
	s.pending[c.ckey] = len(s.cands)
	s.cands = append(s.cands, c)
}

func (s *sink) reset() {
	clear(s.pending)
	s.cands = s.cands[:0]
}

// witnessSet is the one set of witnesses of a search: the first of each check and
// class, in search order.
type witnessSet struct {
	names []string
	known []map[string]struct{}
	list  []keyed
	hit   []bool // checks with a witness
	nhit  int
}

type keyed struct {
	key   wkey
	check int
	v     Violation
}

func newWitnessSet(checks []Check) *witnessSet {
	w := &witnessSet{known: make([]map[string]struct{}, len(checks)), hit: make([]bool, len(checks))}
	for i := range checks {
		w.names = append(w.names, checks[i].Name)
		w.known[i] = map[string]struct{}{}
	}
	return w
}

// merge takes the best candidate of each new check and class from the sinks, in
// key order, and empties the sinks; t rebuilds schedules from the search tree.
// states and at are recorded in the witnesses (Found, At). It returns how many
// witnesses were added.
func (w *witnessSet) merge(sinks []*sink, t *tree, states int, at time.Duration) int {
	best := map[ckey]*candidate{}
	var order []*candidate
	for _, s := range sinks {
		for i := range s.cands {
			c := &s.cands[i]
			if _, ok := w.known[c.check][c.class]; ok {
				continue
			}
			if b, ok := best[c.ckey]; !ok {
				best[c.ckey] = c
				order = append(order, c)
			} else if c.key.less(b.key) {
				*b = *c
			}
		}
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := order[a], order[b]
		if x.key != y.key {
			return x.key.less(y.key)
		}
		return x.check < y.check
	})
	for _, c := range order {
		w.known[c.check][c.class] = struct{}{}
		if !w.hit[c.check] {
			w.hit[c.check] = true
			w.nhit++
		}
		tr := c.trace
		if !c.own {
			tr = t.trace(int(c.from), c.thread)
		}
		w.list = append(w.list, keyed{key: c.key, check: c.check, v: Violation{Check: w.names[c.check], Class: c.class,
			Msg: c.msg, Trace: tr, Related: c.related, Run: -1, Found: states, At: at}})
	}
	for _, s := range sinks {
		s.reset()
	}
	return len(order)
}

// violations lists the witnesses in search order.
func (w *witnessSet) violations() []Violation {
	sort.SliceStable(w.list, func(a, b int) bool {
		x, y := w.list[a], w.list[b]
		if x.key != y.key {
			return x.key.less(y.key)
		}
		return x.check < y.check
	})
	out := make([]Violation, len(w.list))
	for i := range w.list {
		out[i] = w.list[i].v
	}
	return out
}
