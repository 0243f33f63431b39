package sim

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/daxsim/daxsim/model"
)

// Partial-order reduction: an ample-set reduction (Peled; Clarke, Grumberg and
// Peled, "Model Checking", ch. 10) over the declared step footprints of package
// model (model/footprint.go, LTSmin's dependency matrix). In each state the
// search explores one thread's step when that step is
//
//   - C0: enabled (the engine tries every thread when it is not);
//   - C1: independent of everything any other thread can still do: its
//     footprint conflicts with no step of the rest of the other threads'
//     statements' paths and of their later statements (blocked steps
//     included, and the journal thread's commit loop while it may commit),
//     no other thread's "after" waits for its statement, and it does not cut
//     the power ("crash after") while others run (model.Deps.Ample);
//   - C2: invisible: it changes nothing the state checks being judged observe
//     (the properties' Observes declarations and the expect lines', see
//     checker.Visibility). Transition checks need no such condition: a step's
//     event, and the state it reads, are the same in every order of
//     independent steps (what TestIndependentStepsCommute checks), so a
//     reduced search meets every failing transition the full one meets;
//   - C3: the cycle proviso holds trivially: the state graph is acyclic. Every
//     loop of a kernel path either ends its statement (the program counter
//     grows), starts a data version (DVer grows), commits (Tid grows), moves
//     a writeback cursor, or retries a fault, which needs another thread to
//     take a PTE or entry away, which only steps of the other kinds do.
//     TestStateGraphAcyclic checks it by depth-first search over every
//     scenario under testdata and the built-in suite under every proposal.
//
// The reduction keeps every verdict: every reachable failing state has a
// reduced counterpart failing in the same class (its observed resources are
// the same), every failing transition is met with the same event, every stuck
// and terminal state is reached (persistent sets preserve deadlocks), and the
// set of lock-order edges is the same. Counterexamples may be longer:
// Reshorten makes them shortest again.

// POR is the partial-order reduction for one kernel and one set of judged
// properties: a sim.Reduction whose Canonical does nothing (thread symmetry
// composes with it).
type POR struct {
	deps *model.Deps
	vis  model.Visibility
	// Reduced counts the states where Ample chose one thread, Full those where
	// it chose all.
	reduced, full atomic.Int64
}

// NewPOR is the reduction for kernel k (sealed, with its threads) when the
// state checks judged observe vis (the union of the properties' and expect
// lines' declarations; transition, stuck and traced checks need none).
func NewPOR(k *model.Kernel, vis model.Visibility) *POR {
	return &POR{deps: model.NewDeps(k), vis: vis}
}

// Ample returns the thread whose next step is a singleton ample set of s, or
// every thread when there is none.
func (p *POR) Ample(k *model.Kernel, s *model.State) uint16 {
	if a := p.deps.Ample(s, &p.vis); a != 0 {
		p.reduced.Add(1)
		return a
	}
	p.full.Add(1)
	return ^uint16(0)
}

// Canonical does nothing: partial-order reduction does not merge states.
func (p *POR) Canonical(*model.Kernel, *model.State) {}

// Stats says in how many expanded states Ample chose one thread and in how
// many all (a state expanded by several workers counts once per expansion).
func (p *POR) Stats() (reduced, full int64) { return p.reduced.Load(), p.full.Load() }

func (p *POR) String() string {
	r, f := p.Stats()
	return fmt.Sprintf("por: %d states reduced to one thread, %d fully expanded", r, f)
}

// Reshorten makes the witnesses of a search made with a reduction shortest
// again: an unreduced breadth-first search bounded at the length of the
// longest witness (opt.MaxDepth; opt.Reduce is ignored) finds, for every check
// and class the reduced search witnessed, the first witness in unreduced
// search order: a shortest one, since the class's shortest witness is no
// longer than the reduced one. checks must make fresh checks (a check with
// memory, lock-order, learns anew). The result is a copy of res with those
// witnesses in place of its own; a class the bounded search did not reach (it
// was cut by opt.MaxStates, opt.MaxMemory or its Context) keeps the reduced
// witness, and a class it found that res lacks is added. The verdicts, the
// coverage and the counts stay res's. The second result describes the
// bounded search (zero when res has no witness).
func Reshorten(k *model.Kernel, init *model.State, checks func() []Check, opt Options, res *Result) (*Result, Reshortening) {
	depth := 0
	for _, v := range res.Violations {
		depth = max(depth, len(v.Trace))
	}
	if depth == 0 {
		return res, Reshortening{}
	}
	opt.Reduce = nil
	opt.DFS = false
	opt.StopFirst = false
	opt.StopWhenAllViolated = false
	opt.Shard, opt.Shards = 0, 0
	opt.MaxDepth = depth
	short := Explore(k, init, checks(), opt)
	type key struct{ check, class string }
	found := map[key]Violation{}
	for _, v := range short.Violations {
		found[key{v.Check, v.Class}] = v
	}
	out := *res
	out.Violations = nil
	seen := map[key]bool{}
	for _, v := range res.Violations {
		kv := key{v.Check, v.Class}
		seen[kv] = true
		if w, ok := found[kv]; ok && len(w.Trace) <= len(v.Trace) {
			v = w
		}
		out.Violations = append(out.Violations, v)
	}
	for _, v := range short.Violations {
		if !seen[key{v.Check, v.Class}] {
			out.Violations = append(out.Violations, v)
		}
	}
	rs := Reshortening{Depth: depth, States: short.States, Transitions: short.Transitions, Elapsed: short.Elapsed,
		Complete: short.Complete || short.Limit == fmt.Sprintf("max-depth %d reached", depth)}
	return &out, rs
}

// Reshortening describes the bounded search Reshorten ran.
type Reshortening struct {
	Depth       int // its bound: the longest reduced witness
	States      int
	Transitions int
	// Complete: it explored every state within the bound (no state or memory
	// limit, no interrupt cut it), so every witness it gave is shortest.
	Complete bool
	Elapsed  time.Duration
}
