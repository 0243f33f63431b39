package sim_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// TestOutcomesAgreeWithExpectLines: for every scenario file under testdata/
// whose outcomes can be enumerated, every outcome tuple gives each statement an
// "expect result" line names one of the results the line allows: two ways of
// reading the state space (the checker's per-transition check and the
// outcome enumeration) agree.
func TestOutcomesAgreeWithExpectLines(t *testing.T) {
	files, _ := filepath.Glob("../testdata/scenarios/*/*.scn")
	more, _ := filepath.Glob("../testdata/scenarios/*.scn")
	files = append(files, more...)
	judged := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		scn, err := scenarios.Parse(f, src, scenarios.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := scenarios.Build(scn, scenarios.Options{})
		if err != nil {
			t.Fatal(err)
		}
		set := sim.Outcomes(b.Kernel, &b.Init, 200_000)
		if !set.Complete {
			continue
		}
		for _, e := range scn.Expects {
			if e.Kind != scenarios.ExpectResult || e.Stmt.Thread == scenarios.CrashThread {
				continue
			}
			i := slices.Index(set.Stmts, e.Stmt.Thread+":"+strconv.Itoa(e.Stmt.Index))
			for _, o := range set.Tuples {
				got := b.Kernel.ResultName(o[i])
				if o[i] != 0 && !slices.Contains(e.Results, got) {
					t.Errorf("%s: outcome %s gives %s, the expect line allows %s", f, set.Text(b.Kernel, o),
						got, strings.Join(e.Results, "|"))
				}
				judged++
			}
		}
	}
	if judged < 50 {
		t.Fatalf("only %d (outcome, expect line) pairs judged", judged) // 91 when written
	}
}
