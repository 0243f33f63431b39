package run_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model/proposals"
	"github.com/daxsim/daxsim/report"
	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// genScenario draws a small scenario: one or two files, two or three threads in
// one or two processes, each thread opening a file and running up to three more
// statements over the statement vocabulary. Randomness comes from rapid's draws
// only, so failures shrink.
func genScenario(t *rapid.T, proposal string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario gen\nproposal %s\n", proposal)
	nfiles := rapid.IntRange(1, 2).Draw(t, "files")
	files := []string{"f", "g"}[:nfiles]
	pages := make([]int, nfiles)
	for i, f := range files {
		pages[i] = rapid.IntRange(1, 2).Draw(t, "pages")
		ext := rapid.SampledFrom([]string{"hole", "written", "unwritten"}).Draw(t, "extents")
		dax := rapid.SampledFrom([]string{"on", "off"}).Draw(t, "dax")
		fmt.Fprintf(&b, "file %s pages=%d dax=%s extents=%s\n", f, pages[i], dax, ext)
	}
	b.WriteString("process p uid=0 caps=cap_linux_immutable\nprocess q uid=1000\n")
	nthreads := rapid.IntRange(2, 3).Draw(t, "threads")
	for th := 0; th < nthreads; th++ {
		fi := rapid.IntRange(0, nfiles-1).Draw(t, "file")
		proc := rapid.SampledFrom([]string{"p", "q"}).Draw(t, "proc")
		np := pages[fi]
		fmt.Fprintf(&b, "thread t%d %s\n  open %s rw as fd\n", th, proc, files[fi])
		mapped := false
		n := rapid.IntRange(1, 3).Draw(t, "stmts")
		for s := 0; s < n; s++ {
			pg := rapid.IntRange(0, np-1).Draw(t, "page")
			val := rapid.SampledFrom([]string{"A", "B"}).Draw(t, "value")
			ops := []string{"write", "read", "fsync", "fdatasync", "truncate", "punch", "fallocate", "setflag", "statx"}
			if !mapped {
				ops = append(ops, "mmap", "mmap")
			} else {
				ops = append(ops, "store", "store", "load", "flush", "msync")
			}
			switch op := rapid.SampledFrom(ops).Draw(t, "op"); op {
			case "mmap":
				flags := rapid.SampledFrom([]string{"shared", "shared,validate,sync", "private"}).Draw(t, "flags")
				fmt.Fprintf(&b, "  mmap fd 0-%d %s rw as m\n", np-1, flags)
				mapped = true
			case "store":
				fmt.Fprintf(&b, "  store m %d %s\n", pg, val)
			case "load", "flush":
				fmt.Fprintf(&b, "  %s m %d\n", op, pg)
			case "msync":
				b.WriteString("  msync m\n")
			case "write":
				fmt.Fprintf(&b, "  write fd %d %s\n", pg, val)
			case "read", "punch", "fallocate":
				fmt.Fprintf(&b, "  %s fd %d\n", op, pg)
			case "truncate":
				fmt.Fprintf(&b, "  truncate fd %d\n", pg)
			case "setflag":
				fmt.Fprintf(&b, "  setflag fd dax=%s\n", rapid.SampledFrom([]string{"on", "off"}).Draw(t, "flag"))
			default:
				fmt.Fprintf(&b, "  %s fd\n", op)
			}
		}
	}
	return b.String()
}

// TestMain fixes rapid's seed unless one is given (-rapid.seed or RAPID_SEED), so
// that 'make test' is deterministic; 'make fuzz' runs the same properties with
// fresh seeds and more checks.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("rapid.seed"); f != nil && f.Value.String() == "0" && os.Getenv("RAPID_SEED") == "" {
		f.Value.Set("20261121")
	}
	os.Exit(m.Run())
}

// contract is what the linux model promises: every property but flush-is-durable.
var contract = []string{"aops-consistent", "no-lost-block", "no-stale-pte", "no-deadlock", "lock-order",
	"read-your-writes", "no-data-leak", "no-denial"}

// checkGenerated builds and explores a generated scenario; it fails t with the
// scenario text (and writes it to failPath, when set) if a contract property is
// violated. Incomplete searches are skipped.
func checkGenerated(t *rapid.T, src string, mutants []string, failPath string) {
	src += "check " + strings.Join(contract, " ") + "\n"
	scn, err := scenarios.Parse("gen.scn", []byte(src), scenarios.ParseOptions{})
	if err != nil {
		t.Fatalf("generated scenario does not parse: %v\n%s", err, src)
	}
	b, err := scenarios.Build(scn, scenarios.Options{Mutants: mutants})
	if err != nil {
		t.Fatalf("generated scenario does not build: %v\n%s", err, src)
	}
	r := run.Run(b, sim.Options{MaxStates: 20000})
	for _, p := range r.Props {
		if p.Verdict == run.Violation {
			if failPath != "" {
				os.MkdirAll(filepath.Dir(failPath), 0o755)
				os.WriteFile(failPath, []byte("# written by the rapid test: the smallest scenario it found\n"+src), 0o644)
			}
			t.Fatalf("%s violated (%s): %s\n%s", p.Name, p.Witnesses[0].Class, p.Witnesses[0].Msg, src)
		}
	}
}

// TestRapidLinuxContract: random workloads over the statement vocabulary never
// break the linux model's contract; a failure is shrunk by rapid, saved under
// testdata/rapid/ (replayed on every later run) and written out as a .scn file.
func TestRapidLinuxContract(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkGenerated(t, genScenario(t, "linux"), nil, "testdata/rapid/TestRapidLinuxContract.scn")
	})
}

// TestRapidEveryProposal: every proposal runs every generated workload without a
// panic, deterministically.
func TestRapidEveryProposal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.SampledFrom(proposals.Names()).Draw(t, "proposal")
		src := genScenario(t, p)
		scn, err := scenarios.Parse("gen.scn", []byte(src), scenarios.ParseOptions{})
		if err != nil {
			t.Fatalf("%v\n%s", err, src)
		}
		checkText := func() string {
			b, err := scenarios.Build(scn, scenarios.Options{})
			if err != nil {
				t.Fatalf("%v\n%s", err, src)
			}
			var out strings.Builder
			report.WriteText(&out, run.Run(b, sim.Options{MaxStates: 5000}), false)
			return out.String()
		}
		if a, b := checkText(), checkText(); a != b {
			t.Fatalf("two runs of the same scenario differ\n%s", src)
		}
	})
}

// recorder is a rapid.TB that records a failure instead of failing the test.
type recorder struct {
	name   string
	failed bool
	msg    strings.Builder
}

type stop struct{}

func (r *recorder) Helper()                         {}
func (r *recorder) Name() string                    { return r.name }
func (r *recorder) Logf(format string, args ...any) { fmt.Fprintf(&r.msg, format+"\n", args...) }
func (r *recorder) Log(args ...any)                 { fmt.Fprintln(&r.msg, args...) }
func (r *recorder) Skipf(string, ...any)            { panic(stop{}) }
func (r *recorder) Skip(...any)                     { panic(stop{}) }
func (r *recorder) SkipNow()                        { panic(stop{}) }
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	fmt.Fprintf(&r.msg, format+"\n", args...)
}
func (r *recorder) Error(args ...any)                 { r.failed = true; fmt.Fprintln(&r.msg, args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); panic(stop{}) }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); panic(stop{}) }
func (r *recorder) FailNow()                          { r.failed = true; panic(stop{}) }
func (r *recorder) Fail()                             { r.failed = true }
func (r *recorder) Failed() bool                      { return r.failed }

// TestRapidFindsBrokenKernel: with a seeded bug (the journal commit without its
// preflush), the same random workloads find the violation, rapid shrinks it to a
// scenario of a few statements, and that scenario, read back from the .scn file
// it was written to, reproduces the violation with daxsim's own parser and
// checker.
func TestRapidFindsBrokenKernel(t *testing.T) {
	if f := flag.Lookup("rapid.nofailfile"); f != nil {
		f.Value.Set("true") // the broken kernel's failures are not regressions to keep
		defer f.Value.Set("false")
	}
	out := filepath.Join(t.TempDir(), "shrunk.scn")
	rec := &recorder{name: t.Name()}
	func() {
		defer func() {
			if p := recover(); p != nil {
				if _, ok := p.(stop); !ok {
					panic(p)
				}
			}
		}()
		rapid.Check(rec, func(t *rapid.T) {
			checkGenerated(t, genScenario(t, "linux"), []string{"commit-no-preflush"}, out)
		})
	}()
	if !rec.failed {
		t.Fatal("rapid found no violation of the broken kernel")
	}
	src, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no shrunk scenario written: %v", err)
	}
	stmts := 0
	for _, l := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(l, "  ") {
			stmts++
		}
	}
	if stmts > 8 {
		t.Errorf("the shrunk scenario has %d statements:\n%s", stmts, src)
	}
	scn, err := scenarios.ParseFile(out, scenarios.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := scenarios.Build(scn, scenarios.Options{Mutants: []string{"commit-no-preflush"}})
	if err != nil {
		t.Fatal(err)
	}
	r := run.Run(b, sim.Options{MaxStates: 20000})
	violated := false
	for _, p := range r.Props {
		violated = violated || p.Verdict == run.Violation
	}
	if !violated {
		t.Fatalf("the written scenario does not reproduce the violation:\n%s", src)
	}
	b2, _ := scenarios.Build(scn, scenarios.Options{})
	for _, p := range run.Run(b2, sim.Options{MaxStates: 20000}).Props {
		if p.Verdict == run.Violation {
			t.Fatalf("without the seeded bug the shrunk scenario still violates %s:\n%s", p.Name, src)
		}
	}
	t.Logf("shrunk to %d statements:\n%s", stmts, src)
}

// twinThread appends to a generated scenario a copy of its thread t0 (same
// process, same program, its own descriptors and mappings, other values): a
// pair of interchangeable threads for the symmetry reduction.
func twinThread(src string) string {
	i := strings.Index(src, "thread t0 ")
	block := src[i:]
	if j := strings.Index(block[1:], "\nthread "); j >= 0 {
		block = block[:j+2]
	}
	twin := strings.Replace(block, "thread t0 ", "thread tw ", 1)
	twin = strings.NewReplacer(" A\n", " C\n", " B\n", " D\n").Replace(twin)
	return src + twin
}

// TestRapidSymmetry: on random workloads with a pair of interchangeable
// threads, under random proposals, the search with thread symmetry gives the
// same verdicts and counterexample lengths as the search without, and every
// counterexample it reports reproduces on the scenario's own threads.
func TestRapidSymmetry(t *testing.T) {
	names := proposals.Names()
	rapid.Check(t, func(t *rapid.T) {
		proposal := rapid.SampledFrom(names).Draw(t, "proposal")
		src := twinThread(genScenario(t, proposal))
		scn, err := scenarios.Parse("gen.scn", []byte(src), scenarios.ParseOptions{})
		if err != nil {
			t.Fatalf("does not parse: %v\n%s", err, src)
		}
		b, err := scenarios.Build(scn, scenarios.Options{})
		if err != nil {
			t.Fatalf("does not build: %v\n%s", err, src)
		}
		opt := sim.Options{MaxStates: 30000}
		on := run.RunMode(b, run.Options{Sim: opt})
		off := run.RunMode(b, run.Options{Sim: opt, NoSymmetry: true, NoPOR: true})
		if on.Symmetry == nil {
			t.Fatalf("no symmetry found between t0 and its twin\n%s", src)
		}
		if !on.Result.Complete || !off.Result.Complete {
			t.Skip("too big")
		}
		for i := range off.Props {
			a, c := on.Props[i], off.Props[i]
			if a.Verdict != c.Verdict || len(a.Witnesses) != len(c.Witnesses) {
				t.Fatalf("%s: %s (%d classes) with symmetry, %s (%d) without\n%s", a.Name, a.Verdict, len(a.Witnesses),
					c.Verdict, len(c.Witnesses), src)
			}
			for j := range c.Witnesses {
				wa, wc := a.Witnesses[j], c.Witnesses[j]
				if wa.Class != wc.Class || len(wa.Trace) != len(wc.Trace) {
					t.Fatalf("%s witness %d: %s/%d steps with symmetry, %s/%d without\n%s", a.Name, j, wa.Class,
						len(wa.Trace), wc.Class, len(wc.Trace), src)
				}
				var related [][]int
				for _, r := range wa.Related {
					related = append(related, r.Trace)
				}
				if ok, why := run.Reproduce(b, checker.Config{Crash: b.Scn.Crash}, wa.Check, wa.Class, wa.Trace, related); !ok {
					t.Fatalf("translated witness of %s does not reproduce: %s\n%s", a.Name, why, src)
				}
			}
		}
	})
}
