package checker

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/sim"
)

// lock-order: no lock class is taken, in any explored execution, against an order
// that another explored execution takes it in; no holder of a DAX entry lock or of
// a journal handle waits for a journal commit. Reported like lockdep, even when no
// explored interleaving deadlocks.
//
// The kernel rules: the documented orders of reference/linux-dax.md C.1 (mm/filemap.c,
// fs/xfs/xfs_inode.c, fs/ext4/super.c): sb_writers -> i_rwsem -> mmap_lock ->
// sb_pagefault -> invalidate_lock -> jbd2 handle -> DAX entry / page lock, and C.2:
// "no entry-lock holder ever waits for a journal commit" (the synchronous fault
// unlocks the entry and, on ext4, stops its handle before vfs_fsync_range).
//
// As lockdep, it orders classes, not instances, and learns an edge A -> B whenever
// a thread holding A acquires B. Waiting for a journal commit counts as acquiring
// the jbd2_handle class (the commit waits for every handle: lockdep's
// jbd2_handle map). Nesting of two locks of one class (two inodes' i_rwsem in
// lock_two_nondirectories, taken in inode order) is allowed, as lockdep's
// subclasses allow it. A new edge that closes a cycle is a violation whose report
// names both orders and replays the schedules that first took each.
func init() {
	register(&Property{
		Name:   "lock-order",
		Rank:   6, // its row in SPEC.md section 5
		Judges: "lock acquisitions",
		Rule:   "no lock is taken against the documented kernel order (lockdep-style)",
		Check:  lockOrder,
	})
}

type edge struct{ from, to model.LockClass }

type edgeInfo struct {
	desc  string // who took it, holding what
	trace []int
}

// The graph is the check's memory: the engine calls Traced in search order on one
// goroutine, and Relevant (which only reads the graph) elsewhere to skip the
// transitions that can teach it nothing: those that take no lock of a new order
// and do not wait for a commit holding an entry lock or a handle. Once a
// transition is irrelevant it stays so (the graph only grows). Coverage (Step):
// the lock acquisitions judged.
func lockOrder(Config) sim.Check {
	graph := map[edge]edgeInfo{}
	return sim.Check{
		Step: countAcquisitions,
		Relevant: func(k *model.Kernel, before, after *model.State, ev *model.Event) bool {
			t := ev.Thread
			held := before.Threads[t].Held
			if ev.WaitsCommit {
				waitHeld := after.Threads[t].Held
				for h := waitHeld; h != 0; h &= h - 1 {
					fc, _ := model.LockID(bits.TrailingZeros64(h)).Class()
					if fc == model.ClassEntry || fc == model.ClassJournal {
						return true // waitsCommit
					}
					if _, known := graph[edge{fc, model.ClassJournal}]; !known {
						return true
					}
				}
			}
			for a := after.Threads[t].Held &^ held; a != 0; a &= a - 1 {
				tc, _ := model.LockID(bits.TrailingZeros64(a)).Class()
				for h := held; h != 0; h &= h - 1 {
					fc, _ := model.LockID(bits.TrailingZeros64(h)).Class()
					if _, known := graph[edge{fc, tc}]; fc != tc && !known {
						return true
					}
				}
			}
			return false
		},
		Traced: func(j *sim.Judge, k *model.Kernel, before, after *model.State, ev *model.Event) {
			t := ev.Thread
			held := before.Threads[t].Held
			acquired := after.Threads[t].Held &^ held
			if ev.WaitsCommit {
				// The thread waits in its next step, holding what it holds
				// after this one.
				waitHeld := after.Threads[t].Held
				if waitsCommit(j, k, after, ev, waitHeld) || commitEdges(j, k, after, ev, waitHeld, graph) {
					return
				}
			}
			for a := acquired; a != 0; a &= a - 1 {
				to := model.LockID(bits.TrailingZeros64(a))
				tc, _ := to.Class()
				for h := held; h != 0; h &= h - 1 {
					from := model.LockID(bits.TrailingZeros64(h))
					fc, _ := from.Class()
					if fc == tc {
						continue
					}
					e := edge{fc, tc}
					if _, known := graph[e]; known {
						continue
					}
					info := edgeInfo{desc: acquisition(k, before, ev, from, to), trace: j.Trace()}
					graph[e] = info
					if path := findPath(graph, tc, fc); path != nil {
						cycleReport(j, k, graph, e, path)
						return
					}
				}
			}
		},
	}
}

// commitEdges adds the edges of a wait for a journal commit: every lock held
// while waiting is ordered before jbd2_handle. It reports whether one closed a
// cycle.
func commitEdges(j *sim.Judge, k *model.Kernel, s *model.State, ev *model.Event, held uint64, graph map[edge]edgeInfo) bool {
	for h := held; h != 0; h &= h - 1 {
		from := model.LockID(bits.TrailingZeros64(h))
		fc, _ := from.Class()
		if fc == model.ClassJournal {
			continue
		}
		e := edge{fc, model.ClassJournal}
		if _, known := graph[e]; known {
			continue
		}
		graph[e] = edgeInfo{desc: acquisition(k, s, ev, from, model.LockJournal), trace: j.Trace()}
		if path := findPath(graph, model.ClassJournal, fc); path != nil {
			cycleReport(j, k, graph, e, path)
			return true
		}
	}
	return false
}

// waitsCommit is the C.2 invariant: a thread that waits for a commit holds no DAX
// entry lock and no journal handle. It reports whether the thread does.
func waitsCommit(j *sim.Judge, k *model.Kernel, s *model.State, ev *model.Event, held uint64) bool {
	for h := held; h != 0; h &= h - 1 {
		l := model.LockID(bits.TrailingZeros64(h))
		c, _ := l.Class()
		if c != model.ClassEntry && c != model.ClassJournal {
			continue
		}
		if j.Fail("waits-commit-holding-" + c.String()) {
			stmt := k.StmtAt(ev.Thread, ev.PC)
			j.Explain(fmt.Sprintf(
				"%s (%s) waits for a journal commit at %s holding %s: the commit waits for every handle, and handle holders may wait for %s (reference/linux-dax.md C.2)",
				k.ThreadName(ev.Thread), stmt.Text, ev.Fn, k.DescribeHeld(s, ev.Thread), k.LockName(l)))
		}
		return true
	}
	return false
}

func acquisition(k *model.Kernel, s *model.State, ev *model.Event, from, to model.LockID) string {
	stmt := k.StmtAt(ev.Thread, ev.PC)
	verb := "takes " + k.LockName(to)
	if ev.WaitsCommit && to == model.LockJournal {
		verb = "waits for a journal commit (every jbd2_handle)"
	}
	return fmt.Sprintf("%s (%s) %s at %s, holding %s", k.ThreadName(ev.Thread), stmt.Text, verb, ev.Fn,
		k.DescribeHeld(s, ev.Thread))
}

// findPath returns the edges of a path from -> ... -> to in the graph, or nil.
func findPath(graph map[edge]edgeInfo, from, to model.LockClass) []edge {
	var path []edge
	seen := map[model.LockClass]bool{}
	var dfs func(c model.LockClass) bool
	dfs = func(c model.LockClass) bool {
		if c == to {
			return true
		}
		seen[c] = true
		for n := model.LockClass(0); n < model.NumLockClasses; n++ {
			e := edge{c, n}
			if _, ok := graph[e]; ok && !seen[n] {
				path = append(path, e)
				if dfs(n) {
					return true
				}
				path = path[:len(path)-1]
			}
		}
		return false
	}
	if dfs(from) {
		return path
	}
	return nil
}

// cycleReport is lockdep's "possible circular locking dependency detected".
func cycleReport(j *sim.Judge, k *model.Kernel, graph map[edge]edgeInfo, closing edge, path []edge) {
	var classes []string
	classes = append(classes, closing.from.String(), closing.to.String())
	for _, e := range path[:len(path)-1] {
		classes = append(classes, e.to.String())
	}
	if !j.Fail("cycle " + strings.Join(classes, "->")) {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "possible circular locking dependency detected: %s -> %s\n", strings.Join(classes, " -> "), closing.from)
	fmt.Fprintf(&b, "  new order:      %s -> %s: %s\n", closing.from, closing.to, graph[closing].desc)
	fmt.Fprintf(&b, "  existing order (replayed below):")
	for i, e := range path {
		info := graph[e]
		fmt.Fprintf(&b, "\n  -> #%d %s -> %s: %s", len(path)-1-i, e.from, e.to, info.desc)
		j.Relate(fmt.Sprintf("%s -> %s first taken here", e.from, e.to), info.trace)
	}
	j.Explain(b.String())
}
