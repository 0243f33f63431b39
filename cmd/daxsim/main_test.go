package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/daxsim/daxsim/report"
	"github.com/daxsim/daxsim/run"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden (review the diff before committing)")

// disagreeDir holds what Linux does where the model knowingly differs: each
// file states the kernel's results and fails daxsim check
// (TestKnownDisagreements).
const disagreeDir = "../../testdata/kernel/disagree"

// scenarioFiles lists every .scn file under testdata/ but the known
// disagreements.
func scenarioFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("../../testdata", func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && path == disagreeDir {
			return filepath.SkipDir
		}
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".scn") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenario files under testdata/")
	}
	return files
}

// TestScenarioFiles is the regression suite: every scenario file under testdata/
// carries expect lines, and daxsim check must find them all holding (exit 0).
func TestScenarioFiles(t *testing.T) {
	for _, f := range scenarioFiles(t) {
		t.Run(strings.TrimPrefix(f, "../../testdata/"), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`(?m)^\s*expect `).Match(src) {
				t.Fatalf("%s has no expect lines: a regression file must state its verdicts", f)
			}
			var out, errb bytes.Buffer
			if code := realMain([]string{"check", f}, &out, &errb); code != run.ExitOK {
				t.Fatalf("daxsim check %s: exit %d\n%s%s", f, code, errb.String(), out.String())
			}
		})
	}
}

// TestKnownDisagreements keeps the list of the model's known departures from
// Linux honest: every file under testdata/kernel/disagree must still fail its
// expect lines (exit 1). One that passes has been fixed: move it to serial/ or
// crash/ and say how in its header.
func TestKnownDisagreements(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(disagreeDir, "*.scn"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := realMain([]string{"check", f}, &out, &errb); code != run.ExitFail {
				t.Fatalf("daxsim check %s: exit %d, want %d (a disagreement with Linux); if the model now agrees, move the file out of disagree/\n%s%s",
					f, code, run.ExitFail, errb.String(), out.String())
			}
		})
	}
}

// golden compares got with the golden file name under testdata/golden, or
// rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	// Reproduce commands name scenarios by absolute path: the golden files
	// hold them relative to this directory.
	if root, err := filepath.Abs("../.."); err == nil {
		got = bytes.ReplaceAll(got, []byte(root+string(filepath.Separator)), []byte("../../"))
	}
	path := filepath.Join("../../testdata/golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s; run 'go test ./cmd/daxsim -run %s -update' and review the diff\n%s", path, t.Name(), got)
	}
}

// TestGolden pins the full report of selected scenarios, counterexamples included,
// in every counterexample format. Run 'go test ./cmd/daxsim -update' after an
// intended change and read the diff.
func TestGolden(t *testing.T) {
	for _, name := range []string{"aops-swap", "dontcache-statx"} {
		for _, format := range []string{"text", "json", "html"} {
			t.Run(name+"/"+format, func(t *testing.T) {
				var out, errb bytes.Buffer
				realMain([]string{"check", "-format", format, "../../testdata/scenarios/" + name + ".scn"}, &out, &errb)
				ext := map[string]string{"text": ".txt", "json": ".json", "html": ".html"}[format]
				golden(t, name+ext, out.Bytes())
			})
		}
	}
}

// TestGoldenSplat pins the splat (-format splat) at 80 columns: a race
// (aops-swap: the check, the swap and the use), a lock-order cycle and a
// deadlock (lockdep's scenario), a crash (the recovered image).
func TestGoldenSplat(t *testing.T) {
	for _, c := range []struct{ name, path string }{
		{"aops-swap", "../../testdata/scenarios/aops-swap.scn"},
		{"lock-order", "../../testdata/mutants/write-copies-under-handle.scn"},
		{"crash", "builtin:flush-hole-plain"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			realMain([]string{"check", "-format", "splat", "-width", "80", "-proposal", proposalOf(t, c.path), c.path}, &out, &errb)
			golden(t, c.name+".splat", out.Bytes())
		})
	}
}

// proposalOf is the proposal a scenario's counterexample is pinned under:
// its own, but linux for the built-in workloads.
func proposalOf(t *testing.T, path string) string {
	if strings.HasPrefix(path, "builtin:") {
		return "linux"
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^proposal (\S+)`).FindSubmatch(src)
	if m == nil {
		t.Fatalf("%s has no proposal line", path)
	}
	return string(m[1])
}

// TestSplatFits: every counterexample of the regression suite, drawn as a
// splat for an 80-column terminal, has no line wider than 80 columns (but
// one made of a single word, which cannot be broken), and the aops-swap
// headline names the check (xa_empty) and the use through the other ops.
func TestSplatFits(t *testing.T) {
	n := 0
	for _, f := range scenarioFiles(t) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`(?m)^\s*expect violation `).Match(src) {
			continue
		}
		var out, errb bytes.Buffer
		realMain([]string{"check", "-format", "splat", "-width", "80", f}, &out, &errb)
		for i, l := range strings.Split(out.String(), "\n") {
			if len(l) > 80 && len(strings.Fields(l)) > 1 {
				t.Errorf("%s: line %d is %d columns: %q", f, i+1, len(l), l)
			}
		}
		n += strings.Count(out.String(), "\nBUG: ")
	}
	if n < 20 {
		t.Fatalf("only %d splats drawn: the suite's violations went missing", n)
	}
	var out, errb bytes.Buffer
	realMain([]string{"check", "-format", "splat", "-width", "80", "../../testdata/scenarios/aops-swap.scn"}, &out, &errb)
	_, after, _ := strings.Cut(out.String(), "\nBUG: ")
	head := strings.Join(strings.SplitN(after, "\n", 12)[:11], "\n")
	for _, want := range []string{"xa_empty", "ran through pagecache vm_ops", "a_ops are dax"} {
		if !strings.Contains(head, want) {
			t.Errorf("the first splat's headline does not name %q:\n%s", want, head)
		}
	}
}

// TestFlagsAfterFiles: flags may follow the scenario, and a bad flag value is
// blamed on the flag.
func TestFlagsAfterFiles(t *testing.T) {
	var a, b, errb bytes.Buffer
	ca := realMain([]string{"check", "-proposal", "linux", "builtin:flush-hole-plain"}, &a, &errb)
	cb := realMain([]string{"check", "builtin:flush-hole-plain", "-proposal", "linux"}, &b, &errb)
	if ca != cb || a.String() != b.String() || !strings.Contains(a.String(), "proposal linux") {
		t.Fatalf("flags after the file differ: exit %d vs %d\n%s\n---\n%s\n%s", ca, cb, a.String(), b.String(), errb.String())
	}
	for _, c := range []struct{ flag, want string }{
		{"-proposal", `daxsim check: -proposal: unknown proposal "nope"`},
		{"-mutant", `daxsim check: -mutant: unknown mutant "nope"`},
	} {
		var out, errb bytes.Buffer
		code := realMain([]string{"check", "../../testdata/scenarios/aops-swap.scn", c.flag, "nope"}, &out, &errb)
		if code != run.ExitBadInput || !strings.HasPrefix(errb.String(), c.want) {
			t.Errorf("%s nope: exit %d, stderr %q; want exit 2 and %q", c.flag, code, errb.String(), c.want)
		}
	}
}

// TestGoldenCompare pins the product's main output: the proposal x property
// matrix of 'daxsim compare' over the built-in suite, as text and as JSON.
func TestGoldenCompare(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := realMain([]string{"compare", "-format", format}, &out, &errb); code != run.ExitOK {
				t.Fatalf("daxsim compare -format %s: exit %d\n%s", format, code, errb.String())
			}
			golden(t, "compare."+map[string]string{"text": "txt", "json": "json"}[format], out.Bytes())
		})
	}
}

// TestDeterministic runs the same check twice and compares the bytes; the
// scenario must exist and be judged (exit 0: its expect lines hold).
func TestDeterministic(t *testing.T) {
	var a, b, e bytes.Buffer
	f := "../../testdata/scenarios/aops-swap/reopen-flip-locked.scn"
	for _, out := range []*bytes.Buffer{&a, &b} {
		if code := realMain([]string{"check", f}, out, &e); code != run.ExitOK {
			t.Fatalf("daxsim check %s: exit %d\n%s%s", f, code, e.String(), out.String())
		}
	}
	if a.String() != b.String() {
		t.Fatal("two runs of the same check printed different output")
	}
	if !strings.Contains(a.String(), "aops-consistent") {
		t.Fatalf("the report judges nothing:\n%s", a.String())
	}
}

// TestJobOne is SPEC.md's first job: under flip-xarray-check the aops-swap race is
// found, and one counterexample shows the fault populating the xarray after the
// flipper's emptiness check and then running ->page_mkwrite through the other ops.
func TestJobOne(t *testing.T) {
	var out, errb bytes.Buffer
	src, err := os.ReadFile("../../testdata/scenarios/aops-swap.scn")
	if err != nil {
		t.Fatal(err)
	}
	noExpect := regexp.MustCompile(`(?m)^expect .*$`).ReplaceAll(src, nil)
	f := filepath.Join(t.TempDir(), "aops-swap.scn")
	if err := os.WriteFile(f, noExpect, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := realMain([]string{"check", f}, &out, &errb); code != run.ExitFail {
		t.Fatalf("exit %d, want 1 (a violation, no expect lines)\n%s", code, out.String())
	}
	report := out.String()
	i := strings.Index(report, "(ops-swapped-under-fault)")
	if i < 0 {
		t.Fatalf("no ops-swapped-under-fault counterexample:\n%s", report)
	}
	cex := report[i:]
	check := strings.Index(cex, "xa_empty")
	populate := strings.Index(cex, "f xa[0] none->page")
	swap := strings.Index(cex, "S_DAX 0->1")
	mkwrite := strings.Index(cex, "=> ->page_mkwrite")
	if !(check >= 0 && check < populate && populate < swap && swap < mkwrite) {
		t.Fatalf("counterexample is not check < populate < swap < ->page_mkwrite (%d %d %d %d):\n%s",
			check, populate, swap, mkwrite, cex)
	}
}

// TestBadInput: malformed files exit 2 with file:line:col and never panic.
func TestBadInput(t *testing.T) {
	cases := []struct{ src, want string }{
		{"scenario x\nproposal flip-live\nfile f pages=9\n", ":3:"},
		{"scenario x\nproposal nope\n", ":2:10: unknown proposal"},
		{"scenario x\nproposal flip-live\nfile f pages=1\nprocess p uid=0\nthread t p\n  store m 0 A\n", ":6:"},
		{"scenario x\nproposal linux\nmutant nope\nfile f pages=1\nprocess p uid=0\nthread t p\n  open f rw as fd\n", ":3:8: unknown mutant"},
		{"scenario x\nproposal flip-live\nfile f pages=1\nprocess p uid=0\nthread t p\n  open f rw as fd\n  mmap fd 3 shared rw as m\n", ":7:11:"},
		{"", ":1:1:"},
	}
	for _, c := range cases {
		f := filepath.Join(t.TempDir(), "bad.scn")
		if err := os.WriteFile(f, []byte(c.src), 0o644); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		code := realMain([]string{"check", f}, &out, &errb)
		if code != run.ExitBadInput {
			t.Errorf("%q: exit %d, want 2", c.src, code)
		}
		if !strings.Contains(errb.String(), c.want) || !strings.HasPrefix(errb.String(), f+":") {
			t.Errorf("%q: stderr %q, want %s:...%q", c.src, errb.String(), f, c.want)
		}
	}
	var out, errb bytes.Buffer
	if code := realMain([]string{"check", "/nonexistent.scn"}, &out, &errb); code != run.ExitBadInput {
		t.Errorf("missing file: exit %d", code)
	}
}

// TestLimitIsUnknown: a search cut short by -max-states never passes: exit 3.
func TestLimitIsUnknown(t *testing.T) {
	var out, errb bytes.Buffer
	f := "../../testdata/scenarios/aops-swap/flip-dontcache.scn"
	code := realMain([]string{"check", "-max-states", "10", f}, &out, &errb)
	if code != run.ExitUnknown {
		t.Fatalf("exit %d, want 3\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "INCOMPLETE (max-states 10 reached") ||
		regexp.MustCompile(`(?m)^[a-z]+-[a-z-]+\s+pass\b`).MatchString(out.String()) {
		t.Fatalf("report does not say the search was cut short:\n%s", out.String())
	}
	out.Reset()
	code = realMain([]string{"check", "-max-depth", "5", f}, &out, &errb)
	if code != run.ExitUnknown {
		t.Fatalf("-max-depth: exit %d, want 3\n%s", code, out.String())
	}
}

func TestListCommands(t *testing.T) {
	for _, cmd := range []string{"proposals", "properties", "scenarios", "mutants"} {
		var out, errb bytes.Buffer
		if code := realMain([]string{cmd}, &out, &errb); code != 0 || out.Len() == 0 {
			t.Errorf("daxsim %s: exit %d, output %q", cmd, code, out.String())
		}
	}
	var out, errb bytes.Buffer
	if code := realMain([]string{"explain", "flip-dontcache"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "I_DONTCACHE") {
		t.Errorf("explain: exit %d\n%s", code, out.String())
	}
}

// TestRandomAndWorkersDeterministic: SPEC.md's determinism promise. The same seed
// prints the same bytes, and so does every -workers value, in random and in
// exhaustive mode.
func TestRandomAndWorkersDeterministic(t *testing.T) {
	f := "../../testdata/scenarios/durability/map-sync-flush.scn"
	outputs := map[string]string{}
	for _, args := range [][]string{
		{"check", "-mode", "random", "-seed", "7", "-runs", "200", "-workers", "1", f},
		{"check", "-mode", "random", "-seed", "7", "-runs", "200", "-workers", "1", f},
		{"check", "-mode", "random", "-seed", "7", "-runs", "200", "-workers", "2", f},
	} {
		var out, errb bytes.Buffer
		realMain(args, &out, &errb)
		outputs[strings.Join(args, " ")] = out.String()
		if outputs[strings.Join(args[:len(args)-3], " ")] == "" {
			outputs[strings.Join(args[:len(args)-3], " ")] = out.String()
		} else if outputs[strings.Join(args[:len(args)-3], " ")] != out.String() {
			t.Fatalf("%v printed different output than the same seed before", args)
		}
	}
	var a, b, e bytes.Buffer
	realMain([]string{"check", "-workers", "1", f}, &a, &e)
	realMain([]string{"check", "-workers", "2", f}, &b, &e)
	if a.String() != b.String() {
		t.Fatal("exhaustive: -workers 1 and -workers 2 print different output")
	}
	var c bytes.Buffer
	realMain([]string{"check", "-mode", "random", "-seed", "8", "-runs", "200", f}, &c, &e)
	if !strings.Contains(c.String(), "seed 8: 200 runs") {
		t.Fatalf("random mode does not name its seed:\n%s", c.String())
	}
}

// TestBuiltinByName: a built-in scenario is addressable as builtin:NAME from
// any directory, and 'daxsim scenarios -show NAME' prints it.
func TestBuiltinByName(t *testing.T) {
	var out, errb bytes.Buffer
	if code := realMain([]string{"check", "-proposal", "linux", "builtin:flush-hole"}, &out, &errb); code != run.ExitOK ||
		!strings.Contains(out.String(), "== builtin:flush-hole") {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := realMain([]string{"scenarios", "-show", "flush-hole"}, &out, &errb); code != run.ExitOK ||
		!strings.HasPrefix(out.String(), "# durability") {
		t.Fatalf("scenarios -show: exit %d\n%s", code, out.String())
	}
	errb.Reset()
	if code := realMain([]string{"check", "builtin:nope"}, &out, &errb); code != run.ExitBadInput ||
		!strings.Contains(errb.String(), `no built-in scenario "nope"`) {
		t.Fatalf("builtin:nope: exit %d %q", code, errb.String())
	}
}

// TestExplainHelpVersion: explain knows proposals, properties and mutants;
// help COMMAND prints that command's flags; version prints the version.
func TestExplainHelpVersion(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"explain", "linux"}, 0, "overrides:"},
		{[]string{"explain", "flush-is-durable"}, 0, "seeded bugs it catches: fault-rezeroes-block"},
		{[]string{"explain", "fault-skips-invalidate-lock"}, 0, "changes under linux on ext4: dax-fault"},
		{[]string{"explain", "nope"}, 2, ""},
		{[]string{"help", "check"}, 0, "-proposal"},
		{[]string{"help", "proposals"}, 0, "usage: daxsim proposals"},
		{[]string{"help", "nope"}, 2, ""},
		{[]string{"version"}, 0, "daxsim " + report.Version},
	} {
		var out, errb bytes.Buffer
		code := realMain(c.args, &out, &errb)
		if code != c.code || !strings.Contains(out.String(), c.want) {
			t.Errorf("daxsim %v: exit %d (want %d), output lacks %q:\n%s%s", c.args, code, c.code, c.want, out.String(), errb.String())
		}
	}
}

// panicWriter panics on every write: a stand-in for a bug of daxsim.
type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("boom") }

// TestInternalErrorExit4: a panic is reported as daxsim's own bug, exit 4,
// never as bad input.
func TestInternalErrorExit4(t *testing.T) {
	var errb bytes.Buffer
	if code := realMain([]string{"proposals"}, panicWriter{}, &errb); code != run.ExitInternal ||
		!strings.Contains(errb.String(), "internal error: boom") || !strings.Contains(errb.String(), "daxsim proposals") {
		t.Fatalf("exit %d, stderr:\n%s", code, errb.String())
	}
}

// TestOutputFileAtomic: -o replaces the file whole on success and leaves an
// existing file untouched when every input is bad.
func TestOutputFileAtomic(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "report.txt")
	if err := os.WriteFile(out, []byte("previous\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.scn")
	os.WriteFile(bad, []byte("scenario x\nproposal nope\n"), 0o644)
	var o, e bytes.Buffer
	if code := realMain([]string{"check", "-o", out, bad}, &o, &e); code != run.ExitBadInput {
		t.Fatalf("bad input: exit %d", code)
	}
	if got, _ := os.ReadFile(out); string(got) != "previous\n" {
		t.Fatalf("bad input changed -o: %q", got)
	}
	if code := realMain([]string{"check", "-o", out, "../../testdata/scenarios/aops-swap.scn"}, &o, &e); code != run.ExitOK {
		t.Fatalf("exit %d\n%s", code, e.String())
	}
	got, _ := os.ReadFile(out)
	if !bytes.HasPrefix(got, []byte("== ../../testdata/scenarios/aops-swap.scn\n")) {
		t.Fatalf("-o holds %q", got[:min(len(got), 80)])
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Fatalf("temporary files left behind: %v", ents)
	}
	if code := realMain([]string{"check", "-mode", "random", "-first", "9223372036854775807", "-runs", "2", bad}, &o, &e); code != run.ExitBadInput {
		t.Fatalf("-first overflow: exit %d", code)
	}
}

// TestViz: -viz always draws or says why not, with the scenario's thread
// names on porcupine's rows.
func TestViz(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "v.html")
	var o, e bytes.Buffer
	realMain([]string{"check", "-proposal", "linux", "-viz", out, "builtin:write-fsync"}, &o, &e)
	page, err := os.ReadFile(out)
	if err != nil || !bytes.Contains(page, []byte("thread t1 (process app)")) || !strings.Contains(e.String(), "porcupine's view of the serial run") {
		t.Fatalf("-viz: %v, stderr %q, %d bytes", err, e.String(), len(page))
	}
	e.Reset()
	none := filepath.Join(dir, "none.html")
	realMain([]string{"check", "-viz", none, "../../testdata/kernel/fstests/generic-606-always-ext4.scn"}, &o, &e)
	if _, err := os.Stat(none); err == nil || !strings.Contains(e.String(), "nothing drawn: ") {
		t.Fatalf("-viz without anything to draw: stderr %q", e.String())
	}
}
