package run

import (
	"fmt"
	"slices"
	"strings"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// Verdict is the tri-state outcome of a property or an expectation.
type Verdict string

const (
	Pass      Verdict = "pass"
	Violation Verdict = "violation"
	Unknown   Verdict = "unknown"
	// Vacuous: the whole space was explored and the property judged nothing
	// in it (no obligation, use or crash point of its kind): it holds, but the
	// workload did not ask it anything. Never a pass.
	Vacuous Verdict = "vacuous"
	// Partial: a shard (-shard i/n) found nothing against it in its part of
	// the space; only 'daxsim merge' of every shard's report decides it.
	Partial Verdict = "partial"
)

// Exit statuses (SPEC.md section 2).
const (
	ExitOK       = 0
	ExitFail     = 1
	ExitBadInput = 2
	ExitUnknown  = 3
	// ExitInternal is a bug of daxsim (a recovered panic), never bad input.
	ExitInternal = 4
)

// PropResult is the verdict on one property.
type PropResult struct {
	Name      string
	Verdict   Verdict
	Why       string          // for unknown: which limit, or that it cannot be checked yet
	Witnesses []sim.Violation // shortest first, one per class
	Implicit  bool            // not asked for: listed by "check all" but not checkable yet
	// Judged is the property's coverage: how many of what it judges (its
	// Property.Judges) it judged over the search.
	Judged int64
}

// ExpectResult is the outcome of one expect line.
type ExpectResult struct {
	Expect scenarios.Expect
	Text   string  // the line, rebuilt
	Holds  Verdict // pass = holds, violation = does not hold, unknown = undecided
	Why    string
	// Witness is the execution that breaks an "expect result" line.
	Witness *sim.Violation
	// Judged is an expect result or reachable line's coverage: the results
	// of its statement judged.
	Judged int64
}

// Report is everything one check run found.
type Report struct {
	Built   *scenarios.Built
	Result  *sim.Result
	Random  *sim.RandomResult // set when random schedules ran
	Props   []PropResult
	Expects []ExpectResult
	Exit    int
	// Opt is how the scenario was searched (for reproduce commands).
	Opt Options
	// Symmetry is the thread symmetry the exhaustive search used (nil: none).
	Symmetry *model.Symmetry
	// POR is the partial-order reduction it used (nil: none), and
	// NotShortest says the search that makes counterexamples shortest again
	// hit a limit: some may be longer than the shortest.
	POR         *sim.POR
	NotShortest bool
}

// Run explores a built scenario and judges its properties and expect lines.
func Run(b *scenarios.Built, opt sim.Options) *Report {
	return RunMode(b, Options{Sim: opt})
}

// Options choose how a scenario is searched.
type Options struct {
	Sim sim.Options
	// Random runs seeded random schedules instead of the exhaustive search.
	Random bool
	// Swarm searches depth-first in an order drawn from RandOpt.Seed plus the
	// shard's index (Sim.Shard): bounded by Sim's limits, each shard reaches
	// another part of a space too large for one search; a swarm search that
	// ends within its bounds has covered the whole space.
	Swarm bool
	// Fallback runs random schedules after an exhaustive search cut by a limit
	// (SPEC.md: exhaustive "falls back to random with a warning").
	Fallback bool
	RandOpt  sim.RandomOptions
	// NoSymmetry turns the thread symmetry reduction off (it is on wherever
	// interchangeable threads exist; counterexamples are translated back).
	NoSymmetry bool
	// NoPOR turns the partial-order reduction off (it is on but with
	// StopFirst; counterexamples are made shortest again by sim.Reshorten).
	NoPOR bool
}

// RunMode explores a built scenario as opt says and judges it.
func RunMode(b *scenarios.Built, opt Options) *Report {
	scn := b.Scn
	r := &Report{Built: b, Opt: opt}
	cfg := checker.Config{Crash: scn.Crash}
	names, implicit := selectProperties(scn)
	makeChecks := func() ([]sim.Check, []resultCheck) {
		var checks []sim.Check
		for _, n := range names {
			p, _ := checker.Lookup(n)
			if p.Checkable() && (!p.Crash || cfg.Crashes()) {
				checks = append(checks, p.Check(cfg))
			}
		}
		results := expectResultChecks(b)
		for _, rc := range results {
			checks = append(checks, rc.check)
		}
		return checks, results
	}
	checks, results := makeChecks()
	var res *sim.Result
	if !opt.Random {
		so := opt.Sim
		if opt.Swarm {
			so.DFS, so.Swarm, so.Seed = true, true, opt.RandOpt.Seed+uint64(so.Shard)
		}
		if so.Reduce == nil {
			if !opt.NoSymmetry {
				r.Symmetry = symmetryFor(b)
			}
			// Partial-order reduction, not with -stop-first: a reduced
			// search meets its first violation later than an unreduced one.
			if !opt.NoPOR && !so.StopFirst {
				r.POR = POR(b)
			}
			so.Reduce = reduction(r.POR, r.Symmetry)
		}
		res = sim.Explore(b.Kernel, &b.Init, checks, so)
		// Not for a swarm: its witnesses are what a seeded depth-first order
		// met first, and re-shortening them would cost a breadth-first search
		// of the space it is too large for.
		if r.POR != nil && !so.Swarm {
			// Shortest counterexamples again: an unreduced search (but for
			// the symmetry) bounded at the longest one.
			var rs sim.Reshortening
			res, rs = sim.Reshorten(b.Kernel, &b.Init, func() []sim.Check { c, _ := makeChecks(); return c }, so, res)
			r.NotShortest = rs.Depth > 0 && !rs.Complete
		}
		if r.Symmetry != nil {
			unreduce(b, cfg, r.Symmetry, res)
		}
	}
	// The fallback to random runs after a limit on states or memory: not after
	// an interrupt, nor after -max-depth (every execution up to the bound was
	// explored; runs past it would deepen the search silently).
	if opt.Random || (opt.Fallback && !res.Complete && res.Limit != sim.Interrupted &&
		!strings.HasPrefix(res.Limit, "max-depth")) {
		var hist []sim.HistoryCheck
		for _, n := range names {
			if p, _ := checker.Lookup(n); p.History != nil {
				hist = append(hist, p.History(cfg))
			}
		}
		ro := opt.RandOpt
		if d := opt.Sim.MaxDepth; d > 0 && (ro.MaxSteps <= 0 || ro.MaxSteps > d) {
			ro.MaxSteps = d // -max-depth bounds the random runs too: never deeper
		}
		if n := opt.Sim.Shards; n > 1 {
			// A shard runs its part of the runs: the parts are disjoint and cover them.
			total := max(ro.Runs, 1)
			lo, hi := total*opt.Sim.Shard/n, total*(opt.Sim.Shard+1)/n
			ro.First, ro.Runs = ro.First+lo, max(hi-lo, 1)
		}
		rr := sim.RandomSearch(b.Kernel, &b.Init, func() []sim.Check { c, _ := makeChecks(); return c }, hist, ro)
		r.Random = rr
		res = mergeRandom(res, rr)
		if n := opt.Sim.Shards; n > 1 {
			res.Shard = fmt.Sprintf("%d/%d", opt.Sim.Shard, n)
		}
	}
	r.Result = res

	for _, n := range names {
		pr := judgeProperty(n, implicit[n], cfg, res)
		if r.PartialShard() && (pr.Verdict == Pass || pr.Verdict == Vacuous) {
			pr.Verdict, pr.Why = Partial, r.partialWhy()
		}
		r.Props = append(r.Props, pr)
	}
	for i, e := range scn.Expects {
		r.Expects = append(r.Expects, r.judgeExpect(e, i, results, res))
	}
	r.Exit = r.exitCode()
	return r
}

// PartialShard says the report is one shard's of an exhaustive search that
// split before its end: its part of the space only.
func (r *Report) PartialShard() bool {
	res := r.Result
	return res != nil && res.Shard != "" && !(res.Search == "bfs" && res.SplitDepth < 0) && res.Search != "swarm"
}

func (r *Report) partialWhy() string {
	return fmt.Sprintf("shard %s covers part of the space: 'daxsim merge' the reports of every shard", r.Result.Shard)
}

// mergeRandom folds a random search into a result: the witnesses of checks the
// exhaustive search (if any) did not already witness, and the limit that says the
// verdicts are not proofs.
func mergeRandom(res *sim.Result, rr *sim.RandomResult) *sim.Result {
	if res == nil {
		res = &sim.Result{Search: "random", States: rr.States, Transitions: rr.Steps, SplitDepth: -1,
			Coverage: map[string]int64{}}
		res.Limit = "random search"
	} else {
		res.Limit += "; then " + rr.Describe()
		res.Search += "+random"
	}
	for name, n := range rr.Coverage {
		res.Coverage[name] += n
	}
	res.Complete = false
	have := map[string]bool{}
	for _, v := range res.Violations {
		have[v.Check+"\x00"+v.Class] = true
	}
	for _, v := range rr.Violations {
		if !have[v.Check+"\x00"+v.Class] {
			res.Violations = append(res.Violations, v)
		}
	}
	return res
}

// selectProperties returns the properties to judge: those of the check line (all
// properties for "check all") and those named by expect lines. implicit marks the
// ones "check all" lists that cannot be checked yet.
func selectProperties(scn *scenarios.Scenario) ([]string, map[string]bool) {
	want := map[string]bool{}
	implicit := map[string]bool{}
	if len(scn.Check) == 0 {
		for _, p := range checker.All() {
			want[p.Name] = true
			implicit[p.Name] = !p.Checkable() || (p.Crash && scn.Crash == "never")
		}
	}
	for _, n := range scn.Check {
		want[n] = true
	}
	for _, e := range scn.Expects {
		for _, n := range e.Props {
			want[n] = true
			implicit[n] = false
		}
	}
	var out []string
	for _, n := range checker.Names() {
		if want[n] {
			out = append(out, n)
		}
	}
	return out, implicit
}

func judgeProperty(name string, implicit bool, cfg checker.Config, res *sim.Result) PropResult {
	p, _ := checker.Lookup(name)
	pr := PropResult{Name: name, Implicit: implicit, Judged: res.Coverage[name]}
	switch {
	case !p.Checkable():
		pr.Verdict, pr.Why = Unknown, fmt.Sprintf("not checkable yet (planned in issue %s)", p.Issue)
	case p.Crash && !cfg.Crashes():
		pr.Verdict, pr.Why = Unknown, "not checked: crash never"
	case res.Violated(name):
		pr.Verdict = Violation
		for _, v := range res.Violations {
			if v.Check == name {
				pr.Witnesses = append(pr.Witnesses, v)
			}
		}
		sortByLength(pr.Witnesses)
	case res.Complete && pr.Judged == 0:
		pr.Verdict, pr.Why = Vacuous, "judged nothing: no "+p.Judges
	case res.Complete:
		pr.Verdict, pr.Why = Pass, fmt.Sprintf("judged %d %s", pr.Judged, p.Judges)
	default:
		pr.Verdict, pr.Why = Unknown, res.Limit
	}
	return pr
}

func sortByLength(vs []sim.Violation) {
	for i := 1; i < len(vs); i++ {
		for j := i; j > 0 && len(vs[j].Trace) < len(vs[j-1].Trace); j-- {
			vs[j], vs[j-1] = vs[j-1], vs[j]
		}
	}
}

// resultCheck is the engine check behind one "expect result" or "expect
// reachable" line. Its coverage is the number of results judged: how often
// the statement returned (after a crash: the results at each crash point).
type resultCheck struct {
	index int // in Scenario.Expects
	check sim.Check
}

func expectResultChecks(b *scenarios.Built) []resultCheck {
	k := b.Kernel
	var out []resultCheck
	for i, e := range b.Scn.Expects {
		if e.Kind != scenarios.ExpectResult && e.Kind != scenarios.ExpectReachable {
			continue
		}
		var wants []model.Result
		for _, r := range e.Results {
			w, _ := k.ParseResult(r)
			wants = append(wants, w)
		}
		allowed := func(r model.Result) bool { return slices.Contains(wants, r) }
		pc := e.Stmt.Index - 1
		text := e.Stmt.String()
		results := strings.Join(e.Results, "|")
		name := fmt.Sprintf("expect result %s %s", text, results)
		if e.Kind == scenarios.ExpectReachable {
			name = fmt.Sprintf("expect reachable %s %s", text, results)
		}
		// judge judges a returned result r of the statement: a result line
		// fails on a result it does not allow, a reachable line is met by its
		// result. It reports whether it stopped at a failure.
		judge := func(j *sim.Judge, k *model.Kernel, r model.Result, how string) bool {
			j.Judged(1)
			var class, msg string
			switch {
			case e.Kind == scenarios.ExpectReachable && allowed(r):
				class, msg = "reached", fmt.Sprintf("%s %s %s", text, how, k.ResultName(r))
			case e.Kind == scenarios.ExpectResult && !allowed(r):
				class, msg = "result", fmt.Sprintf("%s %s %s, expected %s", text, how, k.ResultName(r), results)
			default:
				return false
			}
			if j.Fail(class) {
				j.Explain(msg)
			}
			return true
		}
		c := sim.Check{Name: name}
		if e.Stmt.Thread == scenarios.CrashThread {
			stmt := b.AfterCrash[pc].Text
			c.State = func(j *sim.Judge, k *model.Kernel, s *model.State) {
				if b.Scn.Crash == "never" || !k.CrashPoint(s) {
					return
				}
				for _, r := range k.AfterCrash(s, b.AfterCrash, b.AfterCrashProc)[pc] {
					if judge(j, k, r, "("+stmt+") after a crash here may return") {
						return
					}
				}
			}
		} else {
			t := -1
			for j := range k.Threads {
				if k.Threads[j].Name == e.Stmt.Thread {
					t = j
				}
			}
			c.Step = func(j *sim.Judge, k *model.Kernel, _, _ *model.State, ev *model.Event) {
				if !ev.Returned || ev.Thread != t || ev.PC != pc {
					return
				}
				judge(j, k, ev.Result, "("+k.Threads[t].Prog[pc].Text+") returned")
			}
		}
		out = append(out, resultCheck{index: i, check: c})
	}
	return out
}

// Prop is the verdict on property name, nil when the run did not judge it.
func (r *Report) Prop(name string) *PropResult {
	for i := range r.Props {
		if r.Props[i].Name == name {
			return &r.Props[i]
		}
	}
	return nil
}

// judged is the verdict on property name for an expect line: a name the
// parser was not told to check (scenarios.ParseOptions without a property
// list) was judged by nothing.
func (r *Report) judged(name string) *PropResult {
	if p := r.Prop(name); p != nil {
		return p
	}
	return &PropResult{Name: name, Verdict: Unknown, Why: "unknown property (see 'daxsim properties')"}
}

func (r *Report) judgeExpect(e scenarios.Expect, i int, results []resultCheck, res *sim.Result) ExpectResult {
	er := ExpectResult{Expect: e, Text: expectText(e)}
	partial := r.PartialShard()
	switch e.Kind {
	case scenarios.ExpectViolation, scenarios.ExpectPass:
		er.Holds, er.Why = ExpectProps(e.Kind == scenarios.ExpectViolation, e.Props, r.Props)
	case scenarios.ExpectResult:
		for _, rc := range results {
			if rc.index != i {
				continue
			}
			if v, ok := res.First(rc.check.Name); ok {
				er.Holds, er.Why, er.Witness = Violation, v.Msg, &v
				return er
			}
			er.Judged = res.Coverage[rc.check.Name]
			switch {
			case !res.Complete:
				er.Holds, er.Why = Unknown, res.Limit
			case partial:
				er.Holds, er.Why = Partial, r.partialWhy()
			case er.Judged == 0:
				// Vacuous: nothing was judged, so the line says nothing.
				er.Holds, er.Why = Violation, "vacuous: the statement never returned in any explored execution"
			default:
				er.Holds = Pass
			}
		}
	case scenarios.ExpectReachable:
		for _, rc := range results {
			if rc.index != i {
				continue
			}
			v, ok := res.First(rc.check.Name)
			er.Judged = res.Coverage[rc.check.Name]
			switch {
			case ok:
				er.Holds, er.Why = Pass, fmt.Sprintf("%s (%d steps)", v.Msg, len(v.Trace))
			case !res.Complete:
				er.Holds, er.Why = Unknown, res.Limit
			case partial:
				er.Holds, er.Why = Partial, r.partialWhy()
			case res.Coverage[rc.check.Name] == 0:
				er.Holds, er.Why = Violation, "the statement never returned in any explored execution"
			default:
				er.Holds, er.Why = Violation, "no explored execution returns it"
			}
		}
	}
	return er
}

// ExpectProps judges an "expect violation" (violation true) or "expect pass"
// line naming props (none: the bare "expect pass") on the verdicts of all.
// A vacuous property fails both; a partial one (a shard's) leaves the line
// partial.
func ExpectProps(violation bool, names []string, all []PropResult) (Verdict, string) {
	find := func(n string) PropResult {
		for _, p := range all {
			if p.Name == n {
				return p
			}
		}
		return PropResult{Name: n, Verdict: Unknown, Why: "unknown property (see 'daxsim properties')"}
	}
	if !violation && len(names) == 0 {
		// The bare line: every property checked holds; one that judged
		// nothing holds too (it is named nowhere, and the verdict table says
		// vacuous), as long as one judged something.
		judged := false
		for _, p := range all {
			if !p.Implicit && p.Verdict != Vacuous {
				names = append(names, p.Name)
				judged = judged || p.Verdict != Unknown
			}
		}
		if !judged && len(names) == 0 {
			return Violation, "vacuous: no property judged anything"
		}
	}
	holds, why := Pass, ""
	for _, n := range names {
		p := find(n)
		switch {
		case p.Verdict == Vacuous:
			return Violation, n + " is vacuous: " + p.Why
		case violation && p.Verdict == Pass:
			return Violation, n + " holds in every explored execution"
		case !violation && p.Verdict == Violation:
			return Violation, n + " is violated"
		case p.Verdict == Unknown:
			holds, why = Unknown, n+": "+p.Why
		case p.Verdict == Partial && holds == Pass:
			holds, why = Partial, p.Why
		}
	}
	return holds, why
}

func expectText(e scenarios.Expect) string {
	switch e.Kind {
	case scenarios.ExpectViolation:
		return "expect violation " + strings.Join(e.Props, " ")
	case scenarios.ExpectPass:
		return strings.TrimSpace("expect pass " + strings.Join(e.Props, " "))
	}
	kind := "result"
	if e.Kind == scenarios.ExpectReachable {
		kind = "reachable"
	}
	return fmt.Sprintf("expect %s %s %s", kind, e.Stmt, strings.Join(e.Results, "|"))
}

func (r *Report) exitCode() int {
	var expects []Verdict
	for _, e := range r.Expects {
		expects = append(expects, e.Holds)
	}
	var props []PropResult
	for _, p := range r.Props {
		props = append(props, PropResult{Verdict: p.Verdict, Implicit: p.Implicit})
	}
	return ExitOf(expects, props)
}

// ExitOf is SPEC.md's exit status: with expect lines, 1 if one does not hold (its
// outcome is Violation), else 3 if one is undecided, else 0; without, the same over
// the properties asked for (the implicit ones of "check all" that cannot be
// checked do not count).
func ExitOf(expects []Verdict, props []PropResult) int {
	code := ExitOK
	if len(expects) > 0 {
		for _, v := range expects {
			switch v {
			case Violation:
				return ExitFail
			case Unknown, Partial:
				code = ExitUnknown
			}
		}
		return code
	}
	for _, p := range props {
		switch {
		case p.Verdict == Violation:
			return ExitFail
		case (p.Verdict == Unknown || p.Verdict == Partial) && !p.Implicit:
			code = ExitUnknown
		}
	}
	return code
}
