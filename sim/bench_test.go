package sim_test

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// scaledAopsSwap is the aops-swap workload with n faulting threads on a 2-page
// non-DAX file (threads alternate between two processes) and one flipper turning
// FS_XFLAG_DAX on.
func scaledAopsSwap(n int, proposal string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "scenario aops-swap-%d\nproposal %s\nfile f pages=2 dax=off\nprocess app1 uid=1000\nprocess app2 uid=1000\nprocess admin uid=0\n", n, proposal)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "thread t%d app%d\n  open f rw as fd\n  mmap fd 0-1 shared rw as m\n  store m %d V%d\n", i+1, i%2+1, i%2, i+1)
	}
	b.WriteString("thread flip admin\n  open f rw as fd\n  setflag fd dax=on\n")
	return b.String()
}

// perfScenario is the workload the SPIN model of the race is compared with
// (bench/perf-scenario.sh N PROPOSAL): n threads load then store their page of a
// 2-page DAX file through shared mappings while a flipper turns DAX off.
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

func buildSrc(tb testing.TB, src string) *scenarios.Built {
	scn, err := scenarios.Parse("bench.scn", []byte(src), scenarios.ParseOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := scenarios.Build(scn, scenarios.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func buildScaled(tb testing.TB, n int, proposal string) *scenarios.Built {
	return buildSrc(tb, scaledAopsSwap(n, proposal))
}

func propertyChecks() []sim.Check {
	var cs []sim.Check
	for _, n := range []string{"aops-consistent", "no-deadlock"} {
		p, _ := checker.Lookup(n)
		cs = append(cs, p.Check(checker.Config{}))
	}
	return cs
}

// benchWorkers is DAXSIM_BENCH_WORKERS, or GOMAXPROCS (daxsim's default).
func benchWorkers() int {
	if n, err := strconv.Atoi(os.Getenv("DAXSIM_BENCH_WORKERS")); err == nil && n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// benchMaxN is DAXSIM_BENCH_MAXN, the largest thread count searched exhaustively,
// or by default def: 5 for the safe proposal (N=5 perf: 8.8M states, N=6 about
// 150M), 4 for the racy one (N=5 perf: 52M states, minutes and 2 GB).
func benchMaxN(def int) int {
	if n, err := strconv.Atoi(os.Getenv("DAXSIM_BENCH_MAXN")); err == nil && n > 0 {
		return n
	}
	return def
}

// rss is the resident set size of the process, in bytes (0 when unknown).
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// BenchmarkAopsSwap explores the scaled aops-swap workload and the SPIN-comparison
// workload (perf) with N faulting threads, under a safe proposal (flip-dontcache:
// the whole space) and a racy one (flip-xarray-check: the whole space, and with
// -stop-first), N=2..6 (see benchMaxN for the whole spaces), with GOMAXPROCS workers
// (daxsim's default; DAXSIM_BENCH_WORKERS). It reports states, transitions,
// transitions/s per core, bytes per state (rss-B/state: the growth of the
// process's resident memory during the search; B/state: the search structures
// at their peak; stored-B/state: visited set and tree at the end), and the time
// to the first counterexample. 'make bench' runs it once per size.
func BenchmarkAopsSwap(b *testing.B) {
	workloads := []struct {
		name string
		src  func(int, string) string
	}{{"scaled", scaledAopsSwap}, {"perf", perfScenario}}
	for _, wl := range workloads {
		for _, run := range []struct {
			proposal  string
			stopFirst bool
			maxN      int
		}{{"flip-dontcache", false, 5}, {"flip-xarray-check", false, 4}, {"flip-xarray-check", true, 6}} {
			for n := 2; n <= 6; n++ {
				name := fmt.Sprintf("%s/%s/threads=%d", wl.name, run.proposal, n)
				if run.stopFirst {
					name += "/stop-first"
				}
				b.Run(name, func(b *testing.B) {
					if n > benchMaxN(run.maxN) && !run.stopFirst {
						b.Skipf("N=%d: set DAXSIM_BENCH_MAXN=%d", n, n)
					}
					built := buildSrc(b, wl.src(n, run.proposal))
					workers := benchWorkers()
					var res *sim.Result
					var peakRSS, baseRSS int64
					for i := 0; i < b.N; i++ {
						runtime.GC()
						baseRSS = rss()
						peakRSS = baseRSS
						opt := sim.Options{Workers: workers, StopFirst: run.stopFirst,
							Progress: func(sim.Progress) { peakRSS = max(peakRSS, rss()) }}
						res = sim.Explore(built.Kernel, &built.Init, propertyChecks(), opt)
					}
					if !res.Complete && !run.stopFirst {
						b.Fatalf("incomplete: %s", res.Limit)
					}
					b.ReportMetric(float64(res.States), "states")
					b.ReportMetric(float64(res.Transitions), "transitions")
					b.ReportMetric(float64(res.Transitions)/res.Elapsed.Seconds()/float64(workers), "trans/s/core")
					b.ReportMetric(float64(res.PeakBytes)/float64(res.States), "B/state")
					b.ReportMetric(float64(res.StoredBytes)/float64(res.States), "stored-B/state")
					if peakRSS > baseRSS {
						b.ReportMetric(float64(peakRSS-baseRSS)/float64(res.States), "rss-B/state")
					}
					if len(res.Violations) > 0 {
						first := res.Violations[0]
						b.ReportMetric(float64(first.At.Microseconds())/1000, "ms-to-first-cex")
						b.ReportMetric(float64(len(first.Trace)), "cex-steps")
					}
				})
			}
		}
	}
}
