package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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

// TestSwarm: a swarm of bounded searches finds violations but never passes
// what none of its searches finished (each shard alone and merged: unknown);
// a swarm search that ends within its bound is a whole search
// and judges as the exhaustive one does, alone and merged; a swarm does not
// merge with other searches.
func TestSwarm(t *testing.T) {
	f := "../../testdata/scenarios/aops-swap/reopen-flip-locked.scn"
	dir := t.TempDir()
	check := func(args ...string) (int, report.ReportData, []byte) {
		t.Helper()
		var out, errb bytes.Buffer
		code := realMain(append([]string{"check", "-format", "json"}, args...), &out, &errb)
		var d report.ReportData
		if err := json.Unmarshal(out.Bytes(), &d); err != nil {
			t.Fatalf("check %v: %v\n%s", args, err, errb.String())
		}
		return code, d, out.Bytes()
	}
	merge := func(paths ...string) (int, report.ReportData) {
		t.Helper()
		var out, errb bytes.Buffer
		code := realMain(append([]string{"merge"}, paths...), &out, &errb)
		var d report.ReportData
		if code != run.ExitBadInput {
			if err := json.Unmarshal(out.Bytes(), &d); err != nil {
				t.Fatalf("merge: %v\n%s", err, errb.String())
			}
		}
		return code, d
	}
	_, whole, wholeJSON := check(f)

	// Bounded: every shard stops short.
	var bounded, complete []string
	for i := range 3 {
		s := fmt.Sprintf("%d/3", i)
		code, d, data := check("-mode", "swarm", "-seed", "9", "-shard", s, "-max-states", "200", f)
		if d.Search.Order != "swarm" || d.Search.Complete || !d.Search.Whole || d.Search.Seed != 9 {
			t.Fatalf("shard %s: search %+v", s, d.Search)
		}
		for _, p := range d.Properties {
			if p.Verdict == run.Pass || p.Verdict == run.Vacuous || p.Verdict == run.Partial {
				t.Errorf("bounded swarm shard %s: %s is %s", s, p.Name, p.Verdict)
			}
		}
		if code == run.ExitOK && d.Expects[0].Holds != "holds" {
			t.Errorf("bounded swarm shard %s: exit 0 but %q %s", s, d.Expects[0].Text, d.Expects[0].Holds)
		}
		p := filepath.Join(dir, "bounded-"+s[:1]+".json")
		os.WriteFile(p, data, 0o644)
		bounded = append(bounded, p)

		code, d, data = check("-mode", "swarm", "-seed", "9", "-shard", s, f)
		if !d.Search.Complete || code != whole.Exit {
			t.Fatalf("unbounded swarm shard %s: complete %v exit %d, exhaustive exit %d", s, d.Search.Complete, code, whole.Exit)
		}
		got, want := verdicts(t, data), verdicts(t, wholeJSON)
		for name, v := range want {
			if got[name][0] != v[0] {
				t.Errorf("unbounded swarm shard %s: %s is %s, exhaustive %s", s, name, got[name][0], v[0])
			}
		}
		p = filepath.Join(dir, "complete-"+s[:1]+".json")
		os.WriteFile(p, data, 0o644)
		complete = append(complete, p)
	}
	code, m := merge(bounded...)
	if m.Search.Complete || !strings.Contains(m.Search.Limit, "swarm: none of the 3 searches finished") {
		t.Errorf("merged bounded swarm: %+v", m.Search)
	}
	violated := false
	for _, p := range m.Properties {
		if p.Verdict == run.Pass || p.Verdict == run.Vacuous {
			t.Errorf("merged bounded swarm: %s is %s", p.Name, p.Verdict)
		}
		violated = violated || p.Verdict == run.Violation
	}
	// The file expects the violation: found, it holds.
	if !violated || code != run.ExitOK || m.Expects[0].Holds != "holds" {
		t.Errorf("merged bounded swarm: exit %d, a violation %v, expect %s", code, violated, m.Expects[0].Holds)
	}
	if code, m = merge(complete...); code != whole.Exit {
		t.Errorf("merged complete swarm: exit %d, exhaustive %d", code, whole.Exit)
	}
	for i, p := range m.Properties {
		if p.Verdict != whole.Properties[i].Verdict {
			t.Errorf("merged complete swarm: %s is %s, exhaustive %s", p.Name, p.Verdict, whole.Properties[i].Verdict)
		}
	}
	// The merged report as text and HTML.
	var txt, errb bytes.Buffer
	if code := realMain(append([]string{"merge", "-format", "text"}, bounded...), &txt, &errb); code != run.ExitOK ||
		!strings.Contains(txt.String(), "search   swarm (seed 9), INCOMPLETE (") ||
		!strings.Contains(txt.String(), "-mode swarm -seed 9 -shard ") ||
		!strings.Contains(txt.String(), "expect violation aops-consistent  holds") {
		t.Errorf("merge -format text: exit %d\n%s%s", code, txt.String(), errb.String())
	}
	txt.Reset()
	if code := realMain(append([]string{"merge", "-format", "html"}, bounded...), &txt, &errb); code != run.ExitOK ||
		!strings.Contains(txt.String(), "<html") {
		t.Errorf("merge -format html: exit %d %s", code, errb.String())
	}
	if code := realMain(append([]string{"merge", "-format", "nope"}, bounded...), &txt, &errb); code != run.ExitBadInput {
		t.Errorf("merge -format nope: exit %d", code)
	}
	ex := filepath.Join(dir, "exhaustive.json")
	os.WriteFile(ex, wholeJSON, 0o644)
	if code, _ := merge(bounded[0], ex); code != run.ExitBadInput {
		t.Errorf("a swarm merged with an exhaustive search: exit %d", code)
	}
}
