package run

import (
	"fmt"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// Thread symmetry in a run (model.Symmetry): the search stores one state of
// each class of states that differ only by exchanging interchangeable threads,
// and every counterexample it finds is translated back into an execution of
// the scenario's own threads before it is reported.
//
// A stored state is the representative of its class, and the search tree
// records, for each state, its parent representative and the thread (a
// position in that representative) that moved. Replaying a schedule from the
// initial state and putting every state in its class again gives, at each step,
// the renaming from the scenario's threads to the representative's positions;
// the scenario thread behind a position is the one to run (a step commutes
// with a renaming of threads, slots and tokens: model.Symmetry). The messages
// are then made again on the translated execution, so they name the threads
// that really acted.

// symmetryFor returns the thread symmetry of a built scenario, with the
// threads its expect result and reachable lines name left out; nil when no two
// threads are interchangeable.
func symmetryFor(b *scenarios.Built) *model.Symmetry {
	named := map[string]bool{}
	for _, e := range b.Scn.Expects {
		if e.Kind == scenarios.ExpectResult || e.Kind == scenarios.ExpectReachable {
			named[e.Stmt.Thread] = true
		}
	}
	k := b.Kernel
	return k.Symmetry(func(t int) bool { return named[k.Threads[t].Name] })
}

// symmetryReduction is a model.Symmetry as the engine's reduction hook.
type symmetryReduction struct{ y *model.Symmetry }

func (r symmetryReduction) Ample(*model.Kernel, *model.State) uint16 { return ^uint16(0) }

func (r symmetryReduction) Canonical(k *model.Kernel, s *model.State) bool {
	p := r.y.Canonicalize(k, s)
	return p != model.IdentityPerm
}

// translate turns a schedule of the reduced search (positions in class
// representatives) into the scenario threads that run it from init.
func translate(k *model.Kernel, y *model.Symmetry, init *model.State, trace []int) ([]int, error) {
	var who [model.MaxThreads]int // position -> scenario thread
	for i := range who {
		who[i] = i
	}
	s := *init
	var ev model.Event
	out := make([]int, len(trace))
	for n, pos := range trace {
		if pos < 0 || pos >= len(k.Threads) {
			return nil, fmt.Errorf("step %d: no thread %d", n+1, pos)
		}
		out[n] = who[pos]
		if !k.Exec(&s, pos, &ev) {
			return nil, fmt.Errorf("step %d: thread %s cannot move", n+1, k.ThreadName(pos))
		}
		p := y.Canonicalize(k, &s)
		var next [model.MaxThreads]int
		for i := range next {
			next[i] = who[p[i]]
		}
		who = next
	}
	return out, nil
}

// unreduce translates the witnesses of a search with symmetry into the
// scenario's own threads and judges them again there, for their messages. A
// witness that does not translate (a bug of the symmetry) keeps its schedule
// and says so in its message.
func unreduce(b *scenarios.Built, cfg checker.Config, y *model.Symmetry, res *sim.Result) {
	k := b.Kernel
	for i := range res.Violations {
		v := &res.Violations[i]
		tr, err := translate(k, y, &b.Init, v.Trace)
		var related [][]int
		for j := range v.Related {
			rt, rerr := translate(k, y, &b.Init, v.Related[j].Trace)
			if err == nil {
				err = rerr
			}
			related = append(related, rt)
		}
		if err != nil {
			v.Msg += fmt.Sprintf("\n(daxsim: the symmetry-reduced schedule does not translate: %v; please report it)", err)
			continue
		}
		msg, ok := rejudge(b, cfg, v.Check, v.Class, tr, related)
		if !ok {
			v.Msg += "\n(daxsim: the symmetry-reduced schedule does not reproduce on the scenario's threads; please report it)"
			continue
		}
		v.Trace, v.Msg = tr, msg
		for j := range v.Related {
			v.Related[j].Trace = related[j]
		}
	}
}

// rejudge feeds check along trace (after the related traces) and returns the
// message of its first failure of class, as Reproduce does.
func rejudge(b *scenarios.Built, cfg checker.Config, check, class string, trace []int, related [][]int) (string, bool) {
	c, err := checkByName(b, cfg, check)
	if err != nil {
		return "", false
	}
	for _, rel := range related {
		if _, err := feed(b, &c, rel, false); err != nil {
			return "", false
		}
	}
	found, err := feed(b, &c, trace, true)
	if err != nil {
		return "", false
	}
	for _, f := range found {
		if f.class == class {
			return f.msg, true
		}
	}
	return "", false
}

// reduction composes the run's reductions: the partial-order reduction's
// ample sets (computed on class representatives, which are states of the
// scenario) and the symmetry's representatives; nil for none.
func reduction(por *sim.POR, y *model.Symmetry) sim.Reduction {
	switch {
	case por != nil && y != nil:
		return porSymmetry{por, symmetryReduction{y}}
	case por != nil:
		return por
	case y != nil:
		return symmetryReduction{y}
	}
	return nil
}

type porSymmetry struct {
	por *sim.POR
	sym symmetryReduction
}

func (r porSymmetry) Ample(k *model.Kernel, s *model.State) uint16 { return r.por.Ample(k, s) }

func (r porSymmetry) Canonical(k *model.Kernel, s *model.State) bool { return r.sym.Canonical(k, s) }
