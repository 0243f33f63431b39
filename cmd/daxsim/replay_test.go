package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/daxsim/daxsim/report"
	"github.com/daxsim/daxsim/run"
)

const aopsSwap = "../../testdata/scenarios/aops-swap.scn"

// checkJSON runs 'daxsim check -format json' on files and returns the output.
func checkJSON(t *testing.T, files ...string) []byte {
	t.Helper()
	var out, errb bytes.Buffer
	realMain(append([]string{"check", "-format", "json"}, files...), &out, &errb)
	if errb.Len() > 0 || out.Len() == 0 {
		t.Fatalf("check -format json %v: stderr %q, %d bytes", files, errb.String(), out.Len())
	}
	return out.Bytes()
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// replay runs 'daxsim replay' and returns the exit status and the output.
func replay(args ...string) (int, string) {
	var out, errb bytes.Buffer
	code := realMain(append([]string{"replay"}, args...), &out, &errb)
	return code, out.String() + errb.String()
}

// TestJSONReport: -format json is one document with the verdicts and, per
// witness, the trace and its replayed steps.
func TestJSONReport(t *testing.T) {
	var d report.ReportData
	if err := json.Unmarshal(checkJSON(t, aopsSwap), &d); err != nil {
		t.Fatal(err)
	}
	if d.Schema != report.SchemaVersion || d.Scenario.Name != "aops-swap" || d.Scenario.Path != aopsSwap ||
		d.Proposal != "flip-xarray-check" || d.FS != "ext4" || d.Crash != "anywhere" || d.Mutants == nil {
		t.Fatalf("header: %+v", d)
	}
	if strings.Join(d.Threads, " ") != "t1 t2 jbd2" || !d.Search.Complete || d.Search.States == 0 {
		t.Fatalf("threads %v, search %+v", d.Threads, d.Search)
	}
	if len(d.Properties) != 2 || d.Properties[0].Name != "aops-consistent" || d.Properties[0].Verdict != run.Violation {
		t.Fatalf("properties: %+v", d.Properties)
	}
	ws := d.Witnesses()
	if len(ws) != 2 || ws[0].Class != "stale-vm_ops" || ws[1].Class != "ops-swapped-under-fault" {
		t.Fatalf("witnesses: %d", len(ws))
	}
	for i, w := range ws {
		if w.Index != i || len(w.Steps) != len(w.Trace) || len(w.Trace) == 0 || w.ReplayError != "" || w.Message == "" {
			t.Fatalf("witness %d: index %d, %d steps for %d, %q", i, w.Index, len(w.Steps), len(w.Trace), w.ReplayError)
		}
		for j, s := range w.Steps {
			if s.N != j+1 || s.Thread != w.Trace[j] || s.Name != d.Threads[s.Thread] || s.Fn == "" || s.Held == "" || s.Text == "" {
				t.Fatalf("witness %d step %d: %+v", i, j+1, s)
			}
		}
		if last := w.Steps[len(w.Steps)-1]; !last.Returned || last.Result != "SIGBUS" {
			t.Errorf("witness %d: last step %+v, want the store returning SIGBUS", i, last)
		}
	}
	if len(d.Expects) != 2 || d.Expects[0].Holds != "holds" || d.Expects[0].Text != "expect violation aops-consistent" {
		t.Fatalf("expects: %+v", d.Expects)
	}
}

// TestJSONDeterministic: two runs write the same bytes.
func TestJSONDeterministic(t *testing.T) {
	a := checkJSON(t, aopsSwap, "../../testdata/scenarios/locking/dirty-pmem-aware-xfs.scn")
	b := checkJSON(t, aopsSwap, "../../testdata/scenarios/locking/dirty-pmem-aware-xfs.scn")
	if !bytes.Equal(a, b) {
		t.Fatal("two runs of check -format json wrote different output")
	}
}

// TestJSONSeveralFiles: several files make one JSON array; replay -report picks one.
func TestJSONSeveralFiles(t *testing.T) {
	lock := "../../testdata/scenarios/locking/dirty-pmem-aware-xfs.scn"
	out := checkJSON(t, aopsSwap, lock)
	var ds []report.ReportData
	if err := json.Unmarshal(out, &ds); err != nil {
		t.Fatalf("not an array of reports: %v", err)
	}
	if len(ds) != 2 || ds[0].Scenario.Name != "aops-swap" || ds[1].Scenario.Path != lock {
		t.Fatalf("got %d reports", len(ds))
	}
	f := writeFile(t, t.TempDir(), "two.json", out)
	if code, msg := replay("-quiet", "-report", "1", "-witness", "1", f); code != run.ExitOK ||
		!strings.Contains(msg, "lock-order") {
		t.Fatalf("replay -report 1: exit %d\n%s", code, msg)
	}
	if code, _ := replay("-report", "2", f); code != run.ExitBadInput {
		t.Fatalf("replay -report 2 of two: exit %d, want 2", code)
	}
}

// TestReplayReproduces: every saved counterexample of every scenario file under
// testdata/ replays and reproduces, the lock-order ones (with related traces),
// deadlocks and crash properties included.
func TestReplayReproduces(t *testing.T) {
	dir := t.TempDir()
	total := 0
	for i, scn := range scenarioFiles(t) {
		data := checkJSON(t, scn)
		ds, err := report.ReadReports(data)
		if err != nil {
			t.Fatal(err)
		}
		f := writeFile(t, dir, fmt.Sprintf("r%d.json", i), data)
		for _, w := range ds[0].Witnesses() {
			total++
			code, out := replay("-quiet", f, "-witness", fmt.Sprint(w.Index))
			if code != run.ExitOK || !strings.Contains(out, "REPRODUCED: "+w.Check+" ("+w.Class+")") {
				t.Errorf("%s witness %d (%s %s): exit %d\n%s", scn, w.Index, w.Check, w.Class, code, out)
			}
		}
	}
	if total < 10 {
		t.Fatalf("only %d witnesses under testdata/", total)
	}
}

// TestReplayOutput: without -quiet, every step is followed by the state.
func TestReplayOutput(t *testing.T) {
	f := writeFile(t, t.TempDir(), "r.json", checkJSON(t, aopsSwap))
	code, out := replay(f, "-witness", "1")
	if code != run.ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"initial state:", "step 1  t1  1: open f rw as fd  do_sys_open -> iget",
		"=> step 14  t1  3: store m 0 A  ->page_mkwrite", "t2: stmt 2 \"setflag fd dax=on\" at setflag: swap S_DAX and a_ops",
		"f: S_DAX=1 a_ops=dax", "xarray: [0]=page(0)", "block map: [0]=b0 written", "ptes: none",
		"REPRODUCED: aops-consistent (ops-swapped-under-fault) reproduced at step 14",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("replay output lacks %q\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\nstep ") + strings.Count(out, "\n=> step "); n != 14 {
		t.Errorf("%d step lines, want 14", n)
	}
}

// editJSON decodes a report, lets edit change it and writes it to a file.
// TestReplayAnywhere: a report carries its scenario, so it replays from an
// empty directory; when the file by that name has changed, replay warns and
// replays the report's copy.
func TestReplayAnywhere(t *testing.T) {
	src, err := os.ReadFile(aopsSwap)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	scn := writeFile(t, dir, "race.scn", src)
	data := checkJSON(t, scn)
	empty := t.TempDir()
	writeFile(t, empty, "r.json", data)
	os.Remove(scn)
	t.Chdir(empty)
	if code, out := replay("-quiet", "r.json"); code != run.ExitOK || !strings.Contains(out, "REPRODUCED") {
		t.Fatalf("replay from an empty directory: exit %d\n%s", code, out)
	}
	// The file is back, edited: a warning, and the report's copy replays.
	writeFile(t, dir, "race.scn", append(src, []byte("\n# edited\n")...))
	var out, errb bytes.Buffer
	code := realMain([]string{"replay", "-quiet", "r.json"}, &out, &errb)
	if code != run.ExitOK || !strings.Contains(errb.String(), "has changed since the report was written") {
		t.Fatalf("replay with an edited scenario: exit %d, stderr %q\n%s", code, errb.String(), out.String())
	}
}

func editJSON(t *testing.T, data []byte, edit func(d *report.ReportData)) string {
	t.Helper()
	ds, err := report.ReadReports(data)
	if err != nil {
		t.Fatal(err)
	}
	edit(&ds[0])
	out, err := json.Marshal(ds[0])
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, t.TempDir(), "edited.json", out)
}

// TestReplayTampered: a trace that no longer reaches the violation exits 1.
func TestReplayTampered(t *testing.T) {
	data := checkJSON(t, aopsSwap)
	for w := 0; w < 2; w++ {
		f := editJSON(t, data, func(d *report.ReportData) {
			ws := d.Witnesses()[w]
			ws.Trace = ws.Trace[:len(ws.Trace)-1]
		})
		if code, out := replay("-quiet", "-witness", fmt.Sprint(w), f); code != run.ExitFail ||
			!strings.Contains(out, "NOT REPRODUCED") {
			t.Errorf("witness %d without its last step: exit %d, want 1\n%s", w, code, out)
		}
	}
	// A trace in which a finished thread is asked to move does not replay.
	f := editJSON(t, data, func(d *report.ReportData) {
		ws := d.Witnesses()[0]
		ws.Trace = append(ws.Trace, 0, 0, 0)
	})
	if code, out := replay("-quiet", f); code != run.ExitFail || !strings.Contains(out, "does not replay") {
		t.Errorf("over-long trace: exit %d, want 1\n%s", code, out)
	}
	// Another class than the trace shows.
	f = editJSON(t, data, func(d *report.ReportData) { d.Witnesses()[0].Class = "ops-swapped-under-fault" })
	if code, out := replay("-quiet", f); code != run.ExitFail {
		t.Errorf("wrong class: exit %d, want 1\n%s", code, out)
	}
}

// TestReplayExpectResult: the witness of a failing "expect result" line
// reproduces, and not without its last step.
func TestReplayExpectResult(t *testing.T) {
	src, err := os.ReadFile(aopsSwap)
	if err != nil {
		t.Fatal(err)
	}
	src = regexp.MustCompile(`(?m)^expect pass no-deadlock$`).ReplaceAll(src, []byte("expect result t1:3 ok"))
	scn := writeFile(t, t.TempDir(), "result.scn", src)
	data := checkJSON(t, scn)
	ds, _ := report.ReadReports(data)
	ws := ds[0].Witnesses()
	if len(ws) != 3 || ws[2].Check != "expect result t1:3 ok" {
		t.Fatalf("%d witnesses, want 3 with the expect result one last", len(ws))
	}
	f := writeFile(t, t.TempDir(), "r.json", data)
	if code, out := replay("-quiet", "-witness", "2", f); code != run.ExitOK || !strings.Contains(out, "returned SIGBUS, expected ok") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	f = editJSON(t, data, func(d *report.ReportData) {
		w := d.Witnesses()[2]
		w.Trace = w.Trace[:len(w.Trace)-1]
	})
	if code, out := replay("-quiet", "-witness", "2", f); code != run.ExitFail {
		t.Fatalf("without its last step: exit %d, want 1\n%s", code, out)
	}
}

// TestReplayFindsScenario: a relative scenario path that is not found from the
// current directory is looked up next to the JSON file.
func TestReplayFindsScenario(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(aopsSwap)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "s"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "s/moved.scn", src)
	data := checkJSON(t, aopsSwap)
	ds, _ := report.ReadReports(data)
	ds[0].Scenario.Path = "s/moved.scn"
	out, _ := json.Marshal(ds[0])
	f := writeFile(t, dir, "r.json", out)
	if code, msg := replay("-quiet", f); code != run.ExitOK {
		t.Fatalf("exit %d\n%s", code, msg)
	}
}

// TestReplayBadInput: missing or garbled JSON, a scenario that does not parse, a
// witness that does not exist: exit 2.
func TestReplayBadInput(t *testing.T) {
	dir := t.TempDir()
	data := checkJSON(t, aopsSwap)
	badScn := writeFile(t, dir, "bad.scn", []byte("scenario x\nproposal nope\n"))
	cases := map[string]string{
		"garbled":      writeFile(t, dir, "garbled.json", data[:len(data)/2]),
		"not a report": writeFile(t, dir, "other.json", []byte(`{"foo": 1}`)),
		"empty":        writeFile(t, dir, "empty.json", nil),
		"missing":      filepath.Join(dir, "nonexistent.json"),
		"bad scenario": editJSON(t, data, func(d *report.ReportData) {
			d.Scenario.Path, d.Scenario.Source, d.Scenario.SHA256 = badScn, "", ""
		}),
		"bad embedded scenario": editJSON(t, data, func(d *report.ReportData) {
			d.Scenario.Source = "scenario x\nproposal nope\n"
			d.Scenario.SHA256 = report.SourceHash([]byte(d.Scenario.Source))
		}),
		"no scenario": editJSON(t, data, func(d *report.ReportData) {
			d.Scenario.Path, d.Scenario.Source, d.Scenario.SHA256 = filepath.Join(dir, "gone.scn"), "", ""
		}),
		"bad proposal":  editJSON(t, data, func(d *report.ReportData) { d.Proposal = "nope" }),
		"unknown thing": editJSON(t, data, func(d *report.ReportData) { d.Mutants = []string{"nope"} }),
		"bad crash":     editJSON(t, data, func(d *report.ReportData) { d.Crash = "sometimes" }),
		"other fs":      editJSON(t, data, func(d *report.ReportData) { d.FS = "xfs" }),
		"bad thread":    editJSON(t, data, func(d *report.ReportData) { d.Properties[0].Witnesses[0].Trace[0] = 7 }),
		"huge trace": editJSON(t, data, func(d *report.ReportData) {
			d.Properties[0].Witnesses[0].Trace = make([]int, 200_000)
		}),
	}
	for name, f := range cases {
		if code, out := replay(f); code != run.ExitBadInput {
			t.Errorf("%s: exit %d, want 2\n%s", name, code, out)
		}
	}
	f := writeFile(t, dir, "r.json", data)
	for _, args := range [][]string{{"-witness", "2", f}, {"-witness", "-1", f}, {}, {f, f}} {
		if code, out := replay(args...); code != run.ExitBadInput {
			t.Errorf("replay %v: exit %d, want 2\n%s", args, code, out)
		}
	}
}

// TestHTMLReport: -format html is one page with a timeline per counterexample,
// one lane per thread acting in it, each counterexample's end marked: the
// violating step, or the end row of a crash or a deadlock.
func TestHTMLReport(t *testing.T) {
	lock := "../../testdata/scenarios/locking/dirty-pmem-aware-xfs.scn"
	for _, files := range [][]string{{aopsSwap}, {aopsSwap, lock}} {
		var out, errb bytes.Buffer
		realMain(append([]string{"check", "-format", "html"}, files...), &out, &errb)
		page := out.String()
		if errb.Len() > 0 || !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.HasSuffix(strings.TrimSpace(page), "</html>") {
			t.Fatalf("%v: stderr %q, page:\n%s", files, errb.String(), page)
		}
		wellFormed(t, page)
		if strings.Contains(page, "<script") || strings.Contains(page, "http://") || strings.Contains(page, "https://") {
			t.Errorf("%v: the page is not self-contained", files)
		}
		var want int
		for _, f := range files {
			ds, err := report.ReadReports(checkJSON(t, f))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range ds[0].Witnesses() {
				want++
				for _, steps := range relatedSteps(w) {
					header := `<th class="step">step</th>` + laneHeads(steps) + `</tr>`
					if !strings.Contains(page, header) {
						t.Errorf("%s witness %d: no timeline with the lanes %s", f, w.Index, header)
					}
				}
			}
		}
		ends := strings.Count(page, `<tr class="bug">`) + strings.Count(page, `<tr class="end `)
		if ends != want {
			t.Errorf("%v: %d marked ends, want one per counterexample (%d)", files, ends, want)
		}
		// Every row has the step number, then a bar gutter and a cell per
		// lane; one cell has the step.
		for _, tl := range regexp.MustCompile(`(?s)<table class="timeline">.*?</table>`).FindAllString(page, -1) {
			lanes := strings.Count(tl, `<th class="lane"`)
			for _, row := range regexp.MustCompile(`(?s)<tr( class="bug")?><td class="step">.*?</tr>`).FindAllString(tl, -1) {
				cells, gutters := strings.Count(row, "<td"), strings.Count(row, `<td class="gutter">`)
				if acts := strings.Count(row, `<td class="cell act`); acts != 1 || cells != 1+2*lanes || gutters != lanes {
					t.Fatalf("row with %d cells, %d gutters, %d acting for %d lanes:\n%s", cells, gutters, acts, lanes, row)
				}
			}
		}
	}
}

// relatedSteps is the steps of a counterexample and of every earlier schedule
// it refers to: one timeline each.
func relatedSteps(w *report.WitnessData) [][]report.StepView {
	out := [][]report.StepView{w.Steps}
	for _, r := range w.Related {
		out = append(out, r.Steps)
	}
	return out
}

// laneHeads is the lane headers of a timeline of steps: the threads acting in
// them, in thread order.
func laneHeads(steps []report.StepView) string {
	names := map[int]string{}
	var threads []int
	for _, v := range steps {
		if _, ok := names[v.Thread]; !ok {
			names[v.Thread] = v.Name
			threads = append(threads, v.Thread)
		}
	}
	slices.Sort(threads)
	var b strings.Builder
	for _, th := range threads {
		b.WriteString(`<th class="lane" colspan="2">` + names[th] + `</th>`)
	}
	return b.String()
}

// wellFormed checks that the tags of page nest (void elements closed implicitly).
func wellFormed(t *testing.T, page string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(strings.TrimPrefix(page, "<!DOCTYPE html>")))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	var stack []string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			stack = append(stack, tok.Name.Local)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1] != tok.Name.Local {
				t.Fatalf("</%s> closes %v", tok.Name.Local, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed elements %v", stack)
	}
}

// TestReproduceHints: every reproduce command a report prints (text, JSON,
// HTML all print ReproduceCommand), run as printed from another directory,
// gives the same verdict: the same exit status and the same counterexample
// class. The cases carry the flags that change a result: a mutant, a
// proposal other than the file's, -crash, a random run.
func TestReproduceHints(t *testing.T) {
	cases := [][]string{
		{aopsSwap},
		{"-mutant", "fault-skips-invalidate-lock", "-proposal", "linux", "builtin:truncate-fault"},
		{"-proposal", "linux", "builtin:flush-hole-plain"},
		{"-crash", "never", "-proposal", "baseline", "builtin:flush-hole"},
		{"-mode", "random", "-runs", "50", "-seed", "7", aopsSwap},
		{"-mode", "swarm", "-seed", "3", "-shard", "1/4", "-max-states", "40", aopsSwap},
	}
	other := t.TempDir()
	n := 0
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := realMain(append([]string{"check", "-format", "json"}, c...), &out, &errb)
		ds, err := report.ReadReports(out.Bytes())
		if err != nil {
			t.Fatalf("check %v: %v\n%s", c, err, errb.String())
		}
		ws := ds[0].Witnesses()
		if len(ws) == 0 && code != run.ExitOK {
			t.Fatalf("check %v: exit %d and no counterexample", c, code)
		}
		for _, w := range ws {
			n++
			args := strings.Fields(w.Reproduce)
			if len(args) < 3 || args[0] != "daxsim" || args[1] != "check" {
				t.Fatalf("%v: reproduce command %q", c, w.Reproduce)
			}
			func() {
				wd, _ := os.Getwd()
				defer os.Chdir(wd)
				os.Chdir(other)
				var o2, e2 bytes.Buffer
				code2 := realMain(append(args[1:], "-format", "json"), &o2, &e2)
				ds2, err := report.ReadReports(o2.Bytes())
				if err != nil {
					t.Fatalf("%s (from %s): %v\n%s", w.Reproduce, other, err, e2.String())
				}
				found := false
				for _, w2 := range ds2[0].Witnesses() {
					found = found || w2.Check == w.Check && w2.Class == w.Class && len(w2.Trace) == len(w.Trace)
				}
				if code2 != code || !found {
					t.Errorf("%s from another directory: exit %d (want %d), %s (%s) of %d steps found: %v",
						w.Reproduce, code2, code, w.Check, w.Class, len(w.Trace), found)
				}
			}()
		}
	}
	if n < len(cases) {
		t.Fatalf("only %d counterexamples for %d cases", n, len(cases))
	}
}
