package checker

import (
	"html/template"
	"io"
	"strings"
)

// WriteHTML writes the report as a self-contained HTML page: the verdict table
// and, per counterexample, a timeline with one lane per thread.
func (r *Report) WriteHTML(w io.Writer) error { return WriteHTMLReports(w, []*Report{r}) }

// WriteHTMLReports writes several reports as one HTML page.
func WriteHTMLReports(w io.Writer, rs []*Report) error {
	page := htmlPage{}
	var names []string
	for _, r := range rs {
		d := r.Data()
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
	Main    htmlTimeline
	Related []htmlTimeline
}

// htmlTimeline is a trace as a grid: one row per step, one lane per thread; only
// the acting thread's cell of a row is filled.
type htmlTimeline struct {
	Title   string
	Threads []string
	Rows    []htmlRow
	Error   string
}

type htmlRow struct {
	N     int
	Bug   bool // the violating (last) step of a counterexample
	Cells []*StepView
}

func newHTMLReport(d *ReportData) htmlReport {
	hr := htmlReport{ReportData: d}
	for _, p := range d.Properties {
		verdict := string(p.Verdict)
		if p.Implicit {
			verdict = "-"
		}
		detail := p.Why
		if len(p.Witnesses) > 0 {
			detail = violationDetail(len(p.Witnesses[0].Trace), p.Witnesses[0].Class, len(p.Witnesses))
		}
		hr.Props = append(hr.Props, htmlProp{Name: p.Name, Verdict: verdict, Detail: detail, Class: string(p.Verdict)})
	}
	for _, w := range d.Witnesses() {
		hw := htmlWitness{WitnessData: w, Main: timeline(d.Threads, "", w.Steps, w.ReplayError, true)}
		for _, rel := range w.Related {
			hw.Related = append(hw.Related, timeline(d.Threads, rel.Note, rel.Steps, rel.ReplayError, false))
		}
		hr.Witnesses = append(hr.Witnesses, hw)
	}
	return hr
}

func timeline(threads []string, title string, steps []StepView, replayErr string, markLast bool) htmlTimeline {
	tl := htmlTimeline{Title: title, Threads: threads, Error: replayErr}
	for i := range steps {
		row := htmlRow{N: steps[i].N, Bug: markLast && i == len(steps)-1, Cells: make([]*StepView, len(threads))}
		if t := steps[i].Thread; t >= 0 && t < len(threads) {
			row.Cells[t] = &steps[i]
		}
		tl.Rows = append(tl.Rows, row)
	}
	return tl
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
code, pre, .timeline td { font-family: ui-monospace, monospace; font-size: 12px; }
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
table.timeline { table-layout: fixed; width: 100%; }
table.timeline th.step, table.timeline td.step { width: 3em; text-align: right; }
table.timeline td.act { background: #eef4ff; }
table.timeline tr.bug td { background: #ffe0e0; }
table.timeline tr.bug td.act { background: #ffb8b8; font-weight: bold; }
.stmt { font-weight: bold; }
.fn { color: #024; }
.held { color: #740; }
.focus { color: #555; }
.chg { color: #060; }
.error { color: #b00; }
</style>
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
{{define "timeline"}}
{{- if .Error}}<p class="error">the trace does not replay: {{.Error}}</p>{{end}}
<table class="timeline">
<colgroup><col class="step">{{range .Threads}}<col>{{end}}</colgroup>
<thead><tr><th class="step">step</th>{{range .Threads}}<th class="lane">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr{{if .Bug}} class="bug"{{end}}><td class="step">{{.N}}</td>
{{- range .Cells}}
{{- if .}}<td class="act"><div class="stmt">{{.Statement}}</div><div class="fn">{{.Fn}}</div><div class="held">held: {{.Held}}</div>{{if .Focus}}<div class="focus">{{.Focus}}</div>{{end}}{{range .Effects}}<div class="chg">{{.}}</div>{{end}}</td>{{else}}<td></td>{{end}}
{{- end}}</tr>
{{- end}}
</tbody>
</table>
{{- end}}
`))
