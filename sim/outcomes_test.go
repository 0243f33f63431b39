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

// TestCrashImages: a plain-mapping store and flush into a hole is lost at the
// power cut after the flush (the allocation is uncommitted, and "commit
// fsync-only" lets no commit happen); through a MAP_SYNC mapping it survives
// (the images the two scenarios allow).
func TestCrashImages(t *testing.T) {
	images := func(path string) (*sim.CrashImageSet, *scenarios.Built) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		scn, err := scenarios.Parse(path, src, scenarios.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := scenarios.Build(scn, scenarios.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return sim.CrashImages(b.Kernel, &b.Init, 0), b
	}
	plain, b := images("../testdata/scenarios/language/after-crash-plain-flush.scn")
	if !plain.Complete || len(plain.Images) == 0 {
		t.Fatalf("plain: %+v", plain)
	}
	lost := []sim.FileObservation{{Exists: true, Pages: 1, Values: []string{"0"}}}
	kept := []sim.FileObservation{{Exists: true, Pages: 1, Values: []string{"A"}}}
	if !plain.Allows(lost) || plain.Allows(kept) {
		t.Errorf("plain mapping: lost %v kept %v; images %v", plain.Allows(lost), plain.Allows(kept), keys(b, plain))
	}
	sync, b := images("../testdata/scenarios/language/after-crash-sync-flush.scn")
	if sync.Allows(lost) || !sync.Allows(kept) {
		t.Errorf("MAP_SYNC: lost %v kept %v; images %v", sync.Allows(lost), sync.Allows(kept), keys(b, sync))
	}
	if plain.Allows([]sim.FileObservation{{Exists: true, Pages: 2, Values: []string{"A", "0"}}}) ||
		plain.Allows([]sim.FileObservation{{Exists: false}}) {
		t.Error("an image of another size, or a missing file, is allowed")
	}
}

func keys(b *scenarios.Built, set *sim.CrashImageSet) []string {
	var out []string
	for _, im := range set.Images {
		out = append(out, im.Key(b.Kernel))
	}
	return out
}
