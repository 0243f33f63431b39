package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/daxsim/daxsim/report"
	"github.com/daxsim/daxsim/run"
)

// verdicts extracts, from a JSON report, each property's verdict and its
// witnesses' classes and traces.
func verdicts(t *testing.T, data []byte) map[string][]string {
	t.Helper()
	var d report.ReportData
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	out := map[string][]string{}
	for _, p := range d.Properties {
		v := []string{string(p.Verdict)}
		for _, w := range p.Witnesses {
			b, _ := json.Marshal(w.Trace)
			v = append(v, w.Class+string(b))
		}
		out[p.Name] = v
	}
	return out
}

// TestShardMerge: the shards of a run merged by 'daxsim merge' give the verdicts
// of the unsharded run, exhaustive and random; a missing shard turns passes into
// unknown.
func TestShardMerge(t *testing.T) {
	f := "../../testdata/scenarios/aops-swap/reopen-flip-locked.scn"
	dir := t.TempDir()
	for _, mode := range []string{"exhaustive", "random"} {
		whole := filepath.Join(dir, mode+"-whole.json")
		var out, errb bytes.Buffer
		base := []string{"check", "-por=false", "-mode", mode, "-seed", "5", "-runs", "100", "-format", "json"}
		realMain(append(base, "-o", whole, f), &out, &errb)
		var parts []string
		for _, s := range []string{"0/3", "1/3", "2/3"} {
			p := filepath.Join(dir, mode+"-"+s[:1]+".json")
			realMain(append(base, "-shard", s, "-o", p, f), &out, &errb)
			parts = append(parts, p)
		}
		var merged bytes.Buffer
		if code := realMain(append([]string{"merge"}, parts...), &merged, &errb); code == run.ExitBadInput {
			t.Fatalf("merge: %s", errb.String())
		}
		want, _ := os.ReadFile(whole)
		if got, w := verdicts(t, merged.Bytes()), verdicts(t, want); !reflect.DeepEqual(got, w) {
			t.Errorf("%s: merged shards %v, unsharded %v", mode, got, w)
		}
	}
	// Two of three shards of a search that splits: no pass.
	big := filepath.Join(dir, "big.scn")
	src := "scenario big\nproposal flip-dontcache\nfile f pages=2 dax=off\nprocess a uid=1\nprocess b uid=1\n" +
		"thread t1 a\n  open f rw as fd\n  mmap fd 0-1 shared rw as m\n  store m 0 A\n" +
		"thread t2 b\n  open f rw as fd\n  mmap fd 0-1 shared rw as m\n  store m 1 B\n" +
		"thread t3 a\n  open f rw as fd\n  setflag fd dax=on\ncheck aops-consistent no-deadlock\n"
	os.WriteFile(big, []byte(src), 0o644)
	var parts []string
	for _, s := range []string{"0/3", "1/3", "2/3"} {
		p := filepath.Join(dir, "big-"+s[:1]+".json")
		var out, errb bytes.Buffer
		realMain([]string{"check", "-por=false", "-shard", s, "-format", "json", "-o", p, big}, &out, &errb)
		parts = append(parts, p)
		var d report.ReportData
		data, _ := os.ReadFile(p)
		json.Unmarshal(data, &d)
		if d.Search.Whole {
			t.Fatalf("shard %s explored the whole space: the test needs a search that splits", s)
		}
	}
	var merged, errb bytes.Buffer
	if code := realMain(append([]string{"merge"}, parts[:2]...), &merged, &errb); code != run.ExitUnknown {
		t.Fatalf("two of three shards merged: exit %d, want 3\n%s", code, merged.String())
	}
	merged.Reset()
	realMain(append([]string{"merge"}, parts...), &merged, &errb)
	var whole bytes.Buffer
	realMain([]string{"check", "-por=false", "-format", "json", big}, &whole, &errb)
	if got, w := verdicts(t, merged.Bytes()), verdicts(t, whole.Bytes()); !reflect.DeepEqual(got, w) {
		t.Errorf("split search: merged shards %v, unsharded %v", got, w)
	}
}

// TestShardAlonePartial: one shard's own report never passes what it did not
// cover: its verdicts are partial (or violation), its expect lines partial,
// its exit 3 unless it found a violation; only merge can pass.
func TestShardAlonePartial(t *testing.T) {
	f := "../../testdata/scenarios/symmetry/twin-writers-fsync.scn"
	sawPartial := false
	for _, s := range []string{"0/3", "1/3", "2/3"} {
		var out, errb bytes.Buffer
		code := realMain([]string{"check", "-shard", s, "-format", "json", f}, &out, &errb)
		var d report.ReportData
		if err := json.Unmarshal(out.Bytes(), &d); err != nil {
			t.Fatalf("shard %s: %v\n%s", s, err, errb.String())
		}
		if d.Search.Whole {
			continue
		}
		for _, p := range d.Properties {
			if p.Verdict == run.Pass || p.Verdict == run.Vacuous {
				t.Errorf("shard %s: %s is %s", s, p.Name, p.Verdict)
			}
			sawPartial = sawPartial || p.Verdict == run.Partial
		}
		for _, e := range d.Expects {
			if e.Holds == "holds" {
				t.Errorf("shard %s: %q holds", s, e.Text)
			}
		}
		if code != run.ExitUnknown && code != run.ExitFail {
			t.Errorf("shard %s: exit %d, want 3 (or 1 on a violation)", s, code)
		}
	}
	if !sawPartial {
		t.Fatal("no shard split the space: the test checks nothing")
	}
}
