package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/sim"
)

// SchemaVersion is the version of the JSON report. 'daxsim replay' reads this
// version only; bump it on any incompatible change of ReportData.
const SchemaVersion = 1

// ReportData is a report as data: what '-format json' writes and 'daxsim replay'
// reads. It holds no maps and no times, so it encodes deterministically.
type ReportData struct {
	Schema int `json:"schema"`
	// Daxsim is the version that wrote the report.
	Daxsim   string       `json:"daxsim,omitempty"`
	Scenario ScenarioData `json:"scenario"`
	Proposal string       `json:"proposal"`
	FS       string       `json:"fs"`
	// Mutants are every seeded bug the kernel ran with: the file's mutant lines
	// and the -mutant flags.
	Mutants []string `json:"mutants"`
	Crash   string   `json:"crash"`
	// Threads are the thread names by index (a trace is a list of indexes), the
	// journal daemon included.
	Threads    []string     `json:"threads"`
	Search     SearchData   `json:"search"`
	Properties []PropData   `json:"properties"`
	Expects    []ExpectData `json:"expects"`
	Exit       int          `json:"exit"`
}

// ScenarioData names the scenario file and holds its text, so that a report
// replays anywhere ('daxsim replay' warns when the file has changed since).
type ScenarioData struct {
	Path   string `json:"path"` // as given on the command line
	Name   string `json:"name"`
	Source string `json:"source,omitempty"`
	SHA256 string `json:"sha256,omitempty"` // of Source
}

// SearchData is the search statistics (no times: they differ between runs).
type SearchData struct {
	Order       string `json:"order"` // bfs, dfs, swarm, random or bfs+random
	States      int    `json:"states"`
	Transitions int    `json:"transitions"`
	Depth       int    `json:"depth"`
	Terminal    int    `json:"terminal"`
	Complete    bool   `json:"complete"`
	Limit       string `json:"limit,omitempty"`
	// Shard is "i/n" for a sharded run (-shard), merged by 'daxsim merge'; Whole
	// says the shard searched the whole space, not a part (an exhaustive shard
	// whose space ended before the shards parted; a swarm search), so that
	// with Complete it covered it all.
	Shard string `json:"shard,omitempty"`
	Whole bool   `json:"whole,omitempty"`
	// Seed is a swarm search's seed (-mode swarm -seed; its shard adds to it).
	Seed uint64 `json:"seed,omitempty"`
	// Reduction names the reductions the search used (partial-order, the
	// interchangeable threads it merged).
	Reduction string `json:"reduction,omitempty"`
}

// PropData is the verdict on one property.
type PropData struct {
	Name     string      `json:"name"`
	Verdict  run.Verdict `json:"verdict"`
	Why      string      `json:"why,omitempty"`
	Implicit bool        `json:"implicit,omitempty"` // listed by "check all" but not checked
	// Judged is the property's coverage (what Property.Judges names).
	Judged    int64         `json:"judged"`
	Witnesses []WitnessData `json:"witnesses"`
}

// ExpectData is the outcome of one expect line.
type ExpectData struct {
	Text  string `json:"text"`
	Holds string `json:"holds"` // holds, fails, unknown or partial (a shard's part holds)
	Why   string `json:"why,omitempty"`
	// Judged is an expect result or reachable line's coverage.
	Judged  int64        `json:"judged,omitempty"`
	Witness *WitnessData `json:"witness,omitempty"`
}

// WitnessData is one counterexample.
type WitnessData struct {
	// Index is its number over all properties, then all expect lines: what
	// 'daxsim replay -witness N' takes.
	Index   int    `json:"index"`
	Check   string `json:"check"`
	Class   string `json:"class"`
	Message string `json:"message"`
	// Trace is the schedule from the initial state: the thread index of each step.
	Trace []int `json:"trace"`
	// Reproduce is the command that prints it again (ReproduceCommand).
	Reproduce string        `json:"reproduce"`
	Run       int           `json:"run"` // the random run that found it; -1 in an exhaustive search
	Related   []RelatedData `json:"related"`
	Steps     []StepView    `json:"steps"`
	// ReplayError is set when the trace did not replay (a bug of daxsim).
	ReplayError string `json:"replay_error,omitempty"`
	// CrashImage, for a counterexample that ends at a crash point, is the crash
	// point and the image recovery finds there, as the splat prints it.
	CrashImage string `json:"crash_image,omitempty"`
	// Blocked, for a deadlock, is every scenario thread left waiting at the end.
	Blocked []BlockedData `json:"blocked,omitempty"`
}

// BlockedData is a thread waiting at the end of a deadlock: what for, where,
// and what it holds meanwhile (as the no-deadlock message says).
type BlockedData struct {
	Thread   int    `json:"thread"`
	Name     string `json:"thread_name"`
	WaitsFor string `json:"waits_for"` // a lock, or "a condition"
	Fn       string `json:"fn"`        // the step it cannot take
	Held     string `json:"held"`
}

// RelatedData is an earlier schedule a witness refers to.
type RelatedData struct {
	Note        string     `json:"note"`
	Trace       []int      `json:"trace"`
	Steps       []StepView `json:"steps"`
	ReplayError string     `json:"replay_error,omitempty"`
}

// Data converts the report to data, replaying every counterexample.
func Data(r *run.Report) *ReportData {
	b := r.Built
	k := b.Kernel
	res := r.Result
	d := &ReportData{
		Schema: SchemaVersion, Daxsim: Version,
		Scenario: ScenarioData{Path: b.Scn.Path, Name: b.Scn.Name, Source: string(b.Scn.Source),
			SHA256: SourceHash(b.Scn.Source)},
		Proposal: k.Proposal, FS: k.FS.Name, Mutants: MutantsOf(k), Crash: b.Scn.Crash,
		Search: SearchData{Order: res.Search, States: res.States, Transitions: res.Transitions, Depth: res.Depth,
			Terminal: res.Terminal, Complete: res.Complete, Limit: res.Limit, Shard: res.Shard,
			Whole: res.Shard != "" && (res.Search == "bfs" && res.SplitDepth < 0 || res.Search == "swarm"),
			Seed:  swarmSeed(r), Reduction: reductionNote(r)},
		Properties: []PropData{}, Expects: []ExpectData{}, Exit: r.Exit,
	}
	if d.Crash == "" {
		d.Crash = "anywhere"
	}
	for t := range k.Threads {
		d.Threads = append(d.Threads, k.ThreadName(t))
	}
	n := 0
	for _, p := range r.Props {
		pd := PropData{Name: p.Name, Verdict: p.Verdict, Why: p.Why, Implicit: p.Implicit, Judged: p.Judged,
			Witnesses: []WitnessData{}}
		for _, v := range p.Witnesses {
			pd.Witnesses = append(pd.Witnesses, Witness(r, n, v))
			n++
		}
		d.Properties = append(d.Properties, pd)
	}
	for _, e := range r.Expects {
		word := map[run.Verdict]string{run.Pass: "holds", run.Violation: "fails", run.Unknown: "unknown", run.Partial: "partial"}[e.Holds]
		ed := ExpectData{Text: e.Text, Holds: word, Why: e.Why, Judged: e.Judged}
		if e.Witness != nil {
			w := Witness(r, n, *e.Witness)
			ed.Witness = &w
			n++
		}
		d.Expects = append(d.Expects, ed)
	}
	return d
}

// MutantsOf names the mutants k runs with, in the order of their registry.
func MutantsOf(k *model.Kernel) []string { return append([]string{}, k.Mutants...) }

// Witness is counterexample v of r as data, numbered n (WitnessData.Index):
// replayed step by step, with the command that reproduces it.
func Witness(r *run.Report, n int, v sim.Violation) WitnessData {
	w := WitnessData{Index: n, Check: v.Check, Class: v.Class, Message: v.Msg, Trace: nonNil(v.Trace),
		Reproduce: ReproduceCommand(r, &v), Run: v.Run, Related: []RelatedData{}}
	steps, views, err := ReplaySteps(r.Built, v.Trace)
	w.Steps = views
	if err != nil {
		w.ReplayError = err.Error()
	} else if len(steps) > 0 {
		end := &steps[len(steps)-1].After
		if isCrashWitness(v.Check, v.Class) {
			w.CrashImage = crashImageText(r.Built.Kernel, end, len(views))
		}
		if v.Check == "no-deadlock" {
			w.Blocked = blockedThreads(r.Built.Kernel, end)
		}
	}
	for _, rel := range v.Related {
		rd := RelatedData{Note: rel.Note, Trace: nonNil(rel.Trace)}
		_, rd.Steps, err = ReplaySteps(r.Built, rel.Trace)
		if err != nil {
			rd.ReplayError = err.Error()
		}
		w.Related = append(w.Related, rd)
	}
	return w
}

// crashImageText is the splat's crash point and recovered image after step n
// of a trace ending in state s.
func crashImageText(k *model.Kernel, s *model.State, n int) string {
	var b bytes.Buffer
	p := &splatter{w: &b, width: SplatWidth}
	p.crashImage(k, s, n)
	return b.String()
}

// blockedThreads describes every scenario thread still running in s and unable
// to move: the lock or condition it waits for (its step is tried on a copy of
// s), the step, and the locks it holds.
func blockedThreads(k *model.Kernel, s *model.State) []BlockedData {
	var out []BlockedData
	for t := range k.Threads {
		if !k.Running(s, t) || k.Threads[t].Daemon {
			continue
		}
		try := *s
		var ev model.Event
		if k.Exec(&try, t, &ev) || !ev.Blocked {
			continue // it can move, or waits for nothing
		}
		what := "a condition"
		if ev.WaitOn != model.NoLock {
			what = k.LockName(ev.WaitOn)
		}
		out = append(out, BlockedData{Thread: t, Name: k.ThreadName(t), WaitsFor: what, Fn: ev.Fn,
			Held: k.DescribeHeld(s, t)})
	}
	return out
}

func nonNil(t []int) []int {
	if t == nil {
		return []int{}
	}
	return t
}

// Witnesses lists the report's counterexamples in Index order: every property's,
// then every expect line's.
func (d *ReportData) Witnesses() []*WitnessData {
	var out []*WitnessData
	for i := range d.Properties {
		for j := range d.Properties[i].Witnesses {
			out = append(out, &d.Properties[i].Witnesses[j])
		}
	}
	for i := range d.Expects {
		if d.Expects[i].Witness != nil {
			out = append(out, d.Expects[i].Witness)
		}
	}
	return out
}

// WriteJSON writes the report as one indented JSON document (ReportData).
func WriteJSON(w io.Writer, r *run.Report) error {
	return writeJSON(w, Data(r))
}

// WriteJSONReports writes several reports as one JSON array.
func WriteJSONReports(w io.Writer, rs []*run.Report) error {
	ds := make([]*ReportData, 0, len(rs))
	for _, r := range rs {
		ds = append(ds, Data(r))
	}
	return writeJSON(w, ds)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// ReadReports decodes what WriteJSON (one report) or WriteJSONReports (an array)
// wrote. It fails on anything else, and on another schema version.
func ReadReports(data []byte) ([]ReportData, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("empty input, expected a JSON report")
	}
	var ds []ReportData
	if data[0] == '[' {
		if err := strictUnmarshal(data, &ds); err != nil {
			return nil, err
		}
	} else {
		var d ReportData
		if err := strictUnmarshal(data, &d); err != nil {
			return nil, err
		}
		ds = []ReportData{d}
	}
	if len(ds) == 0 {
		return nil, errors.New("an empty array: no report")
	}
	for i := range ds {
		if ds[i].Schema != SchemaVersion {
			return nil, fmt.Errorf("report %d: schema %d, expected %d (not written by this daxsim's -format json?)",
				i, ds[i].Schema, SchemaVersion)
		}
	}
	return ds, nil
}

func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON report")
	}
	return nil
}

// swarmSeed is a swarm search's seed as given (-seed), 0 for another search.
func swarmSeed(r *run.Report) uint64 {
	if r.Result == nil || r.Result.Search != "swarm" {
		return 0
	}
	return r.Opt.RandOpt.Seed
}
