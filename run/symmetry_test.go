package run

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/model/proposals"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// symmetryCases is every scenario file under testdata/ (the known
// disagreements with Linux included: they run all the same), each under its
// own proposal, the benchmark workload at N=3 and 4, and the built-in suite
// under every proposal.
func symmetryCases(t *testing.T) []*scenarios.Built {
	t.Helper()
	var out []*scenarios.Built
	opts := ParseOptions()
	add := func(path string, src []byte, bo scenarios.Options) {
		scn, err := scenarios.Parse(path, src, opts)
		if err != nil {
			t.Fatal(err)
		}
		b, err := scenarios.Build(scn, bo)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	filepath.WalkDir("../testdata", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".scn") {
			src, _ := os.ReadFile(path)
			add(path, src, scenarios.Options{})
		}
		return err
	})
	for _, n := range []int{3} {
		for _, p := range []string{"flip-dontcache", "flip-xarray-check"} {
			add(fmt.Sprintf("perf-%d-%s", n, p), []byte(perfScenario(n, p)), scenarios.Options{})
		}
	}
	for _, name := range scenarios.BuiltinNames() {
		src, _ := scenarios.Builtin(name)
		for _, p := range proposals.Names() {
			add("builtin:"+name, src, scenarios.Options{Proposal: p})
		}
	}
	return out
}

// perfScenario is ../shared/bench/perf-scenario.sh: the aops-swap race with n
// faulting threads on 2 pages in two processes, plus a flipper.
func perfScenario(n int, proposal string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario perf-n%d-%s\nproposal %s\nfs xfs\nfile f pages=2 dax=on extents=written\n", n, proposal, proposal)
	b.WriteString("process p0 uid=1000\nprocess p1 uid=1000\nprocess root uid=0 caps=cap_linux_immutable\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "thread t%d p%d\n  open f rw as fd\n  mmap fd 0-1 shared rw as m\n  load m %d\n  store m %d V%d\n", i, i%2, i%2, i%2, i)
	}
	b.WriteString("thread flip root\n  open f rw as fd\n  setflag fd dax=off\ncrash never\ncheck aops-consistent no-deadlock\n")
	return b.String()
}

// TestSymmetryKeepsVerdicts: with thread symmetry and partial-order
// reduction (the default) and with neither, every
// property verdict, every expect line's outcome and every counterexample's
// length are the same, and every counterexample of the reduced search
// reproduces on the scenario's own threads. The reduction must also have
// merged states somewhere, or the test would compare nothing.
func TestSymmetryKeepsVerdicts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole suite twice")
	}
	reduced, fewer := 0, 0
	for _, b := range symmetryCases(t) {
		name := b.Scn.Path + " " + b.Kernel.Proposal
		limit := sim.Options{MaxStates: 300_000, Workers: 2}
		on := RunMode(b, Options{Sim: limit})
		off := RunMode(b, Options{Sim: limit, NoSymmetry: true, NoPOR: true})
		if on.Symmetry == nil {
			continue
		}
		reduced++
		if on.Result.States < off.Result.States {
			fewer++
		}
		if on.Result.Complete != off.Result.Complete {
			t.Errorf("%s: complete %v with symmetry, %v without", name, on.Result.Complete, off.Result.Complete)
			continue
		}
		for i := range off.Props {
			a, c := on.Props[i], off.Props[i]
			if a.Verdict != c.Verdict || len(a.Witnesses) != len(c.Witnesses) {
				t.Errorf("%s: %s is %s (%d classes) with symmetry, %s (%d) without", name, a.Name, a.Verdict, len(a.Witnesses),
					c.Verdict, len(c.Witnesses))
				continue
			}
			for j := range c.Witnesses {
				wa, wc := a.Witnesses[j], c.Witnesses[j]
				if wa.Class != wc.Class || len(wa.Trace) != len(wc.Trace) {
					t.Errorf("%s: %s witness %d is %s/%d steps with symmetry, %s/%d without", name, a.Name, j,
						wa.Class, len(wa.Trace), wc.Class, len(wc.Trace))
				}
				var related [][]int
				for _, r := range wa.Related {
					related = append(related, r.Trace)
				}
				if ok, why := Reproduce(b, checker.Config{Crash: b.Scn.Crash}, wa.Check, wa.Class, wa.Trace, related); !ok {
					t.Errorf("%s: the translated witness does not reproduce: %s", name, why)
				}
			}
		}
		for i := range off.Expects {
			if on.Expects[i].Holds != off.Expects[i].Holds {
				t.Errorf("%s: %s %s with symmetry, %s without", name, off.Expects[i].Text, on.Expects[i].Holds, off.Expects[i].Holds)
			}
		}
	}
	t.Logf("%d runs with symmetric threads, %d of them with fewer states", reduced, fewer)
	if reduced < 4 || fewer < 4 {
		t.Fatalf("only %d runs had symmetric threads (%d fewer states): the test compares too little", reduced, fewer)
	}
}

// TestQuotientAcyclic: the graph of class representatives is acyclic, as the
// partial-order reduction's cycle proviso needs when it runs on
// representatives (the unreduced graph's acyclicity is sim's
// TestStateGraphAcyclic): a depth-first search over the representatives of
// every scenario with interchangeable threads never meets a state on its own
// path.
func TestQuotientAcyclic(t *testing.T) {
	worlds, total := 0, 0
	for _, b := range symmetryCases(t) {
		y := symmetryFor(b)
		if y == nil {
			continue
		}
		worlds++
		k := b.Kernel
		const onPath, done = 1, 2
		init := b.Init
		mark := map[model.State]uint8{init: onPath}
		type frame struct {
			s    model.State
			next int
		}
		stack := []frame{{s: init}}
		var ev model.Event
		for len(stack) > 0 && len(mark) < 200_000 {
			top := &stack[len(stack)-1]
			if top.next >= len(k.Threads) {
				mark[top.s] = done
				stack = stack[:len(stack)-1]
				continue
			}
			th := top.next
			top.next++
			n := top.s
			if !k.Exec(&n, th, &ev) {
				continue
			}
			y.Canonicalize(k, &n)
			switch mark[n] {
			case onPath:
				t.Fatalf("%s: a cycle of representatives: thread %s at %s", b.Scn.Path, k.ThreadName(th), ev.Fn)
			case 0:
				mark[n] = onPath
				stack = append(stack, frame{s: n})
			}
		}
		total += len(mark)
	}
	if worlds < 4 {
		t.Fatalf("only %d scenarios with interchangeable threads", worlds)
	}
	t.Logf("%d scenarios, %d representatives", worlds, total)
}
