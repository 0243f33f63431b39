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

func buildScaled(tb testing.TB, n int, proposal string) *scenarios.Built {
	scn, err := scenarios.Parse("bench.scn", []byte(scaledAopsSwap(n, proposal)), scenarios.ParseOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := scenarios.Build(scn, scenarios.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return b
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

// BenchmarkAopsSwap explores the scaled aops-swap workload exhaustively under a
// safe proposal (flip-dontcache) and a racy one (flip-xarray-check) and reports
// states, states/s, bytes per stored state and the time to the first
// counterexample, with GOMAXPROCS workers (daxsim's default). 'make bench' runs it
// once per size.
func BenchmarkAopsSwap(b *testing.B) {
	for _, proposal := range []string{"flip-dontcache", "flip-xarray-check"} {
		for n := 2; n <= 5; n++ {
			b.Run(fmt.Sprintf("%s/threads=%d", proposal, n), func(b *testing.B) {
				built := buildScaled(b, n, proposal)
				var res *sim.Result
				for i := 0; i < b.N; i++ {
					res = sim.Explore(built.Kernel, &built.Init, propertyChecks(), sim.Options{MaxStates: 20_000_000, MeasureMemory: true,
						Workers: benchWorkers()})
				}
				if !res.Complete {
					b.Fatalf("incomplete: %s", res.Limit)
				}
				b.ReportMetric(float64(res.States), "states")
				b.ReportMetric(float64(res.States)/res.Elapsed.Seconds(), "states/s")
				b.ReportMetric(float64(res.StoredBytes)/float64(res.States), "B/state")
				if len(res.Violations) > 0 {
					first := res.Violations[0]
					b.ReportMetric(float64(first.At.Microseconds())/1000, "ms-to-first-cex")
					b.ReportMetric(float64(len(first.Trace)), "cex-steps")
				}
			})
		}
	}
}
