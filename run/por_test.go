package run

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model/proposals"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// porCase is one scenario to run with and without the reduction.
type porCase struct {
	name, path string
	src        []byte
	proposal   string
}

// porCases is every scenario file under testdata and every built-in workload
// under every proposal.
func porCases(t testing.TB) []porCase {
	t.Helper()
	var out []porCase
	err := filepath.WalkDir("../testdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".scn") {
			return err
		}
		src, err := os.ReadFile(path)
		out = append(out, porCase{name: path, path: path, src: src})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range scenarios.BuiltinNames() {
		src, _ := scenarios.Builtin(w)
		for _, p := range proposals.Names() {
			out = append(out, porCase{name: "builtin:" + w + "@" + p, path: "builtin:" + w, src: src, proposal: p})
		}
	}
	for n := 2; n <= 3; n++ {
		for _, p := range []string{"flip-dontcache", "flip-xarray-check"} {
			out = append(out, porCase{name: fmt.Sprintf("perf-n%d@%s", n, p), path: "perf.scn", src: []byte(perfScenario(n, p))})
		}
	}
	// The same workload judged by every property, crashes anywhere, under
	// every proposal.
	for _, p := range proposals.Names() {
		src := strings.Replace(perfScenario(2, p), "crash never\ncheck aops-consistent no-deadlock\n", "", 1)
		out = append(out, porCase{name: "perf-n2-all@" + p, path: "perf.scn", src: []byte(src)})
	}
	return out
}

func (c porCase) build(t testing.TB) *scenarios.Built {
	t.Helper()
	scn, err := scenarios.Parse(c.path, c.src, ParseOptions())
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	b, err := scenarios.Build(scn, scenarios.Options{Proposal: c.proposal})
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	return b
}

// runReduced is RunMode's exhaustive search and judgement with the
// partial-order reduction, and its witnesses re-shortened.
func runReduced(b *scenarios.Built, opt sim.Options) (*Report, *sim.POR) {
	r := &Report{Built: b, Opt: Options{Sim: opt}}
	cfg := checker.Config{Crash: b.Scn.Crash}
	names, implicit := selectProperties(b.Scn)
	results := expectResultChecks(b)
	por := POR(b)
	opt.Reduce = por
	res := sim.Explore(b.Kernel, &b.Init, Checks(b), opt)
	res, _ = sim.Reshorten(b.Kernel, &b.Init, func() []sim.Check { return Checks(b) }, opt, res)
	r.Result = res
	for _, n := range names {
		r.Props = append(r.Props, judgeProperty(n, implicit[n], cfg, res))
	}
	for i, e := range b.Scn.Expects {
		r.Expects = append(r.Expects, r.judgeExpect(e, i, results, res))
	}
	r.Exit = r.exitCode()
	return r, por
}

// classLengths is, for each witnessed class of a property, the length of its
// shortest witness ("*" for the property's shortest over its classes).
func classLengths(p PropResult) map[string]int {
	out := map[string]int{}
	for _, w := range p.Witnesses {
		if n, ok := out[w.Class]; !ok || len(w.Trace) < n {
			out[w.Class] = len(w.Trace)
		}
		if n, ok := out["*"]; !ok || len(w.Trace) < n {
			out["*"] = len(w.Trace)
		}
	}
	return out
}

// TestPORKeepsVerdicts runs every scenario file under testdata and the
// built-in suite under every proposal with the partial-order reduction on and
// off, and compares every property verdict, the shortest witness length of
// every class witnessed (lock-order: of the property, whose classes name the
// cycle as the search order closes it), every expect line's outcome and
// witness length, the terminal states and the exit status.
func TestPORKeepsVerdicts(t *testing.T) {
	var full, reduced, expanded, singled int64
	for _, c := range porCases(t) {
		opt := sim.Options{MaxStates: 2_000_000}
		r0 := RunMode(c.build(t), Options{Sim: opt, NoSymmetry: true})
		r1, por := runReduced(c.build(t), opt)
		s, f := por.Stats()
		singled, expanded = singled+s, expanded+f
		full, reduced = full+int64(r0.Result.States), reduced+int64(r1.Result.States)
		var diffs []string
		if r0.Result.Complete != r1.Result.Complete || r0.Result.Terminal != r1.Result.Terminal {
			diffs = append(diffs, fmt.Sprintf("complete %v/%v, terminal states %d/%d", r0.Result.Complete,
				r1.Result.Complete, r0.Result.Terminal, r1.Result.Terminal))
		}
		for i := range r0.Props {
			p0, p1 := r0.Props[i], r1.Props[i]
			if p0.Verdict != p1.Verdict {
				diffs = append(diffs, fmt.Sprintf("%s: %s without, %s with", p0.Name, p0.Verdict, p1.Verdict))
				continue
			}
			l0, l1 := classLengths(p0), classLengths(p1)
			if p0.Name == "lock-order" {
				l0, l1 = map[string]int{"*": l0["*"]}, map[string]int{"*": l1["*"]}
			}
			for _, k := range mergedKeys(l0, l1) {
				if l0[k] != l1[k] {
					diffs = append(diffs, fmt.Sprintf("%s %s: shortest witness %d steps without, %d with", p0.Name, k, l0[k], l1[k]))
				}
			}
		}
		for i := range r0.Expects {
			e0, e1 := r0.Expects[i], r1.Expects[i]
			if e0.Holds != e1.Holds {
				diffs = append(diffs, fmt.Sprintf("%s: %s without, %s with (%s)", e0.Text, e0.Holds, e1.Holds, e1.Why))
			}
			if (e0.Witness == nil) != (e1.Witness == nil) || e0.Witness != nil && len(e0.Witness.Trace) != len(e1.Witness.Trace) {
				diffs = append(diffs, fmt.Sprintf("%s: witness differs", e0.Text))
			}
		}
		if r0.Exit != r1.Exit {
			diffs = append(diffs, fmt.Sprintf("exit %d without, %d with", r0.Exit, r1.Exit))
		}
		if len(diffs) > 0 {
			t.Errorf("%s:\n  %s", c.name, strings.Join(diffs, "\n  "))
		}
	}
	t.Logf("states: %d without the reduction, %d with (%.2fx); expanded with some threads: %d, with all: %d",
		full, reduced, float64(full)/float64(max(reduced, 1)), singled, expanded)
}

func mergedKeys(a, b map[string]int) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// TestReshorten: a reduced search's witnesses are no shorter than the
// unreduced search's (per check and class) and some are longer; after
// sim.Reshorten every one is as short as the unreduced search's shortest,
// and replays.
func TestReshorten(t *testing.T) {
	type key struct{ check, class string }
	longer := 0
	for _, c := range porCases(t) {
		b := c.build(t)
		full := sim.Explore(b.Kernel, &b.Init, Checks(b), sim.Options{})
		shortest := map[key]int{}
		for _, v := range full.Violations {
			shortest[key{v.Check, v.Class}] = len(v.Trace)
		}
		red := sim.Explore(b.Kernel, &b.Init, Checks(b), sim.Options{Reduce: POR(b)})
		short, rs := sim.Reshorten(b.Kernel, &b.Init, func() []sim.Check { return Checks(b) }, sim.Options{}, red)
		if len(red.Violations) > 0 && (!rs.Complete || rs.Depth == 0) {
			t.Errorf("%s: the bounded search was cut: %+v", c.name, rs)
		}
		for _, v := range red.Violations {
			n, ok := shortest[key{v.Check, v.Class}]
			switch {
			case v.Check == "lock-order":
			case !ok:
				t.Errorf("%s: %s %s: only the reduced search witnesses it", c.name, v.Check, v.Class)
			case len(v.Trace) < n:
				t.Errorf("%s: %s %s: the reduced witness (%d steps) is shorter than the shortest (%d)", c.name, v.Check, v.Class, len(v.Trace), n)
			case len(v.Trace) > n:
				longer++
			}
		}
		for _, v := range short.Violations {
			if n, ok := shortest[key{v.Check, v.Class}]; ok && len(v.Trace) != n {
				t.Errorf("%s: %s %s: re-shortened to %d steps, the shortest has %d", c.name, v.Check, v.Class, len(v.Trace), n)
			}
			if _, err := sim.Replay(b.Kernel, &b.Init, v.Trace); err != nil {
				t.Errorf("%s: %s %s: the re-shortened witness does not replay: %v", c.name, v.Check, v.Class, err)
			}
		}
	}
	if longer == 0 {
		t.Error("no reduced witness was longer than the shortest: this test shows nothing")
	}
	t.Logf("%d reduced witnesses were longer than the shortest", longer)
}

// BenchmarkPORSuite runs every scenario under testdata and the built-in
// suite under every proposal (porCases, without the perf workloads) with the
// reduction off and on (on: with re-shortening), one worker, and reports the
// total states and CPU seconds.
func BenchmarkPORSuite(b *testing.B) {
	var cases []porCase
	for _, c := range porCases(b) {
		if !strings.HasPrefix(c.name, "perf-") {
			cases = append(cases, c)
		}
	}
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("por=%v", on), func(b *testing.B) {
			states, cpu := 0, time.Duration(0)
			for i := 0; i < b.N; i++ {
				states = 0
				c0 := cpuTime()
				for _, c := range cases {
					opt := sim.Options{MaxStates: 2_000_000, Workers: 1}
					var r *Report
					if on {
						r, _ = runReduced(c.build(b), opt)
					} else {
						r = RunMode(c.build(b), Options{Sim: opt, NoSymmetry: true})
					}
					states += r.Result.States
				}
				cpu = cpuTime() - c0
			}
			b.ReportMetric(float64(len(cases)), "scenarios")
			b.ReportMetric(float64(states), "states")
			b.ReportMetric(cpu.Seconds(), "cpu-s")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
