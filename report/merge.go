package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/run"
)

// Merge joins the JSON reports of the shards of one run (-shard i/n) into one
// report, as 'daxsim merge' does. The reports must be of the same scenario,
// proposal, filesystem, mutants and crash mode. A property is violated if any
// shard violates it (the shortest witness of each class is kept); it passes only
// if every shard 0..n-1 of one n is present, complete, and passes it; otherwise
// it is unknown. Reports without a shard are merged the same way but can never
// add up to a pass unless there is exactly one.
func Merge(ds []ReportData) (*ReportData, error) {
	if len(ds) == 0 {
		return nil, fmt.Errorf("nothing to merge")
	}
	first := &ds[0]
	for i := range ds[1:] {
		d := &ds[i+1]
		if d.Scenario != first.Scenario || d.Proposal != first.Proposal || d.FS != first.FS || d.Crash != first.Crash ||
			!slices.Equal(d.Mutants, first.Mutants) {
			return nil, fmt.Errorf("report %d is of another run (%s under %s) than report 0 (%s under %s)", i+1,
				d.Scenario.Path, d.Proposal, first.Scenario.Path, first.Proposal)
		}
		if (d.Search.Order == "swarm") != (first.Search.Order == "swarm") {
			return nil, fmt.Errorf("report %d is of a %s search, report 0 of a %s search: a swarm merges only with swarm searches",
				i+1, d.Search.Order, first.Search.Order)
		}
	}
	covered, why := coverage(ds)
	out := &ReportData{Schema: SchemaVersion, Scenario: first.Scenario, Proposal: first.Proposal, FS: first.FS,
		Mutants: first.Mutants, Crash: first.Crash, Threads: first.Threads, Properties: []PropData{}, Expects: []ExpectData{}}
	out.Search = SearchData{Order: first.Search.Order, Complete: covered, Seed: first.Search.Seed, Reduction: first.Search.Reduction}
	var limits []string
	for _, d := range ds {
		s := d.Search
		out.Search.States += s.States
		out.Search.Transitions += s.Transitions
		out.Search.Terminal += s.Terminal
		out.Search.Depth = max(out.Search.Depth, s.Depth)
		out.Search.Complete = out.Search.Complete && s.Complete
		if s.Limit != "" && !slices.Contains(limits, s.Limit) {
			limits = append(limits, s.Limit)
		}
	}
	if !covered {
		limits = append(limits, why)
	}
	out.Search.Limit = strings.Join(limits, "; ")

	for _, name := range propertyNames(ds) {
		out.Properties = append(out.Properties, mergeProperty(ds, name, out.Search))
	}
	for i, e := range first.Expects {
		out.Expects = append(out.Expects, mergeExpect(ds, i, e, out.Search, out.Properties))
	}
	n := 0
	for _, w := range out.Witnesses() {
		w.Index = n
		n++
	}
	out.Exit = mergedExit(out)
	return out, nil
}

// coverage says whether the reports are exactly the shards 0..n-1 of one n (or a
// single unsharded report).
func coverage(ds []ReportData) (bool, string) {
	if len(ds) == 1 && ds[0].Search.Shard == "" {
		return true, ""
	}
	for _, d := range ds {
		if d.Search.Whole && d.Search.Complete {
			return true, "" // that shard explored the whole space
		}
	}
	if ds[0].Search.Order == "swarm" {
		// Swarm searches overlap: only one that finished covers the space.
		states := 0
		for _, d := range ds {
			states += d.Search.States
		}
		return false, fmt.Sprintf("swarm: none of the %d searches finished (%d states visited in all, some by several)", len(ds), states)
	}
	n := -1
	seen := map[int]bool{}
	for _, d := range ds {
		i, k, ok := parseShard(d.Search.Shard)
		if !ok {
			return false, "an unsharded report among several: they do not add up to the whole space"
		}
		if n >= 0 && k != n {
			return false, fmt.Sprintf("shards of different splits (%d and %d)", n, k)
		}
		n = k
		if seen[i] {
			return false, fmt.Sprintf("shard %d/%d given twice", i, n)
		}
		seen[i] = true
	}
	for i := 0; i < n; i++ {
		if !seen[i] {
			return false, fmt.Sprintf("shard %d/%d is missing", i, n)
		}
	}
	return true, ""
}

// parseShard reads "i/n".
func parseShard(s string) (i, n int, ok bool) {
	a, b, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	return i, n, err1 == nil && err2 == nil && n > 0 && i >= 0 && i < n
}

func propertyNames(ds []ReportData) []string {
	var names []string
	for _, d := range ds {
		for _, p := range d.Properties {
			if !slices.Contains(names, p.Name) {
				names = append(names, p.Name)
			}
		}
	}
	return names
}

func mergeProperty(ds []ReportData, name string, search SearchData) PropData {
	out := PropData{Name: name, Witnesses: []WitnessData{}}
	decided, implicit := true, true
	var whys []string
	for _, d := range ds {
		for _, p := range d.Properties {
			if p.Name != name {
				continue
			}
			implicit = implicit && p.Implicit
			out.Judged += p.Judged
			switch p.Verdict {
			case run.Pass, run.Partial, run.Vacuous, run.Violation:
			default:
				decided = false
				if p.Why != "" && !slices.Contains(whys, p.Why) {
					whys = append(whys, p.Why)
				}
			}
			for _, w := range p.Witnesses {
				out.Witnesses = keepShortest(out.Witnesses, w)
			}
		}
	}
	out.Implicit = implicit
	judges := "of what it judges"
	if p, ok := checker.Lookup(name); ok {
		judges = p.Judges
	}
	switch {
	case len(out.Witnesses) > 0:
		out.Verdict = run.Violation
	case decided && search.Complete && out.Judged == 0:
		out.Verdict, out.Why = run.Vacuous, "judged nothing: no "+judges
	case decided && search.Complete:
		out.Verdict, out.Why = run.Pass, fmt.Sprintf("judged %d %s", out.Judged, judges)
	default:
		out.Verdict = run.Unknown
		if !search.Complete && search.Limit != "" {
			for _, l := range strings.Split(search.Limit, "; ") {
				if !slices.Contains(whys, l) {
					whys = append(whys, l)
				}
			}
		}
		out.Why = strings.Join(whys, "; ")
	}
	return out
}

// keepShortest adds w unless a witness of its check and class is better: of a
// lower run for random witnesses (as an unsharded random search keeps), else at
// least as short. Witnesses stay sorted by length.
func keepShortest(ws []WitnessData, w WitnessData) []WitnessData {
	for i := range ws {
		if ws[i].Check == w.Check && ws[i].Class == w.Class {
			better := len(w.Trace) < len(ws[i].Trace)
			if w.Run >= 0 && ws[i].Run >= 0 {
				better = w.Run < ws[i].Run
			}
			if better {
				ws[i] = w
			}
			return sortByTrace(ws)
		}
	}
	return sortByTrace(append(ws, w))
}

func sortByTrace(ws []WitnessData) []WitnessData {
	slices.SortStableFunc(ws, func(a, b WitnessData) int { return len(a.Trace) - len(b.Trace) })
	return ws
}

func mergeExpect(ds []ReportData, i int, e ExpectData, search SearchData, props []PropData) ExpectData {
	out := ExpectData{Text: e.Text}
	f := strings.Fields(e.Text)
	if len(f) >= 2 && (f[1] == "pass" || f[1] == "violation") {
		// Judged again on the merged properties.
		var all []run.PropResult
		for _, p := range props {
			all = append(all, run.PropResult{Name: p.Name, Verdict: p.Verdict, Why: p.Why, Implicit: p.Implicit})
		}
		v, why := run.ExpectProps(f[1] == "violation", f[2:], all)
		out.Holds, out.Why = map[run.Verdict]string{run.Pass: "holds", run.Violation: "fails", run.Unknown: "unknown", run.Partial: "partial"}[v], why
		return out
	}
	reachable := len(f) >= 2 && f[1] == "reachable"
	holds, fails, open := 0, 0, 0
	for _, d := range ds {
		if i >= len(d.Expects) {
			continue
		}
		x := d.Expects[i]
		out.Judged += x.Judged
		switch x.Holds {
		case "holds":
			holds++
			if reachable && out.Why == "" {
				out.Why = x.Why
			}
		case "fails":
			fails++
			if x.Witness != nil && out.Witness == nil {
				w := *x.Witness
				out.Witness = &w
				out.Why = x.Why
			}
		case "partial":
		default:
			open++
			if out.Why == "" {
				out.Why = x.Why
			}
		}
	}
	switch {
	case reachable && holds > 0:
		out.Holds = "holds" // one shard reached it
	case !reachable && out.Witness != nil:
		out.Holds = "fails"
	case open > 0 || !search.Complete:
		out.Holds = "unknown"
		if out.Why == "" {
			out.Why = search.Limit
		}
	case reachable:
		out.Holds, out.Why = "fails", "no explored execution returns it"
	case out.Judged == 0:
		out.Holds, out.Why = "fails", "vacuous: the statement never returned in any explored execution"
	default:
		out.Holds, out.Why = "holds", ""
	}
	if out.Holds != "fails" {
		out.Witness = nil
	}
	return out
}

// mergedExit is run.Report's exit status (run.ExitOf) over merged data.
func mergedExit(d *ReportData) int {
	var expects []run.Verdict
	for _, e := range d.Expects {
		v, ok := map[string]run.Verdict{"holds": run.Pass, "fails": run.Violation, "partial": run.Partial}[e.Holds]
		if !ok {
			v = run.Unknown
		}
		expects = append(expects, v)
	}
	var props []run.PropResult
	for _, p := range d.Properties {
		props = append(props, run.PropResult{Verdict: p.Verdict, Implicit: p.Implicit})
	}
	return run.ExitOf(expects, props)
}

// WriteData writes report data as JSON: one document, or an array for several.
func WriteData(w io.Writer, ds []*ReportData) error {
	if len(ds) == 1 {
		return writeJSON(w, ds[0])
	}
	return writeJSON(w, ds)
}

// MergeAll groups reports by run (scenario, proposal, filesystem, mutants, crash
// mode), in the order first seen, and merges each group.
func MergeAll(ds []ReportData) ([]*ReportData, error) {
	var keys []string
	groups := map[string][]ReportData{}
	for _, d := range ds {
		k := strings.Join([]string{d.Scenario.Path, d.Scenario.Name, d.Proposal, d.FS, d.Crash, strings.Join(d.Mutants, ",")}, "\x00")
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], d)
	}
	var out []*ReportData
	for _, k := range keys {
		m, err := Merge(groups[k])
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
