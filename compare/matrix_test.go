package compare

import (
	"bytes"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model/proposals"
	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/scenarios"
)

// builtinWorkloads is the built-in suite, or the named part of it.
func builtinWorkloads(t *testing.T, names ...string) []Workload {
	t.Helper()
	if len(names) == 0 {
		names = scenarios.BuiltinNames()
		sort.Strings(names)
	}
	var out []Workload
	for _, n := range names {
		src, ok := scenarios.Builtin(n)
		if !ok {
			t.Fatalf("no built-in workload %s", n)
		}
		out = append(out, Workload{Name: n, Path: "scenarios/builtin/" + n + ".scn", Src: src})
	}
	return out
}

var (
	fullOnce   sync.Once
	fullMatrix *Matrix
	fullErr    error
)

// full is the whole matrix, built once for the tests that read it.
func full(t *testing.T) *Matrix {
	t.Helper()
	fullOnce.Do(func() {
		fullMatrix, fullErr = BuildMatrix(MatrixOptions{Suite: "builtin", Proposals: proposals.Names(),
			Workloads: builtinWorkloads(t), Workers: 4, MaxStates: 500_000})
	})
	if fullErr != nil {
		t.Fatal(fullErr)
	}
	return fullMatrix
}

// TestMatrixCoversSpec: one row per proposal of SPEC.md section 4 and one verdict per
// property of section 5, every cell decided (the built-in suite is small enough to
// explore completely under every proposal).
// lacksOptIn are the proposals that offer applications no durability opt-in
// (no MAP_SYNC, daxfile, seal or immutable flag): every offered workload's
// opt-in fails under them.
var lacksOptIn = map[string]bool{"baseline": true, "flip-live": true, "flip-xarray-check": true, "flip-locked": true,
	"flip-aops-refcount": true, "flip-dir-inherit": true, "flip-dontcache": true, "mincore-dax": true}

func TestMatrixCoversSpec(t *testing.T) {
	m := full(t)
	if len(m.Rows) != len(proposals.Names()) || len(m.Rows) != 18 {
		t.Fatalf("%d rows, want the 18 proposals", len(m.Rows))
	}
	for i, p := range proposals.Names() {
		r := &m.Rows[i]
		if r.Proposal != p {
			t.Errorf("row %d is %s, want %s", i, r.Proposal, p)
		}
		if len(r.Props) != 11 || len(m.Columns) != 11 {
			t.Fatalf("%s: %d columns, want 11 (the 9 properties, the 2 durability ones per usage)", p, len(r.Props))
		}
		for j, a := range r.Props {
			if a.Column() != m.Columns[j] {
				t.Errorf("%s: column %d is %s, want %s", p, j, a.Column(), m.Columns[j])
			}
			if a.Verdict != run.Pass && a.Verdict != run.Violation && a.Verdict != run.Vacuous {
				t.Errorf("%s x %s: %s (%s), want a decided verdict", p, a.Column(), a.Verdict, a.Why)
			}
			// Vacuous only where a proposal lacks every opt-in the offered
			// durability workloads use (MAP_SYNC, daxfile, a seal...): the
			// opt-in is refused, nothing is promised.
			if a.Verdict == run.Vacuous && (a.Column() != "no-lost-block/offered" || !lacksOptIn[p]) {
				t.Errorf("%s x %s: vacuous", p, a.Column())
			}
		}
		if r.States == 0 || r.Serial.Stores == 0 {
			t.Errorf("%s: %d states, %d stores in the serial runs", p, r.States, r.Serial.Stores)
		}
	}
	for _, c := range m.Cells {
		if !c.Complete {
			t.Errorf("%s under %s: search incomplete (%s)", c.Workload, c.Proposal, c.Limit)
		}
	}
	// Every property is checked by some workload of the suite.
	for j, name := range checker.Names() {
		checked := false
		for _, c := range m.Cells {
			checked = checked || c.Props[j].Checked()
		}
		if !checked {
			t.Errorf("no built-in workload checks %s", name)
		}
	}
}

func cell(t *testing.T, m *Matrix, proposal, workload string) *Cell {
	t.Helper()
	for i := range m.Cells {
		if c := &m.Cells[i]; c.Proposal == proposal && c.Workload == workload {
			return c
		}
	}
	t.Fatalf("no cell %s x %s", proposal, workload)
	return nil
}

func cellProp(t *testing.T, c *Cell, property string) *CellProp {
	t.Helper()
	for i := range c.Props {
		if c.Props[i].Property == property {
			return &c.Props[i]
		}
	}
	t.Fatalf("no property %s in %s x %s", property, c.Proposal, c.Workload)
	return nil
}

func agg(t *testing.T, m *Matrix, proposal, property string) *Agg {
	t.Helper()
	r := m.Row(proposal)
	if r == nil {
		t.Fatalf("no row %s", proposal)
	}
	a := r.Agg(property)
	if a == nil {
		t.Fatalf("no column %s", property)
	}
	return a
}

// TestKnownCells pins verdicts the model gives for a known reason.
func TestKnownCells(t *testing.T) {
	m := full(t)

	// Seed 003: flip-xarray-check lets a fault through a page-cache VMA run
	// after the a_ops were swapped; flip-dontcache defers S_DAX to the next
	// instantiation.
	if a := agg(t, m, "flip-xarray-check", "aops-consistent"); a.Verdict != run.Violation ||
		(a.Workload != "aops-swap" && a.Workload != "aops-swap-reopen") {
		t.Errorf("flip-xarray-check x aops-consistent = %+v, want a violation in an aops-swap workload", a)
	}
	if cp := cellProp(t, cell(t, m, "flip-xarray-check", "aops-swap"), "aops-consistent"); cp.Verdict != run.Violation {
		t.Errorf("flip-xarray-check x aops-swap: aops-consistent %s", cp.Verdict)
	}
	for _, p := range []string{"flip-dontcache", "linux"} {
		if a := agg(t, m, p, "aops-consistent"); a.Verdict != run.Pass {
			t.Errorf("%s x aops-consistent = %+v, want pass", p, a)
		}
	}

	// 4.14: the store into a hole is flushed, but the block allocation is only
	// in the running transaction: lost at a crash. map-sync's write fault
	// commits it before the PTE becomes writable.
	a := agg(t, m, "baseline", "flush-is-durable/offered")
	if a.Verdict != run.Violation || a.Workload != "flush-hole" || a.Class != "lost-block" {
		t.Errorf("baseline x flush-is-durable/offered = %+v, want a lost-block violation in flush-hole", a)
	}
	if a := agg(t, m, "baseline", "no-lost-block/plain"); a.Verdict != run.Pass {
		t.Errorf("baseline x no-lost-block/plain = %+v, want pass: fsync keeps what it promises", a)
	}
	if a := agg(t, m, "baseline", "no-lost-block/offered"); a.Verdict != run.Vacuous {
		t.Errorf("baseline x no-lost-block/offered = %+v, want vacuous: 4.14 offers no MAP_SYNC, so nothing is promised", a)
	}
	// MAP_SYNC makes the flush durable; a plain MAP_SHARED mapping does not
	// (seen on a real 6.1 kernel), except under pmem-aware, which promises it
	// for every shared mapping.
	for _, p := range []string{"map-sync", "linux"} {
		if a := agg(t, m, p, "flush-is-durable/offered"); a.Verdict != run.Pass {
			t.Errorf("%s x flush-is-durable/offered = %+v, want pass", p, a)
		}
		if a := agg(t, m, p, "flush-is-durable/plain"); a.Verdict != run.Violation || a.Workload != "flush-hole-plain" {
			t.Errorf("%s x flush-is-durable/plain = %+v, want a violation in flush-hole-plain", p, a)
		}
	}
	if a := agg(t, m, "pmem-aware", "flush-is-durable/plain"); a.Verdict != run.Pass {
		t.Errorf("pmem-aware x flush-is-durable/plain = %+v, want pass", a)
	}

	// Denial of service (seed 004's MAP_DENYWRITE argument): a reader blocks
	// flip-xarray-check's flip, a read-only mapper PMEM_IMMUTABLE's clear.
	if a := agg(t, m, "flip-xarray-check", "no-denial"); a.Verdict != run.Violation || a.Workload != "reader-blocks-flip" {
		t.Errorf("flip-xarray-check x no-denial = %+v, want a violation in reader-blocks-flip", a)
	}
	if a := agg(t, m, "pmem-immutable", "no-denial"); a.Verdict != run.Violation || a.Workload != "mapper-blocks-clear" {
		t.Errorf("pmem-immutable x no-denial = %+v, want a violation in mapper-blocks-clear", a)
	}
	base, sync := cell(t, m, "baseline", "flush-hole"), cell(t, m, "map-sync", "flush-hole")
	if base.Serial.Commits != 0 || sync.Serial.Commits != 1 || sync.Serial.Stores != 1 {
		t.Errorf("flush-hole serial runs: baseline %+v, map-sync %+v; want no commit under baseline, "+
			"one commit for the one store under map-sync", base.Serial, sync.Serial)
	}
	// On an allocated block the flush is enough under every proposal.
	for _, p := range proposals.Names() {
		if cp := cellProp(t, cell(t, m, p, "flush-written"), "flush-is-durable"); cp.Verdict != run.Pass {
			t.Errorf("%s x flush-written: flush-is-durable %s", p, cp.Verdict)
		}
	}

	// Seed 002: remapping a block under a live mapping without blocking faults
	// leaves a PTE to the old block; Jan Kara's protocol does not.
	if a := agg(t, m, "remap-naive", "no-stale-pte"); a.Verdict != run.Violation || a.Workload != "defrag-live" {
		t.Errorf("remap-naive x no-stale-pte = %+v, want a violation in defrag-live", a)
	}
	if a := agg(t, m, "remap-kara", "no-stale-pte"); a.Verdict != run.Pass {
		t.Errorf("remap-kara x no-stale-pte = %+v, want pass", a)
	}

	// The reference model passes everything but what it does not promise.
	for _, a := range m.Row("linux").Props {
		if a.Verdict != run.Pass && a.Column() != "flush-is-durable/plain" {
			t.Errorf("linux x %s = %+v, want pass", a.Column(), a)
		}
	}
}

// TestMatrixWorkersDeterministic: the matrix and its renderings do not depend on
// how many jobs run at once.
func TestMatrixWorkersDeterministic(t *testing.T) {
	opt := MatrixOptions{Suite: "builtin", Proposals: []string{"baseline", "map-sync", "flip-xarray-check", "remap-naive"},
		Workloads: builtinWorkloads(t), MaxStates: 500_000}
	var outs [2][3]bytes.Buffer
	for i, n := range []int{1, 3} {
		opt.Workers = n
		m, err := BuildMatrix(opt)
		if err != nil {
			t.Fatal(err)
		}
		m.WriteText(&outs[i][0], false)
		if err := m.WriteJSON(&outs[i][1], false); err != nil {
			t.Fatal(err)
		}
		if err := m.WriteHTML(&outs[i][2], false); err != nil {
			t.Fatal(err)
		}
	}
	for f, name := range []string{"text", "json", "html"} {
		if !bytes.Equal(outs[0][f].Bytes(), outs[1][f].Bytes()) {
			t.Errorf("%s output differs between 1 and 3 workers", name)
		}
	}
}

// TestFold checks the aggregation rule on made-up cells: violation (the shortest,
// the first workload on a tie) beats unknown beats pass; a workload that does
// not check a property does not count; no workload at all is unknown.
func TestFold(t *testing.T) {
	props := checker.Names()
	mk := func(vs map[string]CellProp) Cell {
		c := Cell{}
		for _, n := range props {
			cp := vs[n]
			cp.Property = n
			c.Props = append(c.Props, cp)
		}
		return c
	}
	m := &Matrix{Properties: props, Workloads: []string{"w1", "w2", "w3"}, Usages: []string{"plain", "offered", "plain"}}
	m.Cells = []Cell{
		mk(map[string]CellProp{"aops-consistent": {Verdict: run.Pass}, "no-deadlock": {Verdict: run.Violation, Length: 9, Class: "a"},
			"lock-order": {Verdict: run.Unknown, Why: "max-states 10 reached"}, "no-denial": {Verdict: run.Pass}}),
		mk(map[string]CellProp{"aops-consistent": {Verdict: run.Pass}, "no-deadlock": {Verdict: run.Violation, Length: 7, Class: "b"},
			"lock-order": {Verdict: run.Pass}, "no-denial": {Verdict: run.Unknown, Why: "x"}}),
		mk(map[string]CellProp{"aops-consistent": {Verdict: run.Pass}, "no-deadlock": {Verdict: run.Violation, Length: 7, Class: "c"},
			"lock-order": {Verdict: run.Violation, Length: 20}}),
	}
	r := m.fold(0, "p")
	want := map[string]Agg{
		"aops-consistent":       {Verdict: run.Pass},
		"no-deadlock":           {Verdict: run.Violation, Length: 7, Workload: "w2", Class: "b"},
		"lock-order":            {Verdict: run.Violation, Length: 20, Workload: "w3"},
		"no-denial":             {Verdict: run.Unknown, Workload: "w2", Why: "x"},
		"no-lost-block/offered": {Verdict: run.Unknown, Why: "no offered workload checks it"},
	}
	for n, w := range want {
		w.Property, w.Usage, _ = strings.Cut(n, "/")
		if got := r.Agg(n); got == nil || *got != w {
			t.Errorf("%s: got %+v, want %+v", n, got, w)
		}
	}
}

func TestBuildMatrixErrors(t *testing.T) {
	if _, err := BuildMatrix(MatrixOptions{Proposals: []string{"no-such"}, Workloads: builtinWorkloads(t, "aops-swap")}); err == nil {
		t.Error("an unknown proposal is accepted")
	}
	bad := []Workload{{Name: "bad", Path: "bad.scn", Src: []byte("scenario bad\nproposal linux\nthread t1 nobody\n")}}
	if _, err := BuildMatrix(MatrixOptions{Proposals: []string{"linux"}, Workloads: bad}); err == nil {
		t.Error("a workload that does not parse is accepted")
	}
}

// TestMatrixLimitIsUnknown: a search cut short by -max-states never reads as pass.
func TestMatrixLimitIsUnknown(t *testing.T) {
	m, err := BuildMatrix(MatrixOptions{Suite: "builtin", Proposals: []string{"flip-dontcache"},
		Workloads: builtinWorkloads(t, "aops-swap", "flush-written"), Workers: 2, MaxStates: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"aops-consistent", "no-lost-block/offered"} {
		if a := agg(t, m, "flip-dontcache", name); a.Verdict != run.Unknown || a.Why != "max-states 10 reached" {
			t.Errorf("%s: %+v, want unknown (max-states 10 reached)", name, a)
		}
	}
}

// TestMatrixHTMLLinks: in the compare page every violation, in the matrix and
// in the per-workload tables, links to an anchor on the page; the anchor holds
// the counterexample's timeline and the command that prints it.
func TestMatrixHTMLLinks(t *testing.T) {
	m := full(t)
	var out bytes.Buffer
	if err := m.WriteHTML(&out, false); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	links := regexp.MustCompile(`<td class="viol"[^>]*><a href="#(cx-[^"]*)"`).FindAllStringSubmatch(page, -1)
	viols := strings.Count(page, `<td class="viol"`)
	if len(links) != viols || viols == 0 {
		t.Errorf("%d links to counterexamples for %d violation cells", len(links), viols)
	}
	for _, l := range links {
		i := strings.Index(page, `<section class="cx" id="`+l[1]+`">`)
		if i < 0 {
			t.Fatalf("link to #%s: no such anchor", l[1])
		}
		sec := page[i : i+strings.Index(page[i:], "</section>")]
		if !strings.Contains(sec, `<table class="timeline">`) || !strings.Contains(sec, "reproduce: <code>daxsim check -proposal ") {
			t.Errorf("counterexample %s has no timeline or no command:\n%s", l[1], sec)
		}
	}
	aops := `<section class="cx" id="cx-flip-xarray-check--aops-swap--aops-consistent">`
	if !strings.Contains(page, `href="#cx-flip-xarray-check--aops-swap--aops-consistent"`) || !strings.Contains(page, aops) {
		t.Errorf("flip-xarray-check x aops-consistent does not link to its aops-swap counterexample")
	}
}
