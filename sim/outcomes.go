package sim

import (
	"fmt"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/daxsim/daxsim/model"
)

// Outcomes: the set of every reachable outcome tuple of a scenario (the results
// of all its statements in an execution that ran every thread to its end), for
// 'daxsim check -outcomes' and for judging the runs of a real kernel (daxsim
// kernel): every tuple a real run shows must be in the set (memory-model
// testing's discipline: litmus7 observations inside herd7's allowed set).
//
// The state does not remember results, so the search is over (state, results
// so far) pairs: two paths to one state with different results stay apart.
// That multiplies the states; it is meant for the small workloads a real
// kernel runs.

// Outcome is the results of every statement of the scenario threads, thread by
// thread in order (Outcome[i] for the i-th statement of OutcomeSet.Stmts).
type Outcome []model.Result

// OutcomeSet is what Outcomes found.
type OutcomeSet struct {
	// Stmts name the statements, as "thread:N", in the order of an Outcome.
	Stmts []string
	// Tuples are the distinct outcomes, sorted by their text.
	Tuples []Outcome
	// Complete is false when MaxNodes cut the search: the set may miss tuples.
	Complete bool
	Nodes    int    // (state, results) pairs explored
	Stuck    int    // of them, where every unfinished thread was blocked
	Limit    string // why it stopped early
}

// Outcomes enumerates every reachable outcome of k from init, exploring at
// most maxNodes (state, results) pairs (0: no limit).
func Outcomes(k *model.Kernel, init *model.State, maxNodes int) *OutcomeSet {
	set := &OutcomeSet{}
	index := map[[2]int]int{} // (thread, pc) -> position in an Outcome
	for t := range k.Threads {
		if k.Threads[t].Daemon {
			continue
		}
		for pc := range k.Threads[t].Prog {
			index[[2]int{t, pc}] = len(set.Stmts)
			set.Stmts = append(set.Stmts, fmt.Sprintf("%s:%d", k.ThreadName(t), pc+1))
		}
	}
	type node struct {
		s   model.State
		res Outcome
	}
	seed := maphash.MakeSeed()
	key := func(n *node) uint64 {
		var h maphash.Hash
		h.SetSeed(seed)
		var b [8]byte
		for i := 0; i < 8; i++ {
			b[i] = byte(n.s.Hash() >> (8 * i))
		}
		h.Write(b[:])
		for _, r := range n.res {
			h.WriteByte(byte(r))
			h.WriteByte(byte(r >> 8))
		}
		return h.Sum64()
	}
	seen := map[uint64]bool{}
	found := map[string]Outcome{}
	start := &node{s: *init, res: make(Outcome, len(set.Stmts))}
	seen[key(start)] = true
	frontier := []*node{start}
	var ev model.Event
	for len(frontier) > 0 {
		n := frontier[len(frontier)-1]
		frontier = frontier[:len(frontier)-1]
		set.Nodes++
		if maxNodes > 0 && set.Nodes > maxNodes {
			set.Limit = fmt.Sprintf("max-states %d reached", maxNodes)
			set.Tuples = sortedByKey(found)
			return set
		}
		moved, running := false, 0
		for t := range k.Threads {
			if !k.Running(&n.s, t) {
				continue
			}
			if !k.Threads[t].Daemon {
				running++
			}
			next := &node{s: n.s, res: n.res}
			if !k.Exec(&next.s, t, &ev) {
				continue
			}
			moved = true
			if ev.Returned && !k.Threads[t].Daemon {
				next.res = slices.Clone(n.res)
				next.res[index[[2]int{t, ev.PC}]] = ev.Result
			}
			if h := key(next); !seen[h] {
				seen[h] = true
				frontier = append(frontier, next)
			}
		}
		switch {
		case running == 0:
			found[outcomeText(set.Stmts, n.res, k)] = n.res
		case !moved:
			set.Stuck++
		}
	}
	set.Complete = true
	set.Tuples = sortedByKey(found)
	return set
}

func outcomeText(stmts []string, o Outcome, k *model.Kernel) string {
	parts := make([]string, len(o))
	for i, r := range o {
		name := "-" // the statement never returned (its thread was cut)
		if r != model.ResNone {
			name = k.ResultName(r)
		}
		parts[i] = stmts[i] + "=" + name
	}
	return strings.Join(parts, " ")
}

// Text is an outcome as "t1:1=ok t1:2=A t2:1=EBUSY".
func (s *OutcomeSet) Text(k *model.Kernel, o Outcome) string { return outcomeText(s.Stmts, o, k) }
