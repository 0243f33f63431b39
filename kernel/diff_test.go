package kernel

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daxsim/daxsim/scenarios"
)

// The judging side of daxsim kernel, without QEMU: prepare builds the model
// side, judge is given what a real kernel might print.

func writeScn(t *testing.T, name, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const holeFlush = `scenario hole-flush
proposal linux
file f pages=1 dax=on extents=hole
process app uid=0
thread t1 app
  open f rw as fd
  mmap fd 0 MAPFLAGS rw as m
  store m 0 A
  flush m 0
crash after t1:4
`

func TestDiffPowerCut(t *testing.T) {
	for _, c := range []struct {
		flags string
		read  string
		want  string
	}{
		{"shared", "0", VerdictAgree}, // what 6.1 shows: the allocation was never committed
		{"shared", "A", VerdictAgree}, // a background commit before the cut
		{"shared,validate,sync", "A", VerdictAgree},
		{"shared,validate,sync", "0", VerdictDisagree}, // MAP_SYNC promised it
	} {
		for _, fs := range []string{"ext4", "xfs"} {
			path := writeScn(t, "hole.scn", strings.Replace(holeFlush, "MAPFLAGS", c.flags, 1))
			dc := prepare(path, 0, DiffOptions{FS: fs})
			if dc.rep.Verdict != "" {
				t.Fatalf("%s: %s", c.flags, dc.rep.Note)
			}
			if dc.rep.Kind != KindPowerCut || !dc.prog.PowerCut || dc.rep.CutAfter != "t1:4" {
				t.Fatalf("%s: not a power cut: %+v", c.flags, dc.rep)
			}
			pr := &ProgramResult{Lines: []string{"t1:1 ok", "t1:2 ok", "t1:3 ok", "t1:4 ok"}, Cut: true,
				Readback: []string{"FILE f size=1", "f:0 " + c.read}}
			judge(dc, pr, nil)
			if dc.rep.Verdict != c.want {
				t.Errorf("%s %s read %s: %s, want %s (images %v)", fs, c.flags, c.read, dc.rep.Verdict, c.want, dc.rep.Images)
			}
			if c.want == VerdictDisagree {
				var b bytes.Buffer
				dc.rep.writeText(&b)
				if !strings.Contains(b.String(), "f:0        0            A   <--") {
					t.Errorf("no page row in\n%s", b.String())
				}
			}
		}
	}
	// -crash-after on a file without a crash line.
	path := writeScn(t, "hole.scn", strings.Replace(strings.Replace(holeFlush, "MAPFLAGS", "shared", 1), "crash after t1:4\n", "", 1))
	dc := prepare(path, 0, DiffOptions{CrashAfter: &StmtRef{"t1", 3}})
	if dc.rep.Kind != KindPowerCut || dc.rep.CutAfter != "t1:3" {
		t.Fatalf("-crash-after: %+v", dc.rep)
	}
	judge(dc, &ProgramResult{Lines: []string{"t1:1 ok", "t1:2 ok", "t1:3 ok"}, Cut: true, Readback: []string{"FILE f size=1", "f:0 0"}}, nil)
	if dc.rep.Verdict != VerdictAgree || dc.rep.Stmts[3].Real != "-" || dc.rep.Compared != 3 {
		t.Errorf("cut after t1:3: %+v", dc.rep)
	}
	// No marker: unknown, never a pass.
	dc = prepare(path, 0, DiffOptions{CrashAfter: &StmtRef{"t1", 3}})
	judge(dc, &ProgramResult{Lines: []string{"t1:1 ok", "t1:2 ok", "t1:3 ok"}, Readback: []string{"FILE f size=1", "f:0 0"}}, nil)
	if dc.rep.Verdict != VerdictUnknown {
		t.Errorf("no cut: %s", dc.rep.Verdict)
	}
}

func TestDiffSerial(t *testing.T) {
	src := `scenario s
proposal map-sync
fs xfs
mutant fsync-no-wrprotect
device blocks=2
file f pages=1 dax=on
file g absent
process app uid=1000
setup app
  open f rw as fd
thread t1 app
  write fd 0 A
  evict f
thread t2 app
  read fd 0
  create g as gd
  read gd 0 after t1:2
`
	path := writeScn(t, "s.scn", src)
	dc := prepare(path, 0, DiffOptions{FS: "ext4", Mount: "dax"})
	if dc.rep.Verdict != "" {
		t.Fatal(dc.rep.Note)
	}
	if dc.rep.FS != "ext4" || dc.rep.Mount != "dax" || dc.scn.Mount != "always" || dc.rep.Kind != KindSerial {
		t.Fatalf("options not applied: %+v", dc.rep)
	}
	if len(dc.outs.Tuples) != 1 {
		t.Fatalf("serial: %d model tuples", len(dc.outs.Tuples))
	}
	good := []string{"setup:1 ok", "t1:1 ok", "t1:2 ok", "t2:1 A", "t2:2 ok", "t2:3 0"}
	judge(dc, &ProgramResult{Lines: good}, nil)
	if dc.rep.Verdict != VerdictAgree || dc.rep.Compared != 6 {
		t.Errorf("good run: %s %s %+v", dc.rep.Verdict, dc.rep.Note, dc.rep.Stmts)
	}
	// The model says EBUSY for the evict of an open file; drop_caches says ok.
	if row := dc.rep.Stmts[2]; row.Stmt != "t1:2" || row.Model[0] != "ok" {
		t.Errorf("evict row %+v", row)
	}
	for _, bad := range [][]string{
		{"setup:1 ok", "t1:1 ok", "t1:2 ok", "t2:1 0", "t2:2 ok", "t2:3 0"},
		{"setup:1 ok", "t1:1 ok", "t1:2 ok", "t2:1 A", "t2:2 ok"},
		{"setup:1 ok", "t1:1 short:12", "t1:2 ok", "t2:1 A", "t2:2 ok", "t2:3 0"},
	} {
		dc := prepare(path, 0, DiffOptions{FS: "ext4", Mount: "dax"})
		judge(dc, &ProgramResult{Lines: bad}, nil)
		if dc.rep.Verdict != VerdictDisagree {
			t.Errorf("%q: %s", bad, dc.rep.Verdict)
		}
		var b bytes.Buffer
		dc.rep.writeText(&b)
		if !strings.Contains(b.String(), "<--") || !strings.Contains(b.String(), "DISAGREE") {
			t.Errorf("no marked row:\n%s", b.String())
		}
	}
	for _, pr := range []*ProgramResult{
		{Err: errors.New("timeout")},
		{Lines: append([]string{"DAXSIM-SETUP-ERROR create x EIO"}, good...)},
		{Lines: good, RC: 1},
	} {
		dc := prepare(path, 0, DiffOptions{FS: "ext4", Mount: "dax"})
		judge(dc, pr, nil)
		if dc.rep.Verdict != VerdictUnknown {
			t.Errorf("%+v: %s", pr, dc.rep.Verdict)
		}
	}
}

func TestDiffConcurrent(t *testing.T) {
	dc := prepare("../testdata/kernel/race-store-truncate.scn", 0, DiffOptions{FS: "ext4", Mount: "dax", Runs: 3})
	if dc.rep.Verdict != "" || dc.rep.Kind != KindConcurrent {
		t.Fatalf("%+v", dc.rep)
	}
	if !strings.Contains(string(dc.prog.Source), "#define DX_LOOPS 3") {
		t.Error("not a loop of 3")
	}
	run := func(store, load, read string) []string {
		return []string{"t1:1 ok", "t1:2 ok", "t1:3 " + store, "t1:4 " + load, "t2:1 ok", "t2:2 ok", "t2:3 ok", "t2:4 " + read}
	}
	var lines []string
	for i, r := range [][]string{run("ok", "A", "0"), run("SIGBUS", "SIGBUS", "0"), run("ok", "A", "0")} {
		lines = append(append(lines, "RUN "+string(rune('1'+i))), r...)
	}
	judge(dc, &ProgramResult{Lines: lines}, nil)
	if dc.rep.Verdict != VerdictAgree || len(dc.rep.Observed) != 2 || dc.rep.Observed[0].N != 2 || dc.rep.Compared != 24 {
		t.Fatalf("%s %s %+v", dc.rep.Verdict, dc.rep.Note, dc.rep.Observed)
	}
	dc = prepare("../testdata/kernel/race-store-truncate.scn", 0, DiffOptions{FS: "ext4", Mount: "dax", Runs: 3})
	lines = append(lines[:len(lines)-1], "t2:4 B")
	judge(dc, &ProgramResult{Lines: lines}, nil)
	if dc.rep.Verdict != VerdictDisagree {
		t.Fatalf("a tuple outside the set: %s", dc.rep.Verdict)
	}
	var b bytes.Buffer
	dc.rep.writeText(&b)
	if !strings.Contains(b.String(), "t2:4=B   <-- not in the model's set") || !strings.Contains(b.String(), "  seen  t1:1=ok") {
		t.Errorf("histogram:\n%s", b.String())
	}
}

func TestDiffRefusedAndExit(t *testing.T) {
	dc := prepare("../testdata/scenarios/proposals/daxfile.scn", 0, DiffOptions{})
	if dc.rep.Verdict != VerdictRefused || !strings.Contains(dc.rep.Note, "never merged") {
		t.Errorf("daxfile: %+v", dc.rep)
	}
	rep := &DiffReport{Cases: []CaseReport{{Verdict: VerdictAgree}}}
	if rep.Exit() != 0 {
		t.Error("agree")
	}
	rep.Cases = append(rep.Cases, CaseReport{Verdict: VerdictUnknown})
	if rep.Exit() != 3 {
		t.Error("unknown")
	}
	rep.Cases = append(rep.Cases, CaseReport{Verdict: VerdictDisagree})
	if rep.Exit() != 1 {
		t.Error("disagree")
	}
	rep.Cases = append(rep.Cases, CaseReport{Verdict: VerdictRefused})
	if rep.Exit() != 2 {
		t.Error("refused")
	}
	if (&DiffReport{}).Exit() != 3 {
		t.Error("nothing run is a pass")
	}
	// Bad options.
	for _, o := range []DiffOptions{{FS: "btrfs"}, {Mount: "dax=maybe"}, {Runs: -1}, {Runs: 2, CrashAfter: &StmtRef{"t1", 1}}} {
		if _, err := Diff(t.Context(), []string{"x.scn"}, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	// Only refused files: nothing boots.
	r, err := Diff(t.Context(), []string{"../testdata/scenarios/proposals/daxfile.scn"}, DiffOptions{FS: "ext4,xfs"})
	if err != nil || len(r.Cases) != 2 || r.Exit() != 2 || r.Boots != 0 {
		t.Errorf("%v %+v", err, r)
	}
}

func TestKernelCommandBadInput(t *testing.T) {
	for _, args := range [][]string{{}, {"-format", "xml", "a.scn"}, {"-crash-after", "x", "a.scn"}, {"-accel", "hvf", "a.scn"}, {"-fs", "zfs", "a.scn"}} {
		var out, errb bytes.Buffer
		if code := KernelCommand(args, &out, &errb, scenarios.ParseOptions{}); code != 2 {
			t.Errorf("%q: exit %d", args, code)
		}
	}
}

func TestDiffAfterCrash(t *testing.T) {
	for _, c := range []struct {
		read, want string
	}{{"0", VerdictAgree}, {"A", VerdictAgree}, {"B", VerdictDisagree}} {
		dc := prepare("../testdata/scenarios/language/after-crash-plain-flush.scn", 0, DiffOptions{})
		if dc.prog.AfterCrash == nil || len(dc.acSets) == 0 {
			t.Fatalf("no after-crash program or sets: %+v", dc.rep)
		}
		judge(dc, &ProgramResult{Lines: []string{"t1:1 ok", "t1:2 ok", "t1:3 ok", "t1:4 ok"}, Cut: true,
			AfterCrash: []string{"crash:1 ok", "crash:2 " + c.read}, Readback: []string{"FILE f size=1", "f:0 0"}}, nil)
		if dc.rep.Verdict != c.want || len(dc.rep.AfterCrash) != 2 {
			t.Errorf("crash:2 %s: %s, want %s (%+v)", c.read, dc.rep.Verdict, c.want, dc.rep.AfterCrash)
		}
	}
}

// TestDiffSkipped: -fs naming a filesystem a file cannot run on, while it runs
// on its own fs line, skips it (not bad input).
func TestDiffSkipped(t *testing.T) {
	dc := prepare("../testdata/scenarios/remap/shared-extent-write.scn", 0, DiffOptions{FS: "ext4"})
	if dc.rep.Verdict != VerdictSkipped || !strings.Contains(dc.rep.Note, "fs line says xfs") {
		t.Errorf("%+v", dc.rep)
	}
	rep := &DiffReport{Cases: []CaseReport{*dc.rep, {Verdict: VerdictAgree}}}
	if rep.Exit() != 0 || rep.Counts().Skipped != 1 {
		t.Errorf("exit %d %+v", rep.Exit(), rep.Counts())
	}
	if (&DiffReport{Cases: []CaseReport{*dc.rep}}).Exit() != 3 {
		t.Error("only skipped cases pass")
	}
}
