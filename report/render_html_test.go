package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// htmlOf checks a scenario (see reportOf) and returns its HTML report.
func htmlOf(t *testing.T, path, proposal string) string {
	t.Helper()
	var out bytes.Buffer
	if err := WriteHTML(&out, reportOf(t, path, proposal)); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

var (
	laneRE = regexp.MustCompile(`<th class="lane" colspan="2">([^<]*)</th>`)
	headRE = regexp.MustCompile(`(?s)<thead>.*?</thead>`)
	// cellRE matches a lane cell with a step: its classes and content.
	cellRE = regexp.MustCompile(`(?s)<td class="cell act([^"]*)">(.*?)</td>`)
)

// marked is the content of every step cell with mark kind (m-KIND).
func marked(page, kind string) []string {
	var out []string
	for _, m := range cellRE.FindAllStringSubmatch(page, -1) {
		if strings.Contains(m[1]+" ", " m-"+kind+" ") {
			out = append(out, m[2])
		}
	}
	return out
}

// TestHTMLTimelineAopsSwap: the timeline of aops-swap has lanes for t1 and t2
// only (not the idle journal), marks t2's check (xa_empty) and change (the
// swap) and t1's violating use, and shows the SIGBUS that use returns as an
// error, ok as a plain result.
func TestHTMLTimelineAopsSwap(t *testing.T) {
	page := htmlOf(t, "../testdata/scenarios/aops-swap.scn", "")
	heads := headRE.FindAllString(page, -1)
	if len(heads) != 2 {
		t.Fatalf("%d timelines, want 2 (one per counterexample)", len(heads))
	}
	for _, h := range heads {
		var lanes []string
		for _, m := range laneRE.FindAllStringSubmatch(h, -1) {
			lanes = append(lanes, m[1])
		}
		if strings.Join(lanes, " ") != "t1 t2" {
			t.Errorf("lanes %v, want the acting threads t1 t2:\n%s", lanes, h)
		}
	}
	first := page[:strings.Index(page, `id="witness-1"`)]
	for _, c := range []struct{ kind, has string }{
		{"check", "setflag: xa_empty(&amp;mapping-&gt;i_pages)?"},
		{"change", "setflag: swap S_DAX and a_ops"},
		{"bug", `<div class="ret err">returns SIGBUS</div>`},
	} {
		cells := marked(first, c.kind)
		if len(cells) != 1 || !strings.Contains(cells[0], c.has) {
			t.Errorf("cells marked %s: %q, want one with %q", c.kind, cells, c.has)
		}
		if !strings.Contains(first, `<span class="badge b-`+c.kind+`">`) {
			t.Errorf("no legend entry for the %s mark", c.kind)
		}
	}
	if !strings.Contains(first, `<tr class="bug"><td class="step">12</td>`) {
		t.Errorf("the row of the violating step 12 is not highlighted")
	}
	if strings.Contains(page, `err">returns ok`) || !strings.Contains(page, `<div class="ret">returns ok</div>`) {
		t.Errorf("ok is not shown as a plain result")
	}
	// t1 holds mmap_lock for read across t2's steps 7-11: its bar runs through them.
	row9 := regexp.MustCompile(`(?s)<td class="step">9</td>(.*?)</tr>`).FindStringSubmatch(first)
	if row9 == nil || !strings.Contains(row9[1], `title="mmap_lock(app)"`) {
		t.Errorf("step 9 has no bar for t1's mmap_lock: %q", row9)
	}
}

// TestHTMLTimelineDeadlock: a deadlock marks the last step of every blocked
// thread and ends with what each waits for; the journal's last step is only
// the last step.
func TestHTMLTimelineDeadlock(t *testing.T) {
	page := htmlOf(t, "../testdata/mutants/write-copies-under-handle.scn", "")
	page = page[:strings.Index(page, `id="witness-1"`)]
	blocked := marked(page, "blocked")
	if len(blocked) != 3 {
		t.Fatalf("%d blocked steps, want 3 (t1, t2, t3): %q", len(blocked), blocked)
	}
	for i, fn := range []string{"filemap_invalidate_lock_shared", "dax_copy_from_iter", "vm_mmap_pgoff: mmap_write_lock"} {
		if !strings.Contains(blocked[i], fn) {
			t.Errorf("blocked step %d is not at %s: %q", i, fn, blocked[i])
		}
	}
	if last := marked(page, "last"); len(last) != 1 || !strings.Contains(last[0], "commit loop") {
		t.Errorf("last step: %q", last)
	}
	if !strings.Contains(page, `<tr class="end deadlock">`) ||
		!strings.Contains(page, "waits for jbd2_handle in ext4_dax_huge_fault: ext4_journal_start, holding mmap_lock(app)/R") {
		t.Errorf("no end row saying what t1 waits for")
	}
}

// TestHTMLTimelineCrash: a crash counterexample ends with the power cut and
// the recovered image.
func TestHTMLTimelineCrash(t *testing.T) {
	page := htmlOf(t, "builtin:flush-hole-plain", "linux")
	if !strings.Contains(page, `<tr class="end crash">`) || !strings.Contains(page, "power cut after step 12") ||
		!strings.Contains(page, "page 0: hole (in memory b0 written, not committed); reads 0") {
		t.Errorf("no crash row with the recovered image")
	}
	if heads := headRE.FindAllString(page, -1); len(heads) != 1 || strings.Contains(heads[0], "jbd2") {
		t.Errorf("lanes: %q, want t1 only", heads)
	}
}

func TestIsErrorResult(t *testing.T) {
	for name, want := range map[string]bool{"EBUSY": true, "SIGBUS": true, "SIGSEGV": true, "EIO": true,
		"ok": false, "dax": false, "nodax": false, "A": false, "0": false, "E": false} {
		if got := isErrorResult(name); got != want {
			t.Errorf("isErrorResult(%q) = %v, want %v", name, got, want)
		}
	}
}
