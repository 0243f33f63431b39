package report

import (
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/run"
)

// WriteHTML writes the report as a self-contained HTML page: the verdict table
// and, per counterexample, a timeline with one lane per acting thread.
func WriteHTML(w io.Writer, r *run.Report) error { return WriteHTMLReports(w, []*run.Report{r}) }

// WriteHTMLReports writes several reports as one HTML page.
func WriteHTMLReports(w io.Writer, rs []*run.Report) error {
	var ds []*ReportData
	for _, r := range rs {
		ds = append(ds, Data(r))
	}
	return WriteHTMLData(w, ds)
}

// WriteHTMLData writes reports given as data (read back from JSON, or merged)
// as one page.
func WriteHTMLData(w io.Writer, ds []*ReportData) error {
	page := htmlPage{}
	var names []string
	for _, d := range ds {
		names = append(names, d.Scenario.Name)
		page.Reports = append(page.Reports, newHTMLReport(d))
	}
	page.Title = strings.Join(names, ", ")
	return htmlTemplate.Execute(w, &page)
}

type htmlPage struct {
	Title   string
	Reports []htmlReport
}

type htmlReport struct {
	*ReportData
	Props     []htmlProp
	Witnesses []htmlWitness
}

type htmlProp struct {
	Name, Verdict, Detail string
	Class                 string // the verdict, for the style
}

type htmlWitness struct {
	*WitnessData
	Main    Timeline
	Related []Timeline
}

func newHTMLReport(d *ReportData) htmlReport {
	hr := htmlReport{ReportData: d}
	for _, p := range d.Properties {
		verdict, detail := p.cells()
		hr.Props = append(hr.Props, htmlProp{Name: p.Name, Verdict: verdict, Detail: detail, Class: string(p.Verdict)})
	}
	for _, w := range d.Witnesses() {
		hw := htmlWitness{WitnessData: w, Main: WitnessTimeline(w)}
		for _, rel := range w.Related {
			tl := newTimeline(rel.Note, rel.Steps, rel.ReplayError, nil)
			tl.markLast(markTaken)
			hw.Related = append(hw.Related, tl)
		}
		hr.Witnesses = append(hr.Witnesses, hw)
	}
	return hr
}

// Timeline is a trace as a grid: one row per step, one lane per thread that
// acts in it (or is left blocked at the end of a deadlock). A lane is two
// columns: a gutter of lock-hold bars, one slot per lock the thread ever holds
// in the trace, and the thread's steps; only the acting thread's cell of a row
// has a step, but every lane's bars run through every row.
type Timeline struct {
	Title string
	Lanes []htmlLane
	Rows  []htmlRow
	End   *htmlEnd // after the last step: the crash point or the deadlock
	Marks []htmlMark
	Locks []htmlLockKey // the lock classes held in the trace, for the legend
	Error string

	lane map[int]int // thread index -> lane index
}

type htmlLane struct {
	Thread int
	Name   string
	Slots  []string // the locks the thread holds at some point, by first taking
}

// GutterPx is the width of the lane's bar gutter in pixels.
func (l htmlLane) GutterPx() int { return max(4, len(l.Slots)*barPitch+2) }

// LaneCols is how many table columns the lanes take.
func (tl Timeline) LaneCols() int { return 2 * len(tl.Lanes) }

// barPitch is the horizontal distance between two lock bars, in pixels.
const barPitch = 9

type htmlRow struct {
	N     int
	Class string // "bug" for the row of the violating step
	Cells []htmlCell
}

// htmlCell is one lane of one row: the bars of the locks the lane's thread
// holds there and, when the thread acts in the row, its step.
type htmlCell struct {
	Bars    []htmlBar
	Step    *StepView
	Marks   []htmlMark
	Locks   []htmlLock // held after the step
	Dropped []string   // released by the step
	Error   bool       // the step returned an error
	Wait    string     // at the end of a deadlock: what the thread waits for
}

// Class is the cell's CSS classes: act for a step, and the kind of each mark.
func (c htmlCell) Class() string {
	cls := []string{"cell"}
	if c.Step != nil {
		cls = append(cls, "act")
	}
	if c.Wait != "" {
		cls = append(cls, "waits")
	}
	for _, m := range c.Marks {
		cls = append(cls, "m-"+m.Kind)
	}
	return strings.Join(cls, " ")
}

// htmlBar is a held lock in the gutter: its slot's offset, colour class, and
// whether the hold is shared (a read hold of an rwsem).
type htmlBar struct {
	Name   string
	Left   int
	Color  int
	Shared bool
}

// htmlLock is a lock held after a step; New when the step took it.
type htmlLock struct {
	Name  string
	Color int
	New   bool
}

// htmlLockKey is a lock class in a legend.
type htmlLockKey struct {
	Class string
	Color int
}

// htmlMark flags a step of a counterexample; Kind is its style, Label its badge,
// Title what it means (the legend and the tooltip).
type htmlMark struct {
	Kind, Label, Title string
}

// The marks a timeline uses.
var (
	markCheck = htmlMark{"check", "check",
		"the other thread tests the state and decides on it (time of check)"}
	markChange = htmlMark{"change", "change",
		"that thread changes the state while the violating thread is in the middle of its statement"}
	markUse = htmlMark{"bug", "violation",
		"the violating thread goes on with what it saw before the change (time of use): the property breaks here"}
	markBug     = htmlMark{"bug", "violation", "the step after which the property is violated"}
	markLastDL  = htmlMark{"last", "last step", "after this step every running thread waits"}
	markBlocked = htmlMark{"blocked", "blocked", "the last step of a thread left waiting, holding its locks: a culprit of the deadlock"}
	markLastCr  = htmlMark{"last", "last step", "the last step before the power cut"}
	markTaken   = htmlMark{"taken", "order taken", "the step of this earlier schedule that takes the lock order"}
)

// htmlEnd is the row after the last step: the crash point with the image
// recovery finds, or the deadlock with what every blocked thread waits for.
type htmlEnd struct {
	Kind  string // crash or deadlock
	Label string
	Image string // the crash image
	Cells []htmlCell
}

// WitnessTimeline is the main timeline of a counterexample with its marks: the
// check, the change and the use of a race; the culprits of a deadlock; the
// crash point of a crash.
func WitnessTimeline(w *WitnessData) Timeline {
	var extra []htmlLane
	for _, b := range w.Blocked {
		extra = append(extra, htmlLane{Thread: b.Thread, Name: b.Name})
	}
	tl := newTimeline("", w.Steps, w.ReplayError, extra)
	if len(w.Steps) == 0 {
		return tl
	}
	crash := isCrashWitness(w.Check, w.Class)
	switch {
	case len(w.Blocked) > 0:
		tl.markLast(markLastDL)
		tl.markBlocked(w.Steps, w.Blocked)
	case crash:
		tl.markLast(markLastCr)
	case lockCycle(w.Class) == nil:
		tl.markRace(w.Steps)
	default:
		tl.markLast(markBug)
	}
	if crash && w.CrashImage != "" {
		tl.End = &htmlEnd{Kind: "crash", Label: "power cut after step " + strconv.Itoa(w.Steps[len(w.Steps)-1].N),
			Image: w.CrashImage}
	}
	return tl
}

// newTimeline lays out steps: a lane per thread acting in them and per extra
// lane (in thread order), the lock bars of every lane in every row.
func newTimeline(title string, steps []StepView, replayErr string, extra []htmlLane) Timeline {
	tl := Timeline{Title: title, Error: replayErr, Lanes: actingLanes(steps, extra), lane: map[int]int{}}
	for i := range tl.Lanes {
		tl.lane[tl.Lanes[i].Thread] = i
	}
	held := make([][]string, len(tl.Lanes)) // per lane, the locks held after its thread's last step
	for i := range steps {
		v := &steps[i]
		li := tl.lane[v.Thread]
		prev := held[li]
		held[li] = heldLocks(v.Held)
		tl.Lanes[li].addSlots(held[li])
		row := htmlRow{N: v.N, Cells: make([]htmlCell, len(tl.Lanes))}
		row.Cells[li] = stepCell(v, prev, held[li])
		for j := range tl.Lanes {
			row.Cells[j].Bars = barsOf(held[j])
		}
		tl.Rows = append(tl.Rows, row)
	}
	tl.placeBars()
	tl.Locks = lockKeys(tl.Lanes)
	return tl
}

// stepCell is the cell of step v, whose thread held prev before it and held
// after it.
func stepCell(v *StepView, prev, held []string) htmlCell {
	c := htmlCell{Step: v, Error: v.Returned && isErrorResult(v.Result)}
	for _, h := range held {
		c.Locks = append(c.Locks, htmlLock{Name: h, Color: lockColor(h), New: !slices.Contains(prev, h)})
	}
	for _, h := range prev {
		if !slices.Contains(held, h) {
			c.Dropped = append(c.Dropped, h)
		}
	}
	return c
}

// addSlots gives every lock of held without a slot in the lane the next one.
func (l *htmlLane) addSlots(held []string) {
	for _, h := range held {
		if name := lockBase(h); !slices.Contains(l.Slots, name) {
			l.Slots = append(l.Slots, name)
		}
	}
}

// placeBars sets every bar's offset from its lock's slot in the lane; a lock
// keeps its slot through the trace, so its bar runs straight down.
func (tl *Timeline) placeBars() {
	for i := range tl.Rows {
		for j := range tl.Rows[i].Cells {
			bars := tl.Rows[i].Cells[j].Bars
			for b := range bars {
				bars[b].Left = 1 + slices.Index(tl.Lanes[j].Slots, bars[b].Name)*barPitch
			}
		}
	}
}

// actingLanes is a lane per thread acting in steps and per extra lane, in
// thread order.
func actingLanes(steps []StepView, extra []htmlLane) []htmlLane {
	var lanes []htmlLane
	add := func(t int, name string) {
		for _, l := range lanes {
			if l.Thread == t {
				return
			}
		}
		lanes = append(lanes, htmlLane{Thread: t, Name: name})
	}
	for i := range steps {
		add(steps[i].Thread, steps[i].Name)
	}
	for _, l := range extra {
		add(l.Thread, l.Name)
	}
	slices.SortFunc(lanes, func(a, b htmlLane) int { return a.Thread - b.Thread })
	return lanes
}

// barsOf is the bars of the locks held (slot offsets are set later).
func barsOf(held []string) []htmlBar {
	var out []htmlBar
	for _, h := range held {
		out = append(out, htmlBar{Name: lockBase(h), Color: lockColor(h), Shared: strings.HasSuffix(h, "/R")})
	}
	return out
}

// mark flags step i (view v) of the timeline with m.
func (tl *Timeline) mark(i int, v *StepView, m htmlMark) {
	if i < 0 || i >= len(tl.Rows) {
		return
	}
	c := &tl.Rows[i].Cells[tl.lane[v.Thread]]
	c.Marks = append(c.Marks, m)
	if m.Kind == "bug" {
		tl.Rows[i].Class = "bug"
	}
	for _, have := range tl.Marks {
		if have == m {
			return
		}
	}
	tl.Marks = append(tl.Marks, m)
}

// markRace flags the race of a counterexample (raceWindow): the other
// thread's check and change, numbered in order, then the violating use; or
// only the violating step when no other thread changed anything.
func (tl *Timeline) markRace(steps []StepView) {
	win := raceWindow(steps)
	if win.change < 0 {
		tl.markLast(markBug)
		return
	}
	type racing struct {
		step int
		mark htmlMark
	}
	race := []racing{{win.change, markChange}, {win.end, markUse}}
	if win.check >= 0 {
		race = append([]racing{{win.check, markCheck}}, race...)
	}
	for n, r := range race {
		r.mark.Label = strconv.Itoa(n+1) + " " + r.mark.Label
		tl.mark(r.step, &steps[r.step], r.mark)
	}
}

// markLast flags the last step with m.
func (tl *Timeline) markLast(m htmlMark) {
	if n := len(tl.Rows); n > 0 {
		tl.mark(n-1, tl.Rows[n-1].step(), m)
	}
}

// step is the step of the row.
func (r *htmlRow) step() *StepView {
	for i := range r.Cells {
		if r.Cells[i].Step != nil {
			return r.Cells[i].Step
		}
	}
	return nil
}

// markBlocked flags the last step of every blocked thread of a deadlock and
// adds the end row: what each waits for, holding what.
func (tl *Timeline) markBlocked(steps []StepView, blocked []BlockedData) {
	end := &htmlEnd{Kind: "deadlock", Label: "deadlock", Cells: make([]htmlCell, len(tl.Lanes))}
	for li := range tl.Lanes {
		if n := len(tl.Rows); n > 0 {
			end.Cells[li].Bars = tl.Rows[n-1].Cells[li].Bars
		}
	}
	for _, b := range blocked {
		for i := len(steps) - 1; i >= 0; i-- {
			if steps[i].Thread == b.Thread {
				tl.mark(i, &steps[i], markBlocked)
				break
			}
		}
		held := b.Held
		if held == "-" {
			held = "nothing"
		}
		end.Cells[tl.lane[b.Thread]].Wait = "waits for " + b.WaitsFor + " in " + b.Fn + ", holding " + held
	}
	tl.End = end
}

// heldLocks splits a StepView.Held list ("-": none).
func heldLocks(held string) []string {
	if held == "-" {
		return nil
	}
	return strings.Fields(held)
}

// lockBase is a held lock without its mode: "mmap_lock(app)" of "mmap_lock(app)/R".
func lockBase(h string) string {
	if i := strings.LastIndex(h, "/"); i > 0 && (h[i+1:] == "R" || h[i+1:] == "W") {
		return h[:i]
	}
	return h
}

// lockClass is a held lock's class: "mmap_lock" of "mmap_lock(app)/R".
func lockClass(h string) string {
	h = lockBase(h)
	if i := strings.IndexByte(h, '('); i > 0 {
		return h[:i]
	}
	return h
}

// lockColors are the colour classes (lk0, lk1, ...) of the lock classes: the
// journal's classes are named after the filesystem's, alike on ext4 and XFS.
var lockColors = map[string]int{
	"mmap_lock": 0, "i_rwsem": 1, "invalidate_lock": 2, "dax_entry_lock": 3,
	"jbd2_handle": 4, "xfs_trans": 4, "jbd2_commit": 5, "xfs_log_force": 5,
	"sb_writers": 6, "sb_pagefault": 7,
}

// lockOther is the colour class of a lock class lockColors does not know.
const lockOther = 8

func lockColor(h string) int {
	if c, ok := lockColors[lockClass(h)]; ok {
		return c
	}
	return lockOther
}

// lockKeys is the legend of the lock classes held in the lanes, by colour
// then name.
func lockKeys(lanes []htmlLane) []htmlLockKey {
	var out []htmlLockKey
	for _, l := range lanes {
		for _, name := range l.Slots {
			k := htmlLockKey{Class: lockClass(name), Color: lockColor(name)}
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	slices.SortFunc(out, func(a, b htmlLockKey) int {
		if a.Color != b.Color {
			return a.Color - b.Color
		}
		return strings.Compare(a.Class, b.Class)
	})
	return out
}

// isErrorResult reports whether a statement's result is an errno or a signal
// (not ok, dax, nodax or a data token).
func isErrorResult(name string) bool {
	r, ok := model.ResultByName(name)
	return ok && r != model.ResOK && r != model.ResDax && r != model.ResNodax
}

var htmlTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"join": func(s []string) string { return strings.Join(s, ", ") },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>daxsim: {{.Title}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
code, pre { font-family: ui-monospace, monospace; font-size: 12px; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 2em; border-top: 2px solid #b00; padding-top: 0.5em; }
h3 { font-size: 1em; margin-top: 1.5em; }
.meta { margin: 0.2em 0; color: #555; }
table { border-collapse: collapse; margin: 0.8em 0; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
.verdict-pass td.verdict { color: #070; font-weight: bold; }
.verdict-violation td.verdict { color: #b00; font-weight: bold; }
.verdict-unknown td.verdict { color: #a60; }
.fails { color: #b00; font-weight: bold; }
pre.msg { background: #fff4f4; border-left: 4px solid #b00; padding: 0.5em; white-space: pre-wrap; }
` + TimelineCSS + `</style>
</head>
<body>
{{- range $r := .Reports}}
<section class="report">
<h1>scenario {{.Scenario.Name}}</h1>
<p class="meta">file <code>{{.Scenario.Path}}</code> &middot; proposal <b>{{.Proposal}}</b> &middot; fs {{.FS}} &middot; crash {{.Crash}}{{if .Mutants}} &middot; mutants {{join .Mutants}}{{end}} &middot; threads {{join .Threads}}</p>
<p class="meta">search {{.Search.Order}}, {{if .Search.Complete}}exhaustive{{else}}INCOMPLETE ({{.Search.Limit}}){{end}}: {{.Search.States}} states, {{.Search.Transitions}} transitions, depth {{.Search.Depth}}, {{.Search.Terminal}} terminal &middot; exit status {{.Exit}}</p>
<table class="verdicts">
<tr><th>property</th><th>verdict</th><th>detail</th></tr>
{{- range .Props}}
<tr class="verdict-{{.Class}}"><td>{{.Name}}</td><td class="verdict">{{.Verdict}}</td><td>{{.Detail}}</td></tr>
{{- end}}
</table>
{{- if .Expects}}
<table class="expects">
<tr><th>expect</th><th>outcome</th><th>detail</th></tr>
{{- range .Expects}}
<tr><td><code>{{.Text}}</code></td><td{{if eq .Holds "fails"}} class="fails"{{end}}>{{.Holds}}</td><td>{{.Why}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- range .Witnesses}}
<h2 id="witness-{{.Index}}">BUG: {{.Check}} violated ({{.Class}})</h2>
<pre class="msg">{{.Message}}</pre>
{{template "timeline" .Main}}
{{- range .Related}}
<h3>{{.Title}}</h3>
{{template "timeline" .}}
{{- end}}
<p class="meta">reproduce: <code>{{.Reproduce}}</code> &middot; step by step: <code>daxsim check -format json -o report.json</code> with the same arguments, then <code>daxsim replay report.json -witness {{.Index}}</code></p>
{{- end}}
</section>
{{- end}}
</body>
</html>
` + TimelineTemplates))

// TimelineCSS styles the timelines of both HTML pages (check and compare).
const TimelineCSS = `table.timeline { table-layout: fixed; width: 100%; font-family: ui-monospace, monospace; font-size: 12px; }
table.timeline th.step, table.timeline td.step { width: 3.5em; text-align: right; color: #555; }
table.timeline th.lane { text-align: center; font-family: system-ui, sans-serif; font-size: 13px; }
table.timeline td.gutter { position: relative; padding: 0; border-top: none; border-bottom: none; border-right: none; }
table.timeline td.cell { border-left: none; }
table.timeline td.act { background: #f4f7fc; }
table.timeline tr.bug td { background: #fff1f1; }
table.timeline td.m-check { background: #fff4c8; box-shadow: inset 0 0 0 2px #c99a00; }
table.timeline td.m-change { background: #fbe3f0; box-shadow: inset 0 0 0 2px #c2185b; }
table.timeline td.m-bug, table.timeline td.m-blocked { background: #ffd0d0; box-shadow: inset 0 0 0 2px #c00; }
table.timeline td.m-last { box-shadow: inset 0 0 0 2px #555; }
table.timeline td.m-taken { background: #dfeaff; box-shadow: inset 0 0 0 2px #2a62c0; }
table.timeline tr.end td { background: #f6f6f6; }
table.timeline tr.end td.waits { background: #ffe4e4; color: #900; }
table.timeline tr.crash td { border-top: 3px dashed #c00; }
table.timeline tr.crash td.step { background: #c00; color: #fff; font-weight: bold; }
table.timeline tr.crash td.image { background: #fff1f1; }
.crashlabel { font-weight: bold; color: #c00; margin-bottom: 0.3em; }
pre.image { margin: 0; white-space: pre-wrap; }
.stmt { font-weight: bold; }
.fn { color: #024; }
.focus { color: #666; }
.chg { color: #1a4a6a; }
.ret { color: #222; }
.ret.err, .error { color: #c00; font-weight: bold; }
.held { margin: 1px 0; }
.lock { display: inline-block; border-left: 5px solid var(--c); padding: 0 3px; margin: 1px 3px 1px 0; background: #fff; color: #333; }
.lock.new { font-weight: bold; }
.dropped { text-decoration: line-through; color: #999; margin-right: 3px; }
.bar { position: absolute; top: 0; bottom: 0; width: 7px; background-color: var(--c); }
.bar.sh { box-sizing: border-box; background-image: linear-gradient(rgba(255,255,255,0.6), rgba(255,255,255,0.6)); border-left: 2px solid var(--c); border-right: 2px solid var(--c); }
.lk0 { --c: #1f77b4; } .lk1 { --c: #8a5cc2; } .lk2 { --c: #17a0a0; } .lk3 { --c: #ff8c1a; } .lk4 { --c: #8c564b; }
.lk5 { --c: #e377c2; } .lk6 { --c: #8a8a8a; } .lk7 { --c: #b0b020; } .lk8 { --c: #444; }
.badge { display: inline-block; font: bold 11px system-ui, sans-serif; padding: 1px 6px; border-radius: 3px; color: #fff; margin: 0 4px 3px 0; }
.b-check { background: #b08600; } .b-change { background: #c2185b; } .b-bug, .b-blocked, .b-deadlock { background: #c00; }
.b-last { background: #555; } .b-taken { background: #2a62c0; } .b-crash { background: #c00; }
.legend { font-size: 12px; color: #444; margin: 0.4em 0; }
.legend .key { display: inline-block; margin-right: 1.2em; }
`

// TimelineTemplates draw a Timeline: its legend, then the grid.
const TimelineTemplates = `{{define "timeline"}}
{{- if .Error}}<p class="error">the trace does not replay: {{.Error}}</p>{{end}}
<p class="legend">
{{- range .Marks}}<span class="key"><span class="badge b-{{.Kind}}">{{.Label}}</span>{{.Title}}</span>{{end}}
{{- with .End}}{{if eq .Kind "crash"}}<span class="key"><span class="badge b-crash">crash</span>the power is cut after the last step; the image recovery finds</span>{{else}}<span class="key"><span class="badge b-deadlock">waits</span>what each blocked thread waits for, holding its locks</span>{{end}}{{end}}
{{- if .Locks}}<span class="key">locks held (the bars left of each lane; solid: exclusive, pale: shared):{{range .Locks}} <span class="lock lk{{.Color}}">{{.Class}}</span>{{end}}</span>{{end}}
</p>
<table class="timeline">
<colgroup><col class="step">{{range .Lanes}}<col style="width: {{.GutterPx}}px"><col>{{end}}</colgroup>
<thead><tr><th class="step">step</th>{{range .Lanes}}<th class="lane" colspan="2">{{.Name}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr{{if .Class}} class="{{.Class}}"{{end}}><td class="step">{{.N}}</td>
{{- range .Cells}}{{template "bars" .}}<td class="{{.Class}}">{{if .Step}}{{template "step" .}}{{end}}</td>{{end}}</tr>
{{- end}}
{{- with .End}}
{{- if eq .Kind "crash"}}
<tr class="end crash"><td class="step">crash</td><td class="image" colspan="{{$.LaneCols}}"><div class="crashlabel">{{.Label}}</div><pre class="image">{{.Image}}</pre></td></tr>
{{- else}}
<tr class="end deadlock"><td class="step">end</td>
{{- range .Cells}}{{template "bars" .}}<td class="{{.Class}}">{{if .Wait}}<span class="badge b-deadlock">waits</span>{{.Wait}}{{end}}</td>{{end}}</tr>
{{- end}}
{{- end}}
</tbody>
</table>
{{- end}}
{{- define "bars"}}<td class="gutter">{{range .Bars}}<span class="bar lk{{.Color}}{{if .Shared}} sh{{end}}" style="left: {{.Left}}px" title="{{.Name}}"></span>{{end}}</td>{{end}}
{{- define "step"}}
{{- range .Marks}}<span class="badge b-{{.Kind}}" title="{{.Title}}">{{.Label}}</span>{{end}}
{{- with .Step}}<div class="stmt">{{.Statement}}</div><div class="fn">{{.Fn}}</div>{{end}}
{{- if or .Locks .Dropped}}<div class="held">{{range .Locks}}<span class="lock lk{{.Color}}{{if .New}} new{{end}}">{{if .New}}+{{end}}{{.Name}}</span>{{end}}{{range .Dropped}}<span class="dropped">{{.}}</span>{{end}}</div>{{end}}
{{- with .Step}}{{if .Focus}}<div class="focus">{{.Focus}}</div>{{end}}{{range .Changes}}<div class="chg">{{.}}</div>{{end}}{{end}}
{{- if .Step.Returned}}<div class="ret{{if .Error}} err{{end}}">returns {{.Step.Result}}</div>{{end}}
{{- end}}`
