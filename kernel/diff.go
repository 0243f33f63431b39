package kernel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// The differential oracle (daxsim kernel): each scenario's program runs on
// the real kernel and what it shows is judged against the linux model built
// for the same filesystem, mount option and schedule.
//
//   - serial: the real tuple of statement results must be one of the model's
//     outcome tuples under the same total order (Order);
//   - power cut (crash after T:N): the same for the statements before the
//     cut, and the files read back after the reboot must be one of the
//     model's crash images after that statement (sim.CrashImages);
//   - concurrent (Runs > 0): the tuple of every run must be in the model's
//     set of reachable outcome tuples.

// Case kinds.
const (
	KindSerial     = "serial"
	KindPowerCut   = "power-cut"
	KindConcurrent = "concurrent"
)

// Verdicts of a case.
const (
	VerdictAgree    = "agree"
	VerdictDisagree = "DISAGREE"
	VerdictUnknown  = "unknown" // not run or not observed in full, or the model's search was cut
	VerdictRefused  = "refused" // bad input: the file does not parse, build or generate
	// VerdictSkipped: -fs asked for a filesystem the file cannot run on
	// (defrag on XFS, shared extents on ext4) while it runs on its own fs line.
	VerdictSkipped = "skipped"
)

// DiffOptions say how daxsim kernel runs the scenarios.
type DiffOptions struct {
	// FS overrides each scenario's fs line: ext4, xfs, or a comma-separated
	// list (every file runs on each); empty: the line.
	FS string
	// Mount overrides each scenario's mount line: inode, always or never (the
	// scenario language's names; always is mounted -o dax); empty: the line.
	Mount string
	// Runs > 0 makes every file a concurrent case run Runs times.
	Runs int
	// CrashAfter makes every file a power-cut case cut after that statement
	// (the scenario's own "crash after" line otherwise).
	CrashAfter *StmtRef
	// Parse are the names the parser accepts (the command's proposals,
	// properties and mutants).
	Parse scenarios.ParseOptions
	// MaxStates bounds each model search (0: no limit).
	MaxStates int
	// The runner's settings (see Job).
	Accel          string
	Guest          *Guest
	BootTimeout    time.Duration
	ProgramTimeout time.Duration
	WorkDir        string
	KeepWork       bool
	// Progress receives one line per step (model, boot, case); nil: nothing.
	Progress io.Writer
}

// StmtRow is one statement of a serial or power-cut case.
type StmtRow struct {
	Stmt  string   `json:"stmt"` // T:N
	Text  string   `json:"text"`
	Real  string   `json:"real"`  // "-": it did not return (after the cut)
	Model []string `json:"model"` // the results the model allows there (over its tuples)
	Agree bool     `json:"agree"` // Real is among Model
}

// PageRow is one page read back after a power cut.
type PageRow struct {
	Page  int      `json:"page"`
	Real  string   `json:"real"`
	Model []string `json:"model"` // the tokens the model's images allow (same size)
	Agree bool     `json:"agree"`
}

// FileRow is one file read back after a power cut.
type FileRow struct {
	Name  string    `json:"name"`
	Real  string    `json:"real"`  // "missing" or "size=N"
	Model []string  `json:"model"` // the sizes the model's images allow
	Agree bool      `json:"agree"`
	Pages []PageRow `json:"pages,omitempty"`
}

// TupleCount is one observed outcome tuple of a concurrent case.
type TupleCount struct {
	Tuple   string `json:"tuple"`
	N       int    `json:"n"`
	InModel bool   `json:"in_model"`
}

// CaseReport is the verdict on one scenario file.
type CaseReport struct {
	File    string `json:"file"`
	Name    string `json:"scenario"`
	FS      string `json:"fs"`
	Mount   string `json:"mount"` // the mount option: dax, dax=inode, dax=never
	Kind    string `json:"kind"`
	Verdict string `json:"verdict"`
	// Note says why a case is refused or unknown, or what else was seen.
	Note string `json:"note,omitempty"`
	// Serial and power cut: every statement, the real result beside the model's.
	Stmts []StmtRow `json:"stmts,omitempty"`
	// ModelTuples: how many outcome tuples the model has for the schedule.
	ModelTuples int `json:"model_tuples,omitempty"`
	// Power cut.
	CutAfter string    `json:"cut_after,omitempty"`
	Files    []FileRow `json:"files,omitempty"`
	// AfterCrash: the statements of the after-crash block, run after the
	// reboot, beside the results the model's block has at the crash points.
	AfterCrash []StmtRow `json:"after_crash,omitempty"`
	Images     []string  `json:"images,omitempty"` // the model's crash images (sim.CrashImage.Key)
	// Concurrent.
	Runs     int          `json:"runs,omitempty"`
	Observed []TupleCount `json:"observed,omitempty"`
	Model    []string     `json:"model,omitempty"` // the model's outcome tuples
	// Other lines the program printed (diagnostics).
	Other []string `json:"other,omitempty"`
	// Compared counts the statement results compared (runs x statements).
	Compared int `json:"compared"`
}

// GroupReport is one (filesystem, mount) group: one Run.
type GroupReport struct {
	FS        string        `json:"fs"`
	Mount     string        `json:"mount"`
	Cases     int           `json:"cases"`
	Boots     int           `json:"boots"`
	Wall      time.Duration `json:"wall_ns"`
	Kernel    string        `json:"kernel"`
	Accel     string        `json:"accel"`
	AccelNote string        `json:"accel_note"`
	Err       string        `json:"error,omitempty"`
}

// DiffReport is what Diff found.
type DiffReport struct {
	Kernel    string        `json:"kernel"`
	Accel     string        `json:"accel"`
	AccelNote string        `json:"accel_note"`
	Boots     int           `json:"boots"`
	Wall      time.Duration `json:"wall_ns"`
	Groups    []GroupReport `json:"groups"`
	Cases     []CaseReport  `json:"cases"`
}

// Counts sums the report.
type Counts struct {
	Scenarios, Agree, Disagree, Unknown, Refused, Skipped int
	Statements                                            int // statement results compared
	PowerCuts                                             int // power-cut cases run
	ConcurrentRuns                                        int
	DistinctOutcomes                                      int // distinct tuples seen over the concurrent cases
}

// Counts sums the cases.
func (r *DiffReport) Counts() Counts {
	var c Counts
	for _, cr := range r.Cases {
		c.Scenarios++
		switch cr.Verdict {
		case VerdictAgree:
			c.Agree++
		case VerdictDisagree:
			c.Disagree++
		case VerdictUnknown:
			c.Unknown++
		case VerdictRefused:
			c.Refused++
		case VerdictSkipped:
			c.Skipped++
		}
		c.Statements += cr.Compared
		if cr.Kind == KindPowerCut && cr.Files != nil {
			c.PowerCuts++
		}
		if cr.Kind == KindConcurrent {
			for _, o := range cr.Observed {
				c.ConcurrentRuns += o.N
			}
			c.DistinctOutcomes += len(cr.Observed)
		}
	}
	return c
}

// Exit is the command's status: 2 a file refused (bad input), else 1 a
// disagreement, else 3 something unknown (never a pass), else 0.
func (r *DiffReport) Exit() int {
	c := r.Counts()
	switch {
	case c.Refused > 0:
		return 2
	case c.Disagree > 0:
		return 1
	case c.Unknown > 0 || c.Scenarios == c.Skipped:
		return 3
	}
	return 0
}

// dcase is a case being prepared and run.
type dcase struct {
	rep    *CaseReport
	scn    *scenarios.Scenario
	built  *scenarios.Built
	outs   *sim.OutcomeSet
	images *sim.CrashImageSet
	// acSets: per distinct crash point, the results each statement of the
	// after-crash block may have there; acDone: the search was complete.
	acSets [][][]string
	acDone bool
	prog   Program
	mount  string // the scenario language's name
}

var progNameRE = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// MountOption is the mount option for a scenario mount name: always is -o dax.
func MountOption(m string) string {
	switch m {
	case "always":
		return "dax"
	case "never":
		return "dax=never"
	}
	return "dax=inode"
}

// MountName is the scenario name of a mount option (dax, dax=always,
// dax=inode, dax=never), "" if it is none.
func MountName(opt string) string {
	switch opt {
	case "dax", "dax=always", "always":
		return "always"
	case "dax=inode", "inode":
		return "inode"
	case "dax=never", "never":
		return "never"
	}
	return ""
}

// Diff runs the scenario files on the real kernel and judges them against the
// linux model. The error is for a failure before any case could be judged
// (options); the rest is in the report.
func Diff(ctx context.Context, files []string, opt DiffOptions) (*DiffReport, error) {
	fsList := []string{""}
	if opt.FS != "" {
		fsList = nil
		for _, f := range strings.Split(opt.FS, ",") {
			if f != "ext4" && f != "xfs" {
				return nil, fmt.Errorf("filesystem %q: expected ext4, xfs or ext4,xfs", f)
			}
			if !slices.Contains(fsList, f) {
				fsList = append(fsList, f)
			}
		}
	}
	if opt.Mount != "" && MountName(opt.Mount) == "" {
		return nil, fmt.Errorf("mount option %q: expected dax, dax=inode or dax=never", opt.Mount)
	}
	if opt.Runs < 0 {
		return nil, fmt.Errorf("runs %d: expected a count >= 0", opt.Runs)
	}
	if opt.Runs > 0 && opt.CrashAfter != nil {
		return nil, errors.New("-runs and -crash-after exclude each other: a concurrent run has no statement after which every other has stopped")
	}
	start := time.Now()
	rep := &DiffReport{}
	var cases []*dcase
	for _, fs := range fsList {
		for _, path := range files {
			o := opt
			o.FS = fs
			progressf(opt.Progress, "model: scenario %d of %d: %s %s", len(cases)+1, len(files)*len(fsList), path, fs)
			cases = append(cases, prepare(path, len(cases), o))
		}
	}
	// One Run per (filesystem, mount), in the order of first appearance.
	type group struct {
		fs, mount string
		cases     []*dcase
	}
	var groups []*group
	for _, c := range cases {
		if c.rep.Verdict != "" {
			continue
		}
		var g *group
		for _, x := range groups {
			if x.fs == c.rep.FS && x.mount == c.rep.Mount {
				g = x
			}
		}
		if g == nil {
			g = &group{fs: c.rep.FS, mount: c.rep.Mount}
			groups = append(groups, g)
		}
		g.cases = append(g.cases, c)
	}
	n := 0
	for _, g := range groups {
		n += len(g.cases)
		// The runner's order (serial cases first, then the power cuts), so
		// that "scenario i of n" counts up.
		sort.SliceStable(g.cases, func(i, j int) bool {
			return g.cases[i].rep.Kind != KindPowerCut && g.cases[j].rep.Kind == KindPowerCut
		})
	}
	guest := opt.Guest
	if guest == nil && len(groups) > 0 {
		var err error
		guest, err = PrepareGuest(ctx, GuestOptions{Install: os.Geteuid() == 0, Progress: opt.Progress})
		if err != nil {
			for _, g := range groups {
				rep.Groups = append(rep.Groups, GroupReport{FS: g.fs, Mount: g.mount, Cases: len(g.cases), Err: err.Error()})
				for _, c := range g.cases {
					judge(c, nil, err)
				}
			}
			groups = nil
		}
	}
	k := 0
	for _, g := range groups {
		job := Job{FS: g.fs, Mount: g.mount, Guest: guest, Accel: opt.Accel, BootTimeout: opt.BootTimeout,
			ProgramTimeout: opt.ProgramTimeout, Progress: opt.Progress, WorkDir: opt.WorkDir, KeepWork: opt.KeepWork}
		if opt.WorkDir != "" {
			job.WorkDir = filepath.Join(opt.WorkDir, g.fs+"-"+strings.ReplaceAll(g.mount, "=", "-"))
		}
		for _, c := range g.cases {
			k++
			c.prog.Label = fmt.Sprintf("scenario %d of %d: %s (%s %s, %s)", k, n, c.rep.File, g.fs, g.mount, c.rep.Kind)
			job.Programs = append(job.Programs, c.prog)
		}
		gstart := time.Now()
		progressf(opt.Progress, "kernel: %s -o %s: %d scenario(s)", g.fs, g.mount, len(g.cases))
		res, err := Run(ctx, job)
		gr := GroupReport{FS: g.fs, Mount: g.mount, Cases: len(g.cases), Wall: time.Since(gstart)}
		if res != nil {
			gr.Boots, gr.Kernel, gr.Accel, gr.AccelNote = len(res.Boots), res.Kernel, res.Accel, res.AccelNote
			rep.Kernel, rep.Accel, rep.AccelNote = res.Kernel, res.Accel, res.AccelNote
			rep.Boots += len(res.Boots)
		}
		if err != nil {
			gr.Err = err.Error()
		}
		rep.Groups = append(rep.Groups, gr)
		for i, c := range g.cases {
			var pr *ProgramResult
			if res != nil && i < len(res.Programs) {
				pr = &res.Programs[i]
			}
			judge(c, pr, err)
		}
	}
	for _, c := range cases {
		rep.Cases = append(rep.Cases, *c.rep)
	}
	rep.Wall = time.Since(start)
	return rep, nil
}

// prepare parses, generates and builds the model side of one file; a refused
// file has its verdict set.
func prepare(path string, i int, opt DiffOptions) *dcase {
	c := &dcase{rep: &CaseReport{File: path}}
	refuse := func(err error) *dcase {
		c.rep.Verdict, c.rep.Note = VerdictRefused, err.Error()
		return c
	}
	scn, err := scenarios.ParseFile(path, opt.Parse)
	if err != nil {
		return refuse(err)
	}
	c.scn = scn
	c.rep.Name = scn.Name
	// What the real machine is: the filesystem and mount asked for, a device
	// far larger than the model's, no seeded bugs, a journal that commits on
	// its own (jbd2's timer, the XFS log), the linux proposal.
	ownFS := scn.FS
	if opt.FS != "" {
		scn.FS = opt.FS
	}
	if opt.Mount != "" {
		scn.Mount = MountName(opt.Mount)
	}
	c.mount = scn.Mount
	c.rep.FS, c.rep.Mount = scn.FS, MountOption(scn.Mount)
	scn.Mutants, scn.MutantPos = nil, nil
	scn.Blocks = 0
	scn.Commit = "background"
	ropt := ReproOptions{FS: scn.FS, DirectAsUnknown: true}
	bopt := scenarios.Options{Proposal: "linux"}
	switch {
	case opt.Runs > 0:
		c.rep.Kind, c.rep.Runs = KindConcurrent, opt.Runs
		ropt.Schedule, ropt.Loop = ScheduleConcurrent, opt.Runs
		bopt.Crash = "anywhere" // the crash line does not apply
	case opt.CrashAfter != nil:
		c.rep.Kind = KindPowerCut
		scn.Crash = "after"
		scn.CrashAfter = scenarios.Ref{Thread: opt.CrashAfter.Thread, Index: opt.CrashAfter.Index}
		ropt.CrashAfter = opt.CrashAfter
	case scn.Crash == "after":
		c.rep.Kind = KindPowerCut
	default:
		c.rep.Kind = KindSerial
	}
	if c.rep.Kind == KindPowerCut {
		c.rep.CutAfter = fmt.Sprintf("%s:%d", scn.CrashAfter.Thread, scn.CrashAfter.Index)
		if err := validRef(scn, StmtRef{scn.CrashAfter.Thread, scn.CrashAfter.Index}, "crash after"); err != nil {
			return refuse(fmt.Errorf("%s: %v", path, err))
		}
	}
	src, err := Repro(scn, ropt)
	if err != nil {
		if ownFS != scn.FS {
			own := ropt
			own.FS = ownFS
			if _, err2 := Repro(scn, own); err2 == nil {
				c.rep.Verdict, c.rep.Note = VerdictSkipped, fmt.Sprintf("%v (the file's fs line says %s)", err, ownFS)
				return c
			}
		}
		return refuse(err)
	}
	base := progNameRE.ReplaceAllString(strings.TrimSuffix(filepath.Base(path), ".scn"), "_")
	c.prog = Program{Name: fmt.Sprintf("c%03d-%s", i+1, base), Source: src}
	if c.rep.Kind == KindPowerCut {
		c.prog.PowerCut, c.prog.ReaderArgs = true, ReaderArgs(scn)
		if c.prog.AfterCrash, err = AfterCrashProgram(scn, scn.FS); err != nil {
			return refuse(err)
		}
	}
	if opt.Runs > 0 && opt.ProgramTimeout == 0 {
		c.prog.Timeout = 60*time.Second + time.Duration(opt.Runs)*time.Second
	}
	b, err := scenarios.Build(scn, bopt)
	if err != nil {
		return refuse(err)
	}
	c.built = b
	if c.rep.Kind != KindConcurrent {
		order, err := Order(scn, nil)
		if err != nil {
			return refuse(fmt.Errorf("%s: %v", path, err))
		}
		Serialize(b, order)
	}
	c.outs = sim.Outcomes(b.Kernel, &b.Init, opt.MaxStates)
	if c.rep.Kind == KindPowerCut {
		c.images = sim.CrashImages(b.Kernel, &b.Init, opt.MaxStates)
		if b.AfterCrash != nil {
			c.acSets, c.acDone = afterCrashSets(b, opt.MaxStates)
		}
	}
	return c
}

// afterCrashSets explores every reachable state (at most maxStates) and
// returns, for each distinct crash point, the results each statement of the
// after-crash block may have on what recovery leaves there
// (model.Kernel.AfterCrash: the durable and the newest image).
func afterCrashSets(b *scenarios.Built, maxStates int) ([][][]string, bool) {
	k := b.Kernel
	var out [][][]string
	found := map[string]bool{}
	_, complete := sim.EachCrashPoint(k, &b.Init, maxStates, func(s *model.State) {
		var set [][]string
		for _, rs := range k.AfterCrash(s, b.AfterCrash, b.AfterCrashProc) {
			var names []string
			for _, r := range rs {
				names = append(names, k.ResultName(r))
			}
			sort.Strings(names)
			set = append(set, names)
		}
		key := fmt.Sprint(set)
		if !found[key] {
			found[key] = true
			out = append(out, set)
		}
	})
	if !complete {
		return out, false
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out, true
}

// judgeAfterCrash compares the after-crash block's real results with the
// model's: one crash point must allow every one of them.
func (c *dcase) judgeAfterCrash(lines []string) (bool, error) {
	runs, err := ParseOutput(lines)
	if err != nil {
		return false, err
	}
	if len(runs) != 1 {
		return false, fmt.Errorf("the after-crash program printed %d runs", len(runs))
	}
	th := c.scn.AfterCrash
	real := make([]string, len(th.Stmts))
	for i := range th.Stmts {
		v, ok := runs[0].Results[StmtRef{scenarios.CrashThread, i + 1}]
		if !ok {
			v = "-"
		}
		real[i] = v
	}
	ok := false
	for _, set := range c.acSets {
		all := true
		for i, v := range real {
			if i >= len(set) || !slices.Contains(set[i], v) {
				all = false
				break
			}
		}
		if all {
			ok = true
			break
		}
	}
	for i, st := range th.Stmts {
		row := StmtRow{Stmt: fmt.Sprintf("%s:%d", scenarios.CrashThread, i+1), Text: st.Text, Real: real[i]}
		for _, set := range c.acSets {
			if i < len(set) {
				for _, v := range set[i] {
					if !slices.Contains(row.Model, v) {
						row.Model = append(row.Model, v)
					}
				}
			}
		}
		sort.Strings(row.Model)
		row.Agree = slices.Contains(row.Model, row.Real)
		c.rep.AfterCrash = append(c.rep.AfterCrash, row)
		if real[i] != "-" {
			c.rep.Compared++
		}
	}
	return ok, nil
}

// Serialize makes the model run the statements in order, one at a time: each
// statement whose predecessor in the order belongs to another thread waits
// for it (an after clause). The journal thread is left free.
func Serialize(b *scenarios.Built, order []StmtRef) {
	k := b.Kernel
	idx := map[string]int{}
	for t := range k.Threads {
		if !k.Threads[t].Daemon {
			idx[k.Threads[t].Name] = t
		}
	}
	for i := 1; i < len(order); i++ {
		prev, cur := order[i-1], order[i]
		if prev.Thread == cur.Thread {
			continue
		}
		st := &k.Threads[idx[cur.Thread]].Prog[cur.Index-1]
		st.After = append(st.After, model.StmtRef{Valid: true, Thread: idx[prev.Thread], PC: prev.Index - 1})
	}
}

// modelTuples renders the model's outcome tuples, one result name per
// statement ("-" for a statement that never returned). The model's EBUSY of
// evict is "ok": drop_caches never fails, it leaves an inode in use alone,
// which is what the model's EBUSY does.
func modelTuples(c *dcase) [][]string {
	k := c.built.Kernel
	evict := make([]bool, len(c.outs.Stmts))
	for i, s := range c.outs.Stmts {
		if st := stmtOf(c.scn, s); st != nil && st.Op == model.OpEvict {
			evict[i] = true
		}
	}
	var out [][]string
	for _, o := range c.outs.Tuples {
		t := make([]string, len(o))
		for i, r := range o {
			switch {
			case r == model.ResNone:
				t[i] = "-"
			default:
				t[i] = k.ResultName(r)
			}
			if evict[i] && t[i] == "EBUSY" {
				t[i] = "ok"
			}
		}
		out = append(out, t)
	}
	return out
}

// stmtOf is the scenario statement "T:N".
func stmtOf(scn *scenarios.Scenario, ref string) *scenarios.Stmt {
	r, err := ParseStmtRef(ref)
	if err != nil {
		return nil
	}
	th := findThread(scn, r.Thread)
	if th == nil || r.Index > len(th.Stmts) {
		return nil
	}
	return &th.Stmts[r.Index-1]
}

func realTuple(stmts []string, o Outcome) []string {
	t := make([]string, len(stmts))
	for i, s := range stmts {
		r, _ := ParseStmtRef(s)
		v, ok := o.Results[r]
		if !ok {
			v = "-"
		}
		t[i] = v
	}
	return t
}

func tupleText(stmts, t []string) string {
	parts := make([]string, len(t))
	for i := range t {
		parts[i] = stmts[i] + "=" + t[i]
	}
	return strings.Join(parts, " ")
}

func containsTuple(set [][]string, t []string) bool {
	for _, m := range set {
		if slices.Equal(m, t) {
			return true
		}
	}
	return false
}

// judge fills in the verdict of a case from what the kernel showed.
func judge(c *dcase, pr *ProgramResult, runErr error) {
	rep := c.rep
	unknown := func(format string, args ...any) {
		rep.Verdict, rep.Note = VerdictUnknown, fmt.Sprintf(format, args...)
	}
	switch {
	case pr == nil && runErr != nil:
		unknown("not run: %v", firstLine(runErr))
		return
	case pr == nil:
		unknown("not run")
		return
	case pr.Err != nil:
		unknown("not observed in full: %v", firstLine(pr.Err))
		return
	}
	runs, err := ParseOutput(pr.Lines)
	if err != nil {
		unknown("output: %v", err)
		return
	}
	for _, o := range runs {
		for _, l := range o.Other {
			if strings.HasPrefix(l, "DAXSIM-SETUP-ERROR") {
				unknown("run %d: %s", o.Run, l)
				return
			}
		}
		if len(o.Other) > 0 && len(rep.Other) < 20 {
			rep.Other = append(rep.Other, o.Other...)
		}
	}
	if pr.RC > 0 && !pr.Cut {
		unknown("the program exited with %d (%s)", pr.RC, strings.Join(rep.Other, "; "))
		return
	}
	stmts := c.outs.Stmts
	model := modelTuples(c)
	for _, t := range model {
		rep.Model = append(rep.Model, tupleText(stmts, t))
	}
	rep.ModelTuples = len(model)
	incomplete := ""
	if !c.outs.Complete {
		incomplete = fmt.Sprintf("the model's outcome search was cut (%s): its set may miss tuples", c.outs.Limit)
	}
	if rep.Kind == KindConcurrent {
		if len(runs) != rep.Runs {
			unknown("%d runs printed, %d asked for", len(runs), rep.Runs)
			return
		}
		counts := map[string]*TupleCount{}
		for _, o := range runs {
			t := realTuple(stmts, o)
			text := tupleText(stmts, t)
			if counts[text] == nil {
				counts[text] = &TupleCount{Tuple: text, InModel: containsTuple(model, t)}
			}
			counts[text].N++
			rep.Compared += len(stmts)
		}
		bad := 0
		for _, tc := range counts {
			rep.Observed = append(rep.Observed, *tc)
			if !tc.InModel {
				bad++
			}
		}
		sort.Slice(rep.Observed, func(i, j int) bool {
			a, b := rep.Observed[i], rep.Observed[j]
			if a.N != b.N {
				return a.N > b.N
			}
			return a.Tuple < b.Tuple
		})
		switch {
		case bad == 0:
			rep.Verdict = VerdictAgree
		case incomplete != "":
			unknown("%d observed tuple(s) outside the model's set, but %s", bad, incomplete)
		default:
			rep.Verdict = VerdictDisagree
		}
		return
	}
	// Serial and power cut: one run.
	if len(runs) != 1 {
		unknown("%d runs printed, 1 expected", len(runs))
		return
	}
	real := realTuple(stmts, runs[0])
	okStmts := containsTuple(model, real)
	for i, s := range stmts {
		row := StmtRow{Stmt: s, Real: real[i]}
		if st := stmtOf(c.scn, s); st != nil {
			row.Text = st.Text
		}
		for _, t := range model {
			if !slices.Contains(row.Model, t[i]) {
				row.Model = append(row.Model, t[i])
			}
		}
		sort.Strings(row.Model)
		row.Agree = slices.Contains(row.Model, row.Real)
		rep.Stmts = append(rep.Stmts, row)
		if real[i] != "-" {
			rep.Compared++
		}
	}
	okFiles := true
	if rep.Kind == KindPowerCut {
		if !pr.Cut {
			unknown("the program never reached its crash point (no DAXSIM-CUT)")
			return
		}
		ok, err := c.judgeReadback(pr.Readback)
		if err != nil {
			unknown("readback: %v", err)
			return
		}
		okFiles = ok
		if !c.images.Complete && !ok {
			if incomplete != "" {
				incomplete += "; "
			}
			incomplete += "the model's crash-image search was cut: its set may miss images"
		}
		if c.scn.AfterCrash != nil {
			ok, err := c.judgeAfterCrash(pr.AfterCrash)
			if err != nil {
				unknown("after-crash block: %v", err)
				return
			}
			okFiles = okFiles && ok
			if !c.acDone && !ok {
				if incomplete != "" {
					incomplete += "; "
				}
				incomplete += "the model's search of the crash points was cut"
			}
		}
	}
	switch {
	case okStmts && okFiles:
		rep.Verdict = VerdictAgree
	case incomplete != "":
		unknown("the real results are outside the model's, but %s", incomplete)
	default:
		rep.Verdict = VerdictDisagree
	}
}

// judgeReadback compares the reader's lines with the model's crash images.
func (c *dcase) judgeReadback(lines []string) (bool, error) {
	files, err := ParseReadback(lines)
	if err != nil {
		return false, err
	}
	k := c.built.Kernel
	var obs []sim.FileObservation
	for _, f := range c.scn.Files {
		st, ok := files[f.Name]
		if !ok {
			return false, fmt.Errorf("the reader did not report file %s", f.Name)
		}
		obs = append(obs, sim.FileObservation{Exists: !st.Missing, Pages: st.Pages, Values: st.Values})
	}
	for _, im := range c.images.Images {
		c.rep.Images = append(c.rep.Images, im.Key(k))
	}
	allowed := c.images.Allows(obs)
	for i, f := range c.scn.Files {
		o := obs[i]
		row := FileRow{Name: f.Name, Real: "missing"}
		if o.Exists {
			row.Real = fmt.Sprintf("size=%d", o.Pages)
		}
		pages := map[int][]string{}
		for _, im := range c.images.Images {
			fi := im[i]
			size := "missing"
			if fi.Exists {
				size = fmt.Sprintf("size=%d", fi.Pages)
			}
			if !slices.Contains(row.Model, size) {
				row.Model = append(row.Model, size)
			}
			if size != row.Real {
				continue
			}
			for pg, vs := range fi.Values {
				for _, v := range vs {
					if !slices.Contains(pages[pg], v) {
						pages[pg] = append(pages[pg], v)
					}
				}
			}
		}
		sort.Strings(row.Model)
		row.Agree = slices.Contains(row.Model, row.Real)
		for pg, v := range o.Values {
			pr := PageRow{Page: pg, Real: v, Model: pages[pg]}
			sort.Strings(pr.Model)
			pr.Agree = slices.Contains(pr.Model, v)
			row.Pages = append(row.Pages, pr)
		}
		c.rep.Files = append(c.rep.Files, row)
	}
	return allowed, nil
}

// WriteText writes the report: a header (the only place with times), then
// each file's verdict, with a side-by-side table for a disagreement.
func (r *DiffReport) WriteText(w io.Writer) {
	accel := r.Accel
	if accel == "" {
		accel = "none"
	}
	fmt.Fprintf(w, "daxsim kernel: %s under QEMU, accelerator %s", orNone(r.Kernel), strings.ToUpper(accel))
	if r.AccelNote != "" {
		fmt.Fprintf(w, " (%s)", r.AccelNote)
	}
	fmt.Fprintf(w, "\n  %d boot(s), wall time %.1fs\n", r.Boots, r.Wall.Seconds())
	for _, g := range r.Groups {
		fmt.Fprintf(w, "  %s -o %s: %d scenario(s), %d boot(s), %.1fs", g.FS, g.Mount, g.Cases, g.Boots, g.Wall.Seconds())
		if g.Err != "" {
			fmt.Fprintf(w, ", error: %s", firstLine(errors.New(g.Err)))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "  model: linux, the same filesystem and mount, commit background (the real journal commits on its own),")
	fmt.Fprintln(w, "  an unbounded device (no ENOSPC), no mutants; serial cases in the program's total order")
	for i := range r.Cases {
		fmt.Fprintln(w)
		r.Cases[i].writeText(w)
	}
	c := r.Counts()
	fmt.Fprintf(w, "\n%d case(s): %d agree, %d DISAGREE, %d unknown, %d refused, %d skipped; %d statement results compared, %d power cut(s), %d concurrent run(s) with %d distinct outcome(s)\n",
		c.Scenarios, c.Agree, c.Disagree, c.Unknown, c.Refused, c.Skipped, c.Statements, c.PowerCuts, c.ConcurrentRuns, c.DistinctOutcomes)
}

func orNone(s string) string {
	if s == "" {
		return "no kernel"
	}
	return s
}

func (cr *CaseReport) writeText(w io.Writer) {
	what := cr.Kind
	if cr.Kind == KindPowerCut {
		what = "power cut after " + cr.CutAfter
	}
	if cr.Kind == KindConcurrent {
		what = fmt.Sprintf("concurrent, %d runs", cr.Runs)
	}
	if cr.Verdict == VerdictRefused || cr.Verdict == VerdictSkipped {
		fmt.Fprintf(w, "== %s [%s]: %s\n  %s\n", cr.File, cr.FS, cr.Verdict, cr.Note)
		return
	}
	fmt.Fprintf(w, "== %s [%s -o %s, %s]: %s\n", cr.File, cr.FS, cr.Mount, what, cr.Verdict)
	if cr.Note != "" {
		fmt.Fprintf(w, "  %s\n", cr.Note)
	}
	if cr.Verdict == VerdictUnknown && cr.Stmts == nil && cr.Observed == nil {
		return
	}
	for _, l := range cr.Other {
		fmt.Fprintf(w, "  program: %s\n", l)
	}
	switch cr.Kind {
	case KindConcurrent:
		fmt.Fprintf(w, "  observed (runs, tuple):\n")
		for _, o := range cr.Observed {
			mark := ""
			if !o.InModel {
				mark = "   <-- not in the model's set"
			}
			fmt.Fprintf(w, "  %6d  %s%s\n", o.N, o.Tuple, mark)
		}
		fmt.Fprintf(w, "  the model's set (%d tuple(s)):\n", len(cr.Model))
		seen := map[string]bool{}
		for _, o := range cr.Observed {
			seen[o.Tuple] = true
		}
		for _, m := range cr.Model {
			mark := "        "
			if seen[m] {
				mark = "  seen  "
			}
			fmt.Fprintf(w, "%s%s\n", mark, m)
		}
		return
	}
	show := cr.Verdict != VerdictAgree
	if show {
		width := 9
		for _, s := range cr.Stmts {
			width = max(width, len(s.Text))
		}
		fmt.Fprintf(w, "  %-7s %-*s  %-12s %s\n", "stmt", width, "statement", "real", "model")
		for _, s := range cr.Stmts {
			mark := ""
			if !s.Agree {
				mark = "   <--"
			}
			fmt.Fprintf(w, "  %-7s %-*s  %-12s %s%s\n", s.Stmt, width, s.Text, s.Real, strings.Join(s.Model, "|"), mark)
		}
		if cr.ModelTuples > 1 {
			fmt.Fprintf(w, "  (the model has %d outcome tuples for this order; the real tuple must be one of them)\n", cr.ModelTuples)
		}
	}
	if cr.Kind == KindPowerCut && cr.Files != nil {
		if show {
			fmt.Fprintf(w, "  after the power cut and reboot (real | the model's images allow):\n")
		}
		for _, f := range cr.Files {
			if !show {
				var vals []string
				for _, p := range f.Pages {
					vals = append(vals, p.Real)
				}
				fmt.Fprintf(w, "  read back %s: %s %s\n", f.Name, f.Real, strings.Join(vals, " "))
				continue
			}
			mark := ""
			if !f.Agree {
				mark = "   <--"
			}
			fmt.Fprintf(w, "  %-10s %-12s %s%s\n", f.Name, f.Real, strings.Join(f.Model, "|"), mark)
			for _, p := range f.Pages {
				mark := ""
				if !p.Agree {
					mark = "   <--"
				}
				fmt.Fprintf(w, "  %-10s %-12s %s%s\n", fmt.Sprintf("%s:%d", f.Name, p.Page), p.Real, strings.Join(p.Model, "|"), mark)
			}
		}
		if len(cr.AfterCrash) > 0 {
			if show {
				fmt.Fprintf(w, "  the after-crash block (real | the model's results at the crash points):\n")
				for _, s := range cr.AfterCrash {
					mark := ""
					if !s.Agree {
						mark = "   <--"
					}
					fmt.Fprintf(w, "  %-10s %-24s %-12s %s%s\n", s.Stmt, s.Text, s.Real, strings.Join(s.Model, "|"), mark)
				}
			} else {
				var parts []string
				for _, s := range cr.AfterCrash {
					parts = append(parts, s.Stmt+"="+s.Real)
				}
				fmt.Fprintf(w, "  after crash: %s\n", strings.Join(parts, " "))
			}
		}
		fmt.Fprintf(w, "  the model's crash images after %s (file:size/page tokens):\n", cr.CutAfter)
		for _, im := range cr.Images {
			fmt.Fprintf(w, "    %s\n", im)
		}
	}
}
