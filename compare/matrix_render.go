package compare

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"path"
	"strings"
	"time"

	"github.com/daxsim/daxsim/report"
	"github.com/daxsim/daxsim/run"
)

// The renderings of a [Matrix]: text, a GitHub markdown table, JSON and a
// self-contained HTML page. Without times every one depends only on the matrix,
// so the output is the same from run to run.

// TextCell is the short form of an aggregated verdict: "pass", "viol N WORKLOAD",
// "unknown".
func (a *Agg) TextCell() string {
	if a.Verdict == run.Violation {
		return fmt.Sprintf("viol %d %s", a.Length, a.Workload)
	}
	return string(a.Verdict)
}

// LongCell is the long form: "pass", "VIOLATION N (WORKLOAD)", "unknown".
func (a *Agg) LongCell() string {
	if a.Verdict == run.Violation {
		return fmt.Sprintf("VIOLATION %d (%s)", a.Length, a.Workload)
	}
	return string(a.Verdict)
}

func fmtRatio(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func fmtTime(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

// replayPattern is the command that prints the counterexample of proposal P
// in workload W, for the legends: every flag that changes the result (the
// mutants), and the workload as 'builtin:W' or its file with the name replaced
// by W when the files are named after the workloads.
func (m *Matrix) replayPattern() string {
	cmd := m.checkArgs("P")
	if len(m.Paths) == 0 {
		return cmd + " FILE"
	}
	if strings.HasPrefix(m.Paths[0], "builtin:") {
		return cmd + " builtin:W"
	}
	dir, _ := path.Split(m.Paths[0])
	for i, p := range m.Paths {
		if p != dir+m.Workloads[i]+".scn" {
			return cmd + " FILE" // the workloads' files are listed with them
		}
	}
	return cmd + " " + report.PortablePath(dir+"W.scn")
}

// checkArgs is 'daxsim check' under proposal p with every flag of the matrix
// that changes the result (the mutants, the state limit), without the file.
func (m *Matrix) checkArgs(p string) string {
	cmd := "daxsim check -proposal " + p
	for _, mu := range m.Mutants {
		cmd += " -mutant " + mu
	}
	if m.MaxStates > 0 {
		cmd += fmt.Sprintf(" -max-states %d", m.MaxStates)
	}
	return cmd
}

// header is the first line of the text and markdown reports.
func (m *Matrix) header() string {
	limit := "no state limit"
	if m.MaxStates > 0 {
		limit = fmt.Sprintf("max-states %d per run", m.MaxStates)
	}
	h := fmt.Sprintf("suite %s: %d workloads x %d proposals, exhaustive search (%s)",
		m.Suite, len(m.Workloads), len(m.Proposals), limit)
	if len(m.Mutants) > 0 {
		h += ", every kernel with the seeded bug " + strings.Join(m.Mutants, ", ")
	}
	return h
}

func (m *Matrix) costHeader(withTimes bool) []string {
	h := []string{"states"}
	if withTimes {
		h = append(h, "time")
	}
	return append(h, "faults/store", "commits/store")
}

func (r *Row) costCells(withTimes bool) []string {
	c := []string{fmt.Sprint(r.States)}
	if withTimes {
		c = append(c, fmtTime(r.Elapsed))
	}
	return append(c, fmtRatio(r.FaultsPerStore()), fmtRatio(r.CommitsPerStore()))
}

// unknowns lists, per unknown cell of the matrix, why.
func (m *Matrix) unknowns() []string {
	var out []string
	for _, r := range m.Rows {
		for _, a := range r.Props {
			if a.Verdict != run.Unknown {
				continue
			}
			why := a.Why
			if a.Workload != "" {
				why = a.Workload + ": " + why
			}
			out = append(out, fmt.Sprintf("%s x %s: %s", r.Proposal, a.Column(), why))
		}
	}
	return out
}

// WriteText writes the matrix as an aligned table with a legend.
func (m *Matrix) WriteText(w io.Writer, withTimes bool) {
	fmt.Fprintf(w, "daxsim compare: %s\n", m.header())
	if withTimes {
		fmt.Fprintf(w, "elapsed %s\n", fmtTime(m.Elapsed))
	}
	fmt.Fprintln(w)
	tw := report.NewTable(w)
	fmt.Fprintf(tw, "proposal\t%s\t%s\n", strings.Join(m.Columns, "\t"), strings.Join(m.costHeader(withTimes), "\t"))
	for i := range m.Rows {
		r := &m.Rows[i]
		cells := make([]string, len(r.Props))
		for j := range r.Props {
			cells[j] = r.Props[j].TextCell()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Proposal, strings.Join(cells, "\t"), strings.Join(r.costCells(withTimes), "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "pass: holds in every explored execution of every workload that checks it, and judged")
	fmt.Fprintln(w, "  something there (a use, a promise at a crash point, a lock taken...)")
	fmt.Fprintln(w, "vacuous: holds, but no workload gave it anything to judge: no evidence either way")
	fmt.Fprintln(w, "viol N W: violated; N steps in the shortest counterexample, found in workload W")
	fmt.Fprintln(w, "P/plain, P/offered: durability property P over the workloads that use the plain")
	fmt.Fprintln(w, "  interfaces (MAP_SHARED and a flush, write(2) and fsync), or an opt-in some proposal")
	fmt.Fprintln(w, "  offers (MAP_SYNC, MAP_DIRECT, daxfile, a seal, an immutable flag); a proposal that")
	fmt.Fprintln(w, "  lacks the opt-in refuses or ignores it, and its cell shows what that costs")
	fmt.Fprintln(w, "unknown: a limit was hit, or the property could not be checked (listed below)")
	fmt.Fprintln(w, "states: distinct states explored over the suite")
	if withTimes {
		fmt.Fprintln(w, "time: of the proposal's runs (exploration and serial run), summed over the suite")
	}
	fmt.Fprintln(w, "faults/store, commits/store: serial run of each workload (threads in turn, the journal")
	fmt.Fprintln(w, "  when no thread can move), over the suite; - when no store succeeded")
	fmt.Fprintf(w, "workloads: %s\n", strings.Join(m.Workloads, " "))
	fmt.Fprintf(w, "a counterexample: %s\n", m.replayPattern())
	if u := m.unknowns(); len(u) > 0 {
		fmt.Fprintln(w, "\nunknown:")
		for _, l := range u {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}

// WriteMarkdown writes the matrix as a GitHub table.
func (m *Matrix) WriteMarkdown(w io.Writer, withTimes bool) {
	fmt.Fprintf(w, "**daxsim compare**: %s", m.header())
	if withTimes {
		fmt.Fprintf(w, ", %s", fmtTime(m.Elapsed))
	}
	fmt.Fprint(w, "\n\n")
	cost := m.costHeader(withTimes)
	fmt.Fprintf(w, "| proposal | %s | %s |\n", strings.Join(m.Columns, " | "), strings.Join(cost, " | "))
	fmt.Fprintf(w, "|---|%s%s\n", strings.Repeat("---|", len(m.Columns)), strings.Repeat("---:|", len(cost)))
	for i := range m.Rows {
		r := &m.Rows[i]
		cells := make([]string, len(r.Props))
		for j := range r.Props {
			cells[j] = r.Props[j].LongCell()
		}
		fmt.Fprintf(w, "| `%s` | %s | %s |\n", r.Proposal, strings.Join(cells, " | "), strings.Join(r.costCells(withTimes), " | "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "`VIOLATION N (W)`: the shortest counterexample has N steps, in workload W "+
		"(`"+m.replayPattern()+"`). `unknown`: a limit was hit or the property "+
		"could not be checked. faults/store and commits/store come from a serial run of each workload.")
	if u := m.unknowns(); len(u) > 0 {
		fmt.Fprintln(w)
		for _, l := range u {
			fmt.Fprintf(w, "- unknown: %s\n", l)
		}
	}
}

// The JSON document.
type jsonMatrix struct {
	Suite      string     `json:"suite"`
	Proposals  []string   `json:"proposals"`
	Properties []string   `json:"properties"`
	Columns    []string   `json:"columns"`
	Workloads  []string   `json:"workloads"`
	Usages     []string   `json:"usages"`
	MaxStates  int        `json:"max_states"`
	ElapsedMS  *float64   `json:"elapsed_ms,omitempty"`
	Rows       []jsonRow  `json:"rows"`
	Cells      []jsonCell `json:"cells"`
}

type jsonRow struct {
	Row
	FaultsPerStore  *float64 `json:"faults_per_store"`  // null when no store ran
	CommitsPerStore *float64 `json:"commits_per_store"` // null when no store ran
	ElapsedMS       *float64 `json:"elapsed_ms,omitempty"`
}

type jsonCell struct {
	Cell
	ElapsedMS *float64 `json:"elapsed_ms,omitempty"`
}

func ms(d time.Duration, with bool) *float64 {
	if !with {
		return nil
	}
	v := float64(d.Microseconds()) / 1000
	return &v
}

func ratioPtr(v float64, ok bool) *float64 {
	if !ok {
		return nil
	}
	return &v
}

// WriteJSON writes everything: the rows, and every (proposal, workload) cell with
// its verdicts, witness lengths, classes and messages, states, and serial counts.
// A property a workload does not check has the verdict "not-checked".
func (m *Matrix) WriteJSON(w io.Writer, withTimes bool) error {
	doc := jsonMatrix{Suite: m.Suite, Proposals: m.Proposals, Properties: m.Properties, Columns: m.Columns,
		Workloads: m.Workloads, Usages: m.Usages,
		MaxStates: m.MaxStates, ElapsedMS: ms(m.Elapsed, withTimes), Rows: []jsonRow{}, Cells: []jsonCell{}}
	for _, r := range m.Rows {
		doc.Rows = append(doc.Rows, jsonRow{Row: r, FaultsPerStore: ratioPtr(r.FaultsPerStore()),
			CommitsPerStore: ratioPtr(r.CommitsPerStore()), ElapsedMS: ms(r.Elapsed, withTimes)})
	}
	for _, c := range m.Cells {
		c.Props = append([]CellProp(nil), c.Props...)
		for i := range c.Props {
			if !c.Props[i].Checked() {
				c.Props[i].Verdict = "not-checked"
			}
		}
		doc.Cells = append(doc.Cells, jsonCell{Cell: c, ElapsedMS: ms(c.Elapsed, withTimes)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// The HTML page: one template, inline CSS, no scripts or external assets.
type matrixPage struct {
	M       *Matrix
	Header  string
	Times   bool
	Elapsed string
	Cost    []string
	Rows    []matrixRow
	Unknown []string
	Pattern string
}

type matrixRow struct {
	Proposal string
	Cells    []matrixCell
	Cost     []string
	Details  []htmlDetail
	Unknowns []htmlFinding
	Findings []htmlFinding // the violations, each with its counterexample
}

// matrixCell is a cell of a table; Href links a violation to its
// counterexample further down the page, Workload names the workload it is in
// (on a line of its own).
type matrixCell struct {
	Class, Text, Title, Href, Workload string
}

type htmlDetail struct {
	Workload string
	Path     string
	States   int
	Serial   run.SerialCounts
	Time     string
	Cells    []matrixCell
}

// htmlFinding is a violation or an unknown verdict of one workload under one
// proposal; a violation has an anchor and, when the matrix kept it, its
// counterexample as a timeline.
type htmlFinding struct {
	ID       string
	Workload string
	CellProp
	Command  string
	Timeline *report.Timeline
}

func verdictClass(v run.Verdict) string {
	switch v {
	case run.Pass:
		return "pass"
	case run.Violation:
		return "viol"
	case run.Unknown:
		return "unknown"
	}
	return "none"
}

// findingID is the anchor of the counterexample of property prop in workload
// w under proposal p: letters, digits, '.', '-' and '_' only.
func findingID(p, w, prop string) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r < 0x80 && (r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return r
			}
			return '_'
		}, s)
	}
	return "cx-" + clean(p) + "--" + clean(w) + "--" + clean(prop)
}

// WriteHTML writes a self-contained page: the matrix coloured by verdict, every
// violation linked to its counterexample; then per proposal the verdict of every
// workload; then every counterexample with its timeline.
func (m *Matrix) WriteHTML(w io.Writer, withTimes bool) error {
	p := matrixPage{M: m, Header: m.header(), Times: withTimes, Elapsed: fmtTime(m.Elapsed), Cost: m.costHeader(withTimes),
		Unknown: m.unknowns(), Pattern: m.replayPattern()}
	for pi := range m.Rows {
		p.Rows = append(p.Rows, m.htmlRow(pi, withTimes))
	}
	return matrixTemplate.Execute(w, p)
}

// htmlRow is proposal pi's row of the matrix, its table of workloads and its
// findings.
func (m *Matrix) htmlRow(pi int, withTimes bool) matrixRow {
	r := &m.Rows[pi]
	hr := matrixRow{Proposal: r.Proposal, Cost: r.costCells(withTimes)}
	for _, a := range r.Props {
		c := matrixCell{Class: verdictClass(a.Verdict), Text: a.LongCell(), Title: a.Why}
		switch {
		case a.Verdict == run.Violation:
			c.Text, c.Workload = fmt.Sprintf("VIOLATION %d", a.Length), a.Workload
			c.Title = fmt.Sprintf("%s: shortest counterexample %d steps in %s (%s)", a.Property, a.Length, a.Workload, a.Class)
			c.Href = "#" + findingID(r.Proposal, a.Workload, a.Property)
		case a.Verdict == run.Unknown && a.Workload != "":
			c.Title = a.Workload + ": " + a.Why
		}
		hr.Cells = append(hr.Cells, c)
	}
	for wi, wname := range m.Workloads {
		c := m.Cell(pi, wi)
		d := htmlDetail{Workload: wname, Path: m.Paths[wi], States: c.States, Serial: c.Serial}
		if withTimes {
			d.Time = fmtTime(c.Elapsed)
		}
		for _, cp := range c.Props {
			mc := matrixCell{Class: verdictClass(cp.Verdict), Text: string(cp.Verdict), Title: cp.Why}
			switch cp.Verdict {
			case "":
				mc.Text = "-"
			case run.Violation:
				mc.Text = fmt.Sprintf("viol %d", cp.Length)
				mc.Title = cp.Class + ": " + cp.Msg
				mc.Href = "#" + findingID(r.Proposal, wname, cp.Property)
				hr.Findings = append(hr.Findings, m.finding(r.Proposal, wi, cp))
			case run.Unknown:
				hr.Unknowns = append(hr.Unknowns, htmlFinding{Workload: wname, CellProp: cp})
			}
			d.Cells = append(d.Cells, mc)
		}
		hr.Details = append(hr.Details, d)
	}
	return hr
}

// finding is the violation cp of workload wi under proposal p: its anchor, the
// command that prints it, and its timeline when the cell kept the trace.
func (m *Matrix) finding(p string, wi int, cp CellProp) htmlFinding {
	f := htmlFinding{ID: findingID(p, m.Workloads[wi], cp.Property), Workload: m.Workloads[wi], CellProp: cp}
	if cp.Witness == nil {
		f.Command = m.checkArgs(p) + " " + m.Paths[wi]
		return f
	}
	f.Command = cp.Witness.Reproduce
	tl := report.WitnessTimeline(cp.Witness)
	f.Timeline = &tl
	return f
}

// wbr lets a column name break after its slashes ("flush-is-durable/<wbr>plain",
// "faults/<wbr>store"), so that the matrix fits a 1400-pixel window.
func wbr(s string) template.HTML {
	return template.HTML(strings.ReplaceAll(template.HTMLEscapeString(s), "/", "/<wbr>"))
}

var matrixTemplate = template.Must(template.New("matrix").Funcs(template.FuncMap{"wbr": wbr}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>daxsim compare: {{.M.Suite}}</title>
<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em 0; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; font-size: 0.9em; }
th { background: #eee; }
td.num { text-align: right; font-family: monospace; }
td.pass { background: #d4f4d4; }
td.viol { background: #f8c8c8; font-weight: bold; }
td.viol a { color: #800; }
td.viol a { white-space: nowrap; }
td.viol .in { font-weight: normal; font-size: 0.85em; }
table.matrix th, table.matrix td { font-size: 0.85em; padding: 0.25em 0.4em; }
td.unknown { background: #f4e8b0; }
td.none { background: #f4f4f4; color: #888; }
code, pre { font-family: monospace; }
details { margin: 0.3em 0; }
summary { cursor: pointer; font-weight: bold; }
.msg { font-size: 0.85em; }
section.cx { margin: 1.5em 0 2.5em 0; }
section.cx h3 { font-size: 1em; border-top: 2px solid #b00; padding-top: 0.4em; }
section.cx:target h3 { background: #ffe8e8; }
pre.msg { background: #fff4f4; border-left: 4px solid #b00; padding: 0.5em; white-space: pre-wrap; font-size: 12px; }
table.timeline th, table.timeline td { border: 1px solid #ccc; padding: 3px 6px; font-size: 12px; text-align: left; vertical-align: top; }
` + report.TimelineCSS + `</style>
</head>
<body>
<h1>daxsim compare</h1>
<p>{{.Header}}{{if .Times}}, {{.Elapsed}}{{end}}</p>
<table class="matrix">
<tr><th>proposal</th>{{range .M.Columns}}<th>{{wbr .}}</th>{{end}}{{range .Cost}}<th>{{wbr .}}</th>{{end}}</tr>
{{range .Rows}}<tr><th><a href="#p-{{.Proposal}}">{{.Proposal}}</a></th>{{range .Cells}}{{template "cell" .}}{{end}}{{range .Cost}}<td class="num">{{.}}</td>{{end}}</tr>
{{end}}</table>
<p>A cell is <code>pass</code> when the property holds in every explored execution of every workload that checks it,
<code>VIOLATION N (W)</code> when some workload violates it (N steps in the shortest counterexample, workload W;
the cell links to it below, <code>{{.Pattern}}</code> prints it), <code>unknown</code> when a limit was hit or
the property could not be checked. faults/store and commits/store come from a serial run of each workload (threads
in turn, the journal when no thread can move), over the suite.</p>
{{if .Unknown}}<h2>Unknown cells</h2>
<ul>{{range .Unknown}}<li>{{.}}</li>{{end}}</ul>
{{end}}<h2>Per proposal and workload</h2>
{{range .Rows}}<details id="p-{{.Proposal}}">
<summary>{{.Proposal}}</summary>
<table>
<tr><th>workload</th>{{range $.M.Properties}}<th>{{.}}</th>{{end}}<th>states</th>{{if $.Times}}<th>time</th>{{end}}<th>faults</th><th>commits</th><th>stores</th></tr>
{{range .Details}}<tr><th>{{.Workload}}</th>{{range .Cells}}{{template "cell" .}}{{end}}<td class="num">{{.States}}</td>{{if $.Times}}<td class="num">{{.Time}}</td>{{end}}<td class="num">{{.Serial.Faults}}</td><td class="num">{{.Serial.Commits}}</td><td class="num">{{.Serial.Stores}}</td></tr>
{{end}}</table>
{{range .Findings}}<p class="msg"><a href="#{{.ID}}"><b>{{.Property}}</b> on <b>{{.Workload}}</b></a>: violation, {{.Length}} steps ({{.Class}})</p>
{{end}}{{range .Unknowns}}<p class="msg"><b>{{.Property}}</b> on <b>{{.Workload}}</b>: unknown: {{.Why}}</p>
{{end}}</details>
{{end}}{{if .Rows}}<h2>Counterexamples</h2>
{{range .Rows}}{{$p := .Proposal}}{{range .Findings}}<section class="cx" id="{{.ID}}">
<h3>{{$p}} &times; {{.Property}} on {{.Workload}}: violation, {{.Length}} steps ({{.Class}})</h3>
<pre class="msg">{{.Msg}}</pre>
{{with .Timeline}}{{template "timeline" .}}{{end}}
<p class="msg">reproduce: <code>{{.Command}}</code> &middot; <a href="#p-{{$p}}">{{$p}}'s workloads</a></p>
</section>
{{end}}{{end}}{{end}}</body>
</html>
{{define "cell"}}<td class="{{.Class}}" title="{{.Title}}">{{if .Href}}<a href="{{.Href}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}{{with .Workload}}<div class="in">{{.}}</div>{{end}}</td>{{end}}` +
	report.TimelineTemplates))
