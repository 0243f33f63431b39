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
// search explores the enabled next steps of a set T of threads (one thread
// whenever one will do) that satisfies
//
//   - C0: the engine tries every thread when no thread of T can move;
//   - C1: T is closed under dependence: no next step of a thread of T
//     conflicts with anything a thread outside T can still do (the rest of
//     its statements' paths and its later statements, blocked steps
//     included, and the journal thread's commit loop while it may commit),
//     and no "after" or "crash after" links T with a thread outside it. A
//     thread of T that is blocked stays blocked until a step of T is taken
//     (only threads of T can change what its step waits on), so every path
//     that avoids T's enabled steps is made of steps independent of them
//     (model.Deps.Ample: a stubborn-set construction over the declared
//     futures);
//   - C2: no step of T changes anything the state checks being judged
//     observe (the properties' Observes declarations and the expect lines',
//     see run.Visibility). Transition checks need no such condition: a
//     step's event, and the state it reads, are the same in every order of
//     independent steps (what TestFootprintsHold checks), so a
//     reduced search meets every failing transition the full one meets;
//   - C3: the cycle proviso holds trivially: the state graph is acyclic. Every
//     loop of a kernel path either ends its statement (the program counter
//     grows), starts a data version (DVer grows), commits (Tid grows), moves
//     a writeback cursor, or retries a fault, which needs another thread to
//     take a PTE or entry away, which only steps of the other kinds do.
//     TestStateGraphAcyclic checks it by depth-first search over every
//     scenario under testdata and the built-in suite under every proposal.
//
// The reduction keeps every verdict: for every reachable failing state the
// reduced search reaches one the state checks judge the same way (it differs
// by steps that change nothing they observe), it meets every failing
// transition with the same event, it reaches every stuck and terminal state
// (ample sets preserve deadlocks), and it learns the same lock-order edges.
// Counterexamples may be longer: Reshorten makes them shortest again.

// POR is the partial-order reduction for one kernel and one set of judged
// properties: a sim.Reduction whose Canonical does nothing. Thread symmetry
// composes with it as a Reduction whose Ample is POR's and whose Canonical is
// the symmetry's: Ample then runs on class representatives, which are states
// of the scenario, and every observation is of every instance (a symmetric
// visibility). That rests on the quotient graph being acyclic too, which
// TestStateGraphAcyclic does not check (perf N=5 flip-dontcache: 791 states
// with both, 7,060 with POR, 1,210,104 with symmetry; the racy N=4: 88,904,
// 336,718 and 1,290,216 states, the same four violated classes).
type POR struct {
	deps *model.Deps
	vis  model.Visibility
	// reduced counts the expanded states where Ample chose some threads,
	// full those where it chose all.
	reduced, full atomic.Int64
}

// NewPOR is the reduction for kernel k (sealed, with its threads) when the
// state checks judged observe vis (the union of the properties' and expect
// lines' declarations; transition, stuck and traced checks need none).
func NewPOR(k *model.Kernel, vis model.Visibility) *POR {
	return &POR{deps: model.NewDeps(k), vis: vis}
}

// Ample returns the threads whose enabled next steps form an ample set of s,
// or every thread when there is none.
func (p *POR) Ample(k *model.Kernel, s *model.State) uint16 {
	if a := p.deps.Ample(s, &p.vis); a != 0 {
		p.reduced.Add(1)
		return a
	}
	p.full.Add(1)
	return ^uint16(0)
}

// Canonical does nothing: partial-order reduction does not merge states.
func (p *POR) Canonical(*model.Kernel, *model.State) bool { return false }

var _ Reduction = (*POR)(nil)

// Stats says in how many expanded states Ample chose some threads and in how
// many all (a state expanded again, after a layout change, counts twice).
func (p *POR) Stats() (reduced, full int64) { return p.reduced.Load(), p.full.Load() }

func (p *POR) String() string {
	r, f := p.Stats()
	return fmt.Sprintf("por: %d states expanded with some threads, %d with all", r, f)
}

// Reshorten makes the witnesses of a search made with a reduction shortest
// again: an unreduced breadth-first search bounded at the length of the
// longest witness (opt.MaxDepth; of opt.Reduce only its Canonical is kept:
// thread symmetry keeps lengths, and the witnesses stay in the same
// positions as res's) finds, for every check
// and class the reduced search witnessed, the first witness in unreduced
// search order: a shortest one, since the class's shortest witness is no
// longer than the reduced one. checks must make fresh checks (a check with
// memory, lock-order, learns anew). The result is a copy of res with those
// witnesses in place of its own; a class the bounded search did not reach (it
// was cut by opt.MaxStates, opt.MaxMemory or its Context) keeps the reduced
// witness, and a class it found that res lacks is added. The verdicts, the
// coverage and the counts stay res's. The second result describes the
// bounded search (zero when res has no witness).
//
// With opt.StopFirst (a search stopped at its first violation) the bounded
// search stops at its own first violation too, a shortest one of any check,
// and its witnesses replace res's. (On the perf workload a reduced search
// stopped at the first violation finds a longer one, later, than the
// unreduced search does, so -stop-first gains nothing from the reduction.)
func Reshorten(k *model.Kernel, init *model.State, checks func() []Check, opt Options, res *Result) (*Result, Reshortening) {
	depth := 0
	for _, v := range res.Violations {
		depth = max(depth, len(v.Trace))
	}
	if depth == 0 {
		return res, Reshortening{}
	}
	stopFirst := opt.StopFirst
	if opt.Reduce != nil {
		opt.Reduce = canonicalOnly{opt.Reduce}
	}
	opt.DFS = false
	opt.StopWhenAllViolated = false
	opt.Shard, opt.Shards = 0, 0
	opt.MaxDepth = depth
	short := Explore(k, init, checks(), opt)
	rs := Reshortening{Depth: depth, States: short.States, Transitions: short.Transitions, Elapsed: short.Elapsed,
		Complete: short.Complete || short.Limit == fmt.Sprintf("max-depth %d reached", depth) ||
			stopFirst && len(short.Violations) > 0}
	out := *res
	if stopFirst {
		if len(short.Violations) > 0 {
			out.Violations = short.Violations
		}
		return &out, rs
	}
	type key struct{ check, class string }
	found := map[key]Violation{}
	for _, v := range short.Violations {
		found[key{v.Check, v.Class}] = v
	}
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
	return &out, rs
}

// canonicalOnly is a reduction's Canonical with every thread ample.
type canonicalOnly struct{ r Reduction }

func (c canonicalOnly) Ample(*model.Kernel, *model.State) uint16 { return ^uint16(0) }

func (c canonicalOnly) Canonical(k *model.Kernel, s *model.State) bool { return c.r.Canonical(k, s) }

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
