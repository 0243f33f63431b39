package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model/proposals"
	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/scenarios"
)

func runCompare(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := realMain(append([]string{"compare"}, args...), &out, &errb); code != run.ExitOK {
		t.Fatalf("daxsim compare %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

// TestCompareText: the full matrix, one line per proposal with a cell per
// property, the same bytes with one worker and with two.
func TestCompareText(t *testing.T) {
	one := runCompare(t, "-workers", "1")
	two := runCompare(t, "-workers", "2")
	if one != two {
		t.Fatalf("text output differs between -workers 1 and -workers 2:\n%s\n---\n%s", one, two)
	}
	lines := strings.Split(one, "\n")
	var header string
	rows := map[string]string{}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if f[0] == "proposal" {
			header = l
		}
		if _, ok := proposals.Lookup(f[0]); ok && header != "" && rows[f[0]] == "" {
			rows[f[0]] = l
		}
	}
	for _, p := range checker.Names() {
		if !strings.Contains(header, p) {
			t.Errorf("header has no column %s: %q", p, header)
		}
	}
	for _, p := range proposals.Names() {
		if rows[p] == "" {
			t.Errorf("no row for %s", p)
		}
	}
	if !strings.Contains(rows["flip-xarray-check"], "viol ") || !strings.Contains(rows["baseline"], "viol 12 flush-hole") {
		t.Errorf("expected violations missing:\n%s\n%s", rows["flip-xarray-check"], rows["baseline"])
	}
	// linux breaks only flush-is-durable/plain: a flush through a plain
	// MAP_SHARED mapping is not promised.
	if strings.Count(rows["linux"], "viol") != 1 || !strings.Contains(rows["linux"], "viol 12 flush-hole-plain") ||
		strings.Contains(rows["linux"], "unknown") {
		t.Errorf("linux row: %s", rows["linux"])
	}
}

type jsonDoc struct {
	Suite      string   `json:"suite"`
	Proposals  []string `json:"proposals"`
	Properties []string `json:"properties"`
	Workloads  []string `json:"workloads"`
	Rows       []struct {
		Proposal   string `json:"proposal"`
		Properties []struct {
			Property, Verdict, Workload string
			Length                      int `json:"witness_length"`
		} `json:"properties"`
		States         int      `json:"states"`
		FaultsPerStore *float64 `json:"faults_per_store"`
		ElapsedMS      *float64 `json:"elapsed_ms"`
	} `json:"rows"`
	Cells []struct {
		Proposal, Workload string
		Properties         []struct {
			Property, Verdict, Class, Message string
			Length                            int `json:"witness_length"`
		} `json:"properties"`
		States int `json:"states"`
		Serial struct {
			Faults, Commits, Stores int
		} `json:"serial"`
	} `json:"cells"`
}

// TestCompareJSON: the JSON parses, covers every proposal, property and
// (proposal, workload) pair, and is the same with one worker and with two.
func TestCompareJSON(t *testing.T) {
	args := []string{"-format", "json", "-proposals", "baseline,map-sync,flip-xarray-check,flip-dontcache"}
	one := runCompare(t, append(args, "-workers", "1")...)
	two := runCompare(t, append(args, "-workers", "2")...)
	if one != two {
		t.Fatal("json output differs between -workers 1 and -workers 2")
	}
	var doc jsonDoc
	if err := json.Unmarshal([]byte(one), &doc); err != nil {
		t.Fatalf("json does not parse: %v", err)
	}
	builtins := scenarios.BuiltinNames()
	if doc.Suite != "builtin" || len(doc.Rows) != 4 || len(doc.Workloads) != len(builtins) ||
		len(doc.Cells) != 4*len(builtins) || len(doc.Properties) != 9 {
		t.Fatalf("json: suite %q, %d rows, %d workloads, %d cells, %d properties", doc.Suite, len(doc.Rows),
			len(doc.Workloads), len(doc.Cells), len(doc.Properties))
	}
	for _, r := range doc.Rows {
		if len(r.Properties) != 11 || r.States == 0 || r.FaultsPerStore == nil || r.ElapsedMS != nil {
			t.Errorf("row %s: %+v", r.Proposal, r)
		}
	}
	found := false
	for _, c := range doc.Cells {
		if c.Proposal == "flip-xarray-check" && c.Workload == "aops-swap" {
			for _, p := range c.Properties {
				if p.Property == "aops-consistent" {
					found = p.Verdict == "violation" && p.Length > 0 && p.Class != "" && p.Message != ""
				}
				if p.Property == "flush-is-durable" && p.Verdict != "not-checked" {
					t.Errorf("aops-swap checks only aops-consistent and no-deadlock, but flush-is-durable is %q", p.Verdict)
				}
			}
		}
	}
	if !found {
		t.Error("flip-xarray-check x aops-swap: no aops-consistent violation with length, class and message")
	}
	var timed jsonDoc
	if err := json.Unmarshal([]byte(runCompare(t, "-format", "json", "-times", "-proposals", "linux", "-workloads", "aops-swap")), &timed); err != nil {
		t.Fatal(err)
	}
	if len(timed.Rows) != 1 || timed.Rows[0].ElapsedMS == nil {
		t.Error("-times: no elapsed_ms in the row")
	}
}

func TestCompareMarkdownHTML(t *testing.T) {
	md := runCompare(t, "-format", "markdown", "-proposals", "baseline,linux", "-workloads", "flush-hole,aops-swap")
	if !strings.Contains(md, "| proposal | aops-consistent |") || !strings.Contains(md, "| `baseline` |") ||
		!strings.Contains(md, "VIOLATION 12 (flush-hole)") {
		t.Errorf("markdown:\n%s", md)
	}
	html := runCompare(t, "-format", "html", "-proposals", "baseline,linux", "-workloads", "flush-hole,aops-swap")
	if !strings.HasPrefix(html, "<!DOCTYPE html>") || !strings.Contains(html, `class="viol"`) ||
		!strings.Contains(html, "</html>") {
		t.Errorf("html:\n%s", html)
	}
	for _, ext := range []string{"http:", "https:", "<script", "<link"} {
		if strings.Contains(html, ext) {
			t.Errorf("html is not self-contained: it has %q", ext)
		}
	}
}

func TestCompareOutputFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.txt")
	if out := runCompare(t, "-o", path, "-proposals", "linux", "-workloads", "aops-swap"); out != "" {
		t.Errorf("-o: stdout not empty: %q", out)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), "linux") {
		t.Errorf("-o: %v %q", err, b)
	}
	timed := runCompare(t, "-times", "-proposals", "linux", "-workloads", "aops-swap")
	if !strings.Contains(timed, " time ") {
		t.Errorf("-times: no time column:\n%s", timed)
	}
}

func TestCompareBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-suite", "mine"},
		{"-format", "xml"},
		{"-proposals", "baseline,nope"},
		{"-workloads", "nope"},
		{"-workers", "0"},
		{"-max-states", "-1"},
		{"-nope"},
		{"extra"},
	} {
		var out, errb bytes.Buffer
		if code := realMain(append([]string{"compare"}, args...), &out, &errb); code != run.ExitBadInput || errb.Len() == 0 {
			t.Errorf("compare %v: exit %d, stderr %q; want 2 and a message", args, code, errb.String())
		}
	}
}

// TestCompareUserSuite: compare runs on the user's own scenarios, given as
// files or as a directory, and refuses a suite that is neither.
func TestCompareUserSuite(t *testing.T) {
	files := runCompare(t, "-proposals", "linux,flip-xarray-check", "../../testdata/scenarios/aops-swap.scn",
		"../../testdata/scenarios/dontcache-statx.scn")
	if !strings.Contains(files, "suite files: 2 workloads x 2 proposals") || !strings.Contains(files, "workloads: aops-swap dontcache-statx") {
		t.Fatalf("files:\n%s", files)
	}
	dir := runCompare(t, "-proposals", "linux", "-suite", "../../testdata/scenarios/aops-swap")
	if !strings.Contains(dir, "workloads: flip-aops-refcount flip-dir-inherit flip-dontcache") ||
		!regexp.MustCompile(`a counterexample: daxsim check -proposal P -max-states 500000 /\S*/testdata/scenarios/aops-swap/W.scn`).MatchString(dir) {
		t.Fatalf("dir:\n%s", dir)
	}
	var out, errb bytes.Buffer
	if code := realMain([]string{"compare", "-suite", "nowhere"}, &out, &errb); code != run.ExitBadInput ||
		!strings.Contains(errb.String(), "-suite") {
		t.Errorf("-suite nowhere: exit %d, %q", code, errb.String())
	}
}

// TestCompareHintReproduces: the counterexample command compare prints, with
// a violating cell's proposal and workload put in, run from another
// directory, shows that violation.
func TestCompareHintReproduces(t *testing.T) {
	for _, args := range [][]string{
		{"-mutant", "fault-skips-invalidate-lock", "-workloads", "truncate-fault", "-proposals", "linux"},
		{"-proposals", "flip-xarray-check", "../../testdata/scenarios/aops-swap/flip-xarray-check.scn"},
	} {
		out := runCompare(t, args...)
		m := regexp.MustCompile(`(?m)^(\S+) .*?viol (\d+) (\S+)`).FindStringSubmatch(out)
		hint := regexp.MustCompile(`(?m)^a counterexample: (.*)$`).FindStringSubmatch(out)
		if m == nil || hint == nil {
			t.Fatalf("compare %v: no violation or no hint\n%s", args, out)
		}
		cmd := strings.NewReplacer(" P ", " "+m[1]+" ", "builtin:W", "builtin:"+m[3], "/W.scn", "/"+m[3]+".scn").Replace(hint[1])
		f := strings.Fields(cmd)
		wd, _ := os.Getwd()
		os.Chdir(t.TempDir())
		var o, e bytes.Buffer
		code := realMain(f[1:], &o, &e)
		os.Chdir(wd)
		// Exit 0 when the file expects the violation.
		if code == run.ExitBadInput || !strings.Contains(o.String(), "violation  shortest "+m[2]+" steps") {
			t.Errorf("%s from another directory: exit %d, no %s-step counterexample\n%s%s", cmd, code, m[2], o.String(), e.String())
		}
	}
}
