package sim_test

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/sim"
)

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPOR explores the perf workload (../shared/bench/perf-scenario.sh N
// PROPOSAL) with partial-order reduction off and on, one worker, and reports
// states, transitions, CPU seconds (the machine is shared: wall time is not
// the measure) and the shortest counterexample, re-shortened, with the CPU
// time of the re-shortening. N runs from 2 to DAXSIM_POR_MAXN (default 4);
// the unreduced searches stop at N=5 (DAXSIM_POR_OFF_N: 12M states), the
// racy one at N=4 (DAXSIM_POR_RACY_OFF_N: 52M states at N=5).
func BenchmarkPOR(b *testing.B) {
	maxN := envInt("DAXSIM_POR_MAXN", 4)
	offN := envInt("DAXSIM_POR_OFF_N", 5)
	racyOff := envInt("DAXSIM_POR_RACY_OFF_N", 4)
	for _, proposal := range []string{"flip-dontcache", "flip-xarray-check"} {
		for n := 2; n <= maxN; n++ {
			for _, on := range []bool{false, true} {
				name := fmt.Sprintf("%s/threads=%d/por=%v", proposal, n, on)
				b.Run(name, func(b *testing.B) {
					if !on && proposal == "flip-xarray-check" && n > racyOff {
						b.Skipf("set DAXSIM_POR_RACY_OFF_N=%d", n)
					}
					if !on && n > offN {
						b.Skipf("set DAXSIM_POR_OFF_N=%d", n)
					}
					built := buildSrc(b, perfScenario(n, proposal))
					var res *sim.Result
					var cpu, reCPU time.Duration
					var rs sim.Reshortening
					for i := 0; i < b.N; i++ {
						opt := sim.Options{Workers: 1}
						if on {
							opt.Reduce = run.POR(built)
						}
						c0 := cpuTime()
						res = sim.Explore(built.Kernel, &built.Init, run.Checks(built), opt)
						c1 := cpuTime()
						cpu = c1 - c0
						if on {
							res, rs = sim.Reshorten(built.Kernel, &built.Init, func() []sim.Check { return run.Checks(built) }, opt, res)
							reCPU = cpuTime() - c1
						}
					}
					if !res.Complete {
						b.Fatalf("incomplete: %s", res.Limit)
					}
					b.ReportMetric(float64(res.States), "states")
					b.ReportMetric(float64(res.Transitions), "transitions")
					b.ReportMetric(cpu.Seconds(), "cpu-s")
					if len(res.Violations) > 0 {
						short := res.Violations[0]
						for _, v := range res.Violations {
							if len(v.Trace) < len(short.Trace) {
								short = v
							}
						}
						b.ReportMetric(float64(len(short.Trace)), "cex-steps")
						if on {
							b.ReportMetric(reCPU.Seconds(), "reshorten-cpu-s")
							b.ReportMetric(float64(rs.States), "reshorten-states")
						}
					}
				})
			}
		}
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
