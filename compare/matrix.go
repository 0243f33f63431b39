package compare

import (
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/model/proposals"
	"github.com/daxsim/daxsim/report"
	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// The proposal x property matrix of 'daxsim compare' (SPEC.md section 1, job 2):
// every workload of a suite explored under every proposal, the verdicts folded per
// proposal and property, and the cost of each proposal.

// Workload is one scenario of a suite.
type Workload struct {
	Name string
	Path string // for positions in errors and for the replay line
	Src  []byte
}

// MatrixOptions say what to run.
type MatrixOptions struct {
	Suite     string   // its name, for the reports
	Proposals []string // in the order of the rows
	Workloads []Workload
	Workers   int // jobs run at once (at least 1)
	MaxStates int // per job; 0 = no limit
	// Mutants run every job with these seeded bugs: which designs survive a
	// kernel that breaks a rule (e.g. write-copies-under-handle).
	Mutants []string
}

// CellProp is the verdict on one property for one (proposal, workload) pair.
type CellProp struct {
	Property string      `json:"property"`
	Verdict  run.Verdict `json:"verdict"` // "" when the workload does not check it
	Length   int         `json:"witness_length,omitempty"`
	Class    string      `json:"class,omitempty"`
	Msg      string      `json:"message,omitempty"`
	Why      string      `json:"why,omitempty"` // for unknown
	// Witness is the counterexample of a violation, replayed, for the HTML
	// page (not in the JSON: the matrix's JSON stays a summary).
	Witness *report.WitnessData `json:"-"`
}

// Checked reports whether the workload asked for the property.
func (c *CellProp) Checked() bool { return c.Verdict != "" }

// Cell is what one job found: one workload under one proposal.
type Cell struct {
	Proposal    string           `json:"proposal"`
	Workload    string           `json:"workload"`
	Props       []CellProp       `json:"properties"` // every property, in SPEC order
	States      int              `json:"states"`
	Transitions int              `json:"transitions"`
	Complete    bool             `json:"complete"`
	Limit       string           `json:"limit,omitempty"`
	Serial      run.SerialCounts `json:"serial"`
	Elapsed     time.Duration    `json:"-"`
}

// Agg is the verdict on one property for one proposal over the whole suite:
// violation if some workload violates it (with the shortest counterexample and
// the workload that gave it), else unknown if some workload could not decide it,
// else pass.
type Agg struct {
	Property string `json:"property"`
	// Usage, for a durability property, is the usage of the workloads the
	// column folds: "plain" or "offered" (see [Usage]); "" folds them all.
	Usage    string      `json:"usage,omitempty"`
	Verdict  run.Verdict `json:"verdict"`
	Length   int         `json:"witness_length,omitempty"`
	Workload string      `json:"workload,omitempty"` // of the shortest counterexample, or of the first unknown
	Class    string      `json:"class,omitempty"`    // of the shortest counterexample
	Why      string      `json:"why,omitempty"`      // for unknown
}

// Row is one proposal's line of the matrix.
type Row struct {
	Proposal string           `json:"proposal"`
	Props    []Agg            `json:"properties"`
	States   int              `json:"states"` // explored over the suite
	Serial   run.SerialCounts `json:"serial"` // summed over the suite
	Elapsed  time.Duration    `json:"-"`      // sum of the jobs' times
}

// FaultsPerStore is the ratio of fault entries to stores in the serial runs; ok
// is false when no store ran.
func (r *Row) FaultsPerStore() (float64, bool) { return ratio(r.Serial.Faults, r.Serial.Stores) }

// CommitsPerStore is the ratio of journal commits to stores in the serial runs.
func (r *Row) CommitsPerStore() (float64, bool) { return ratio(r.Serial.Commits, r.Serial.Stores) }

func ratio(n, d int) (float64, bool) {
	if d == 0 {
		return 0, false
	}
	return float64(n) / float64(d), true
}

// Matrix is the outcome of a compare run.
type Matrix struct {
	Suite      string
	Proposals  []string
	Properties []string // of the cells, in SPEC order
	// Columns are the rows' columns: every property, the durability ones
	// twice (property/plain, property/offered); Row.Props follows them.
	Columns   []string
	Workloads []string
	Usages    []string // of the workloads (see Usage)
	Paths     []string // of the workloads' files
	MaxStates int
	Mutants   []string // seeded bugs every job ran with
	Rows      []Row    // one per proposal, in Proposals order
	Cells     []Cell   // proposal-major: Cells[p*len(Workloads)+w]
	Elapsed   time.Duration
}

// Cell returns the cell of proposal index p and workload index w.
func (m *Matrix) Cell(p, w int) *Cell { return &m.Cells[p*len(m.Workloads)+w] }

// Row returns the row of a proposal, nil if it was not run.
func (m *Matrix) Row(proposal string) *Row {
	for i := range m.Rows {
		if m.Rows[i].Proposal == proposal {
			return &m.Rows[i]
		}
	}
	return nil
}

// Agg returns the verdict of a proposal in column col (a property, or
// property/usage for a durability property), nil if not in the matrix.
func (r *Row) Agg(col string) *Agg {
	for i := range r.Props {
		if r.Props[i].Column() == col {
			return &r.Props[i]
		}
	}
	return nil
}

// Column is the name of the aggregate's column: the property, with /usage for
// a durability property.
func (a *Agg) Column() string {
	if a.Usage == "" {
		return a.Property
	}
	return a.Property + "/" + a.Usage
}

// byUsage are the properties the matrix shows per usage: a durability promise
// may hold for what a proposal offers (MAP_SYNC, daxfile, a seal...) and not
// for the interfaces applications already use, and a single cell would depend
// on which the suite happened to exercise.
var byUsage = []string{"no-lost-block", "flush-is-durable"}

// Usage is how workload scn asks for durability: "offered" if it uses an
// opt-in a proposal offers (mmap flags sync or direct, daxfile, seal, setflag
// immutable=), else "plain" (MAP_SHARED and a flush, write(2) and fsync); its
// "usage" line says so when present.
func Usage(scn *scenarios.Scenario) string {
	if scn.Usage != "" {
		return scn.Usage
	}
	for _, th := range scn.Threads {
		for _, s := range th.Stmts {
			switch {
			case s.Op == model.OpDaxfile, s.Op == model.OpSeal, s.Op == model.OpSetflagImmutable:
				return "offered"
			case s.Op == model.OpMmap && (slices.Contains(s.Flags, "sync") || slices.Contains(s.Flags, "direct")):
				return "offered"
			}
		}
	}
	return "plain"
}

// columns lists the matrix's columns: each property, the durability ones once
// per usage.
func columns() []Agg {
	var out []Agg
	for _, p := range checker.Names() {
		if slices.Contains(byUsage, p) {
			out = append(out, Agg{Property: p, Usage: "plain"}, Agg{Property: p, Usage: "offered"})
			continue
		}
		out = append(out, Agg{Property: p})
	}
	return out
}

// BuildMatrix runs every workload under every proposal, opt.Workers jobs at a
// time. Each job parses and builds its own scenario, kernel and state, and writes
// only its own slot of the result, so the matrix does not depend on the order in
// which jobs finish. An error is bad input: a workload that does not parse or
// build, an unknown proposal.
func BuildMatrix(opt MatrixOptions) (*Matrix, error) {
	start := time.Now()
	for _, p := range opt.Proposals {
		if _, ok := proposals.Lookup(p); !ok {
			return nil, fmt.Errorf("unknown proposal %q (see 'daxsim proposals')", p)
		}
	}
	m := &Matrix{Suite: opt.Suite, Proposals: opt.Proposals, Properties: checker.Names(), MaxStates: opt.MaxStates,
		Mutants: opt.Mutants}
	for _, c := range columns() {
		m.Columns = append(m.Columns, c.Column())
	}
	for _, w := range opt.Workloads {
		scn, err := scenarios.Parse(w.Path, w.Src, run.ParseOptions())
		if err != nil {
			return nil, err
		}
		m.Workloads = append(m.Workloads, w.Name)
		m.Paths = append(m.Paths, w.Path)
		m.Usages = append(m.Usages, Usage(scn))
	}
	m.Cells = make([]Cell, len(opt.Proposals)*len(opt.Workloads))
	workers := opt.Workers
	if workers < 1 {
		workers = 1
	}
	var g errgroup.Group
	g.SetLimit(workers)
	for pi, p := range opt.Proposals {
		for wi, w := range opt.Workloads {
			cell := m.Cell(pi, wi)
			g.Go(func() error { return runCell(cell, p, w, opt.MaxStates, opt.Mutants) })
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for pi, p := range opt.Proposals {
		m.Rows = append(m.Rows, m.fold(pi, p))
	}
	m.Elapsed = time.Since(start)
	return m, nil
}

// runCell is one job: explore workload w under proposal p, then run it serially.
func runCell(cell *Cell, p string, w Workload, maxStates int, mutants []string) error {
	start := time.Now()
	scn, err := scenarios.Parse(w.Path, w.Src, run.ParseOptions())
	if err != nil {
		return err
	}
	b, err := scenarios.Build(scn, scenarios.Options{Proposal: p, Mutants: mutants})
	if err != nil {
		return fmt.Errorf("%s under %s: %w", w.Name, p, err)
	}
	r := run.Run(b, sim.Options{MaxStates: maxStates})
	*cell = Cell{Proposal: p, Workload: w.Name, States: r.Result.States, Transitions: r.Result.Transitions,
		Complete: r.Result.Complete, Limit: r.Result.Limit}
	for _, name := range checker.Names() {
		cp := CellProp{Property: name}
		if pr := r.Prop(name); pr != nil {
			cp.Verdict, cp.Why = pr.Verdict, pr.Why
			if pr.Verdict == run.Violation {
				v := pr.Witnesses[0]
				cp.Length, cp.Class, cp.Msg = len(v.Trace), v.Class, v.Msg
				w := report.Witness(r, 0, v)
				cp.Witness = &w
			}
		}
		cell.Props = append(cell.Props, cp)
	}
	// The serial run builds its own kernel: run.Run's checks do not change the
	// kernel, but nothing is shared between the two either way.
	b2, err := scenarios.Build(scn, scenarios.Options{Proposal: p, Mutants: mutants})
	if err != nil {
		return fmt.Errorf("%s under %s: %w", w.Name, p, err)
	}
	cell.Serial = run.SerialRun(b2.Kernel, &b2.Init)
	cell.Elapsed = time.Since(start)
	return nil
}

// fold aggregates the cells of proposal index pi over the workloads (in suite
// order, so ties between equally short counterexamples go to the first workload).
func (m *Matrix) fold(pi int, p string) Row {
	row := Row{Proposal: p}
	for _, col := range columns() {
		a := col
		name := col.Property
		qi := slices.Index(m.Properties, name)
		checked, judged := false, false
		var unknown *Agg
		for wi, wname := range m.Workloads {
			if col.Usage != "" && m.Usages[wi] != col.Usage {
				continue
			}
			cp := &m.Cell(pi, wi).Props[qi]
			switch cp.Verdict {
			case run.Violation:
				if a.Verdict != run.Violation || cp.Length < a.Length {
					a.Verdict, a.Length, a.Workload, a.Class = run.Violation, cp.Length, wname, cp.Class
				}
			case run.Unknown:
				if unknown == nil {
					unknown = &Agg{Property: name, Usage: col.Usage, Verdict: run.Unknown, Workload: wname, Why: cp.Why}
				}
			}
			checked = checked || cp.Checked()
			judged = judged || cp.Verdict == run.Pass
		}
		switch {
		case a.Verdict == run.Violation:
		case unknown != nil:
			a = *unknown
		case judged:
			a.Verdict = run.Pass
		case checked:
			a.Verdict, a.Why = run.Vacuous, "no workload gave it anything to judge"
		case col.Usage != "":
			a.Verdict, a.Why = run.Unknown, "no "+col.Usage+" workload checks it"
		default:
			a.Verdict, a.Why = run.Unknown, "no workload checks it"
		}
		row.Props = append(row.Props, a)
	}
	for wi := range m.Workloads {
		c := m.Cell(pi, wi)
		row.States += c.States
		row.Elapsed += c.Elapsed
		row.Serial.Faults += c.Serial.Faults
		row.Serial.Commits += c.Serial.Commits
		row.Serial.Stores += c.Serial.Stores
		row.Serial.Steps += c.Serial.Steps
	}
	row.Serial.Finished = true
	for wi := range m.Workloads {
		row.Serial.Finished = row.Serial.Finished && m.Cell(pi, wi).Serial.Finished
	}
	return row
}
