package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/sim"
)

// WriteText prints the report as text: the header, the verdict table, the expect
// lines, then every counterexample as a table of steps. The output depends only
// on the report (no times unless withTimes), so it is deterministic for a
// given input.
func WriteText(w io.Writer, r *run.Report, withTimes bool) { writeText(w, r, withTimes, 0) }

// WriteSplat prints the report as WriteText does, with every counterexample as
// a splat at most width columns wide (SplatWidth when width is 0).
func WriteSplat(w io.Writer, r *run.Report, withTimes bool, width int) {
	if width <= 0 {
		width = SplatWidth
	}
	writeText(w, r, withTimes, width)
}

// writeText writes the text report; splat > 0 draws the counterexamples as
// splats of that width (and wraps the verdicts' details to it).
func writeText(out io.Writer, r *run.Report, withTimes bool, splat int) {
	b := r.Built
	k := b.Kernel
	res := r.Result
	var head bytes.Buffer
	w := io.Writer(&head)
	fmt.Fprintf(w, "scenario %s  proposal %s  fs %s  threads %d\n", b.Scn.Name, k.Proposal, k.FS, len(k.Threads))
	coverage := "exhaustive"
	switch {
	case !res.Complete:
		coverage = "INCOMPLETE (" + res.Limit + ")"
	case r.PartialShard():
		coverage = "shard " + res.Shard + " of the space, exhaustive within it"
	}
	order := res.Search
	if order == "swarm" {
		shard := ""
		if res.Shard != "" {
			shard = ", shard " + res.Shard
		}
		order = fmt.Sprintf("swarm (depth-first in the order of seed %d%s)", r.Opt.RandOpt.Seed, shard)
	}
	if res.Search == "random" {
		fmt.Fprintf(w, "search   %s; verdicts are violation or unknown", r.Random.Describe())
	} else {
		fmt.Fprintf(w, "search   %s, %s: %d states, %d transitions, depth %d, %d terminal",
			order, coverage, res.States, res.Transitions, res.Depth, res.Terminal)
	}
	if withTimes {
		fmt.Fprintf(w, ", %v", res.Elapsed.Round(1000))
	}
	fmt.Fprintln(w)
	if note := reductionNote(r); note != "" {
		fmt.Fprintf(w, "reduce   %s\n", note)
	}
	switch b.Scn.Crash {
	case "never":
		fmt.Fprintln(w, "crashes  never: no crash image is checked")
	case "after":
		fmt.Fprintf(w, "crashes  after %s: one power cut once it has returned (the journal may still commit)\n", b.Scn.CrashAfter)
	default:
		fmt.Fprintln(w, "crashes  anywhere: every reachable state is checked as a crash point")
	}
	w = out
	if splat > 0 {
		// The header's lines hang after their label.
		p := &splatter{w: w, width: splat}
		for _, l := range strings.Split(strings.TrimSuffix(head.String(), "\n"), "\n") {
			label, rest, _ := strings.Cut(l, " ")
			p.hang(label+strings.Repeat(" ", len("scenario")-len(label)+1), strings.TrimLeft(rest, " "))
		}
	} else {
		w.Write(head.Bytes())
	}
	fmt.Fprintln(w)

	tw := NewTable(w)
	fmt.Fprintln(tw, "property\tverdict\tdetail")
	for _, p := range r.Props {
		detail := p.Why
		verdict := string(p.Verdict)
		if p.Implicit {
			verdict = "-"
		}
		if p.Verdict == run.Violation {
			detail = violationDetail(len(p.Witnesses[0].Trace), p.Witnesses[0].Class, len(p.Witnesses))
		}
		if splat > 0 {
			// The detail column starts after the widest name and verdict.
			lines := wrapWords(detail, max(splat-detailColumn(r.Props), 20), max(splat-detailColumn(r.Props)-2, 18))
			fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, verdict, lines[0])
			for _, l := range lines[1:] {
				fmt.Fprintf(tw, "\t\t  %s\n", l)
			}
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, verdict, detail)
	}
	tw.Flush()
	if len(r.Expects) > 0 && splat > 0 {
		fmt.Fprintln(w)
		p := &splatter{w: w, width: splat}
		for _, e := range r.Expects {
			word := map[run.Verdict]string{run.Pass: "holds", run.Violation: "FAILS", run.Unknown: "unknown", run.Partial: "partial"}[e.Holds]
			p.hang(fmt.Sprintf("%-8s", word), e.Text)
			if e.Why != "" {
				p.wrap(10, e.Why)
			}
		}
	} else if len(r.Expects) > 0 {
		fmt.Fprintln(w)
		tw = NewTable(w)
		for _, e := range r.Expects {
			word := map[run.Verdict]string{run.Pass: "holds", run.Violation: "FAILS", run.Unknown: "unknown", run.Partial: "partial"}[e.Holds]
			fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Text, word, e.Why)
		}
		tw.Flush()
	}
	cx := func(w io.Writer, v sim.Violation) { writeCounterexample(w, r, v) }
	if splat > 0 {
		cx = func(w io.Writer, v sim.Violation) {
			fmt.Fprintln(w)
			writeSplat(w, r, v, splat)
		}
	}
	for _, p := range r.Props {
		for _, v := range p.Witnesses {
			cx(w, v)
		}
	}
	for _, e := range r.Expects {
		if e.Witness != nil {
			cx(w, *e.Witness)
		}
	}
}

// detailColumn is where the verdict table's detail column starts.
func detailColumn(props []run.PropResult) int {
	name, verdict := len("property"), len("verdict")
	for _, p := range props {
		name, verdict = max(name, len(p.Name)), max(verdict, len(p.Verdict))
	}
	return name + 2 + verdict + 2
}

// symmetryNote describes the classes of interchangeable threads for the
// report header.
func symmetryNote(k *model.Kernel, y *model.Symmetry) string {
	if y == nil {
		return ""
	}
	var parts []string
	for _, c := range y.Classes() {
		var names []string
		for _, t := range c {
			names = append(names, k.ThreadName(t))
		}
		parts = append(parts, "{"+strings.Join(names, " ")+"}")
	}
	return fmt.Sprintf("%s interchangeable (one state per class of up to %d)", strings.Join(parts, " "), y.Order())
}

// reductionNote says which reductions the exhaustive search used.
func reductionNote(r *run.Report) string {
	var parts []string
	swarm := r.Result != nil && r.Result.Search == "swarm"
	switch {
	case r.POR != nil && swarm:
		parts = append(parts, "partial-order (ample sets of independent steps)")
	case r.POR != nil:
		parts = append(parts, "partial-order (ample sets of independent steps; counterexamples made shortest again)")
	}
	if note := symmetryNote(r.Built.Kernel, r.Symmetry); note != "" {
		parts = append(parts, "symmetry "+note)
	}
	if swarm {
		parts = append(parts, "counterexamples are the first the swarm's order met, not shortest")
	}
	if r.NotShortest {
		parts = append(parts, "counterexamples may not be shortest: the search that re-shortens them hit a limit")
	}
	return strings.Join(parts, "; ")
}

// violationDetail is the detail column of a violated property.
func violationDetail(shortest int, class string, ways int) string {
	detail := fmt.Sprintf("shortest %d steps (%s)", shortest, class)
	if ways > 1 {
		detail += fmt.Sprintf("; %d ways, counterexamples below", ways)
	}
	return detail
}

// Table is a tabwriter whose lines lose their trailing blanks.
type Table struct {
	*tabwriter.Writer
	buf bytes.Buffer
	out io.Writer
}

// NewTable is a Table writing to w: cells end at a tab, two blanks apart.
func NewTable(w io.Writer) *Table {
	t := &Table{out: w}
	t.Writer = tabwriter.NewWriter(&t.buf, 0, 0, 2, ' ', 0)
	return t
}

// Flush writes the aligned table.
func (t *Table) Flush() {
	t.Writer.Flush()
	for _, l := range strings.SplitAfter(t.buf.String(), "\n") {
		if l != "" {
			io.WriteString(t.out, strings.TrimRight(l, " \n")+"\n")
		}
	}
	t.buf.Reset()
}

const rule = "======================================================================"

func writeCounterexample(w io.Writer, r *run.Report, v sim.Violation) {
	fmt.Fprintf(w, "\n%s\nBUG: %s violated (%s)\n%s\n%s\n\n", rule, v.Check, v.Class, strings.Repeat("-", len(rule)), v.Msg)
	writeTrace(w, r, v.Trace, true)
	for _, rel := range v.Related {
		fmt.Fprintf(w, "\n-- %s:\n\n", rel.Note)
		writeTrace(w, r, rel.Trace, false)
	}
	fmt.Fprintf(w, "%s\nreplay: %s\n", strings.Repeat("-", len(rule)), ReproduceCommand(r, &v))
}

// writeTrace replays a schedule and prints it one step a line; the last step is
// marked, and with final the threads' positions at the end follow.
func writeTrace(w io.Writer, r *run.Report, trace []int, final bool) {
	b := r.Built
	k := b.Kernel
	steps, views, err := ReplaySteps(b, trace)
	if err != nil {
		fmt.Fprintf(w, "  (the trace does not replay: %v)\n", err)
		return
	}
	tw := NewTable(w)
	fmt.Fprintln(tw, "  step\tthread\tstatement\tkernel function\tlocks held after\tstate after (S_DAX a_ops xa pte)\tchanges")
	for i := range views {
		v := &views[i]
		fn := v.Fn
		if i == len(views)-1 {
			fn = "=> " + fn
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\n", v.N, v.Name, v.Statement(), fn, v.Held, v.Focus,
			strings.Join(v.Effects(), "; "))
	}
	tw.Flush()
	if final && len(steps) > 0 {
		fmt.Fprintf(w, "\nthreads at the end:\n%s", indent(k.DescribeThreads(&steps[len(steps)-1].After), "  "))
	}
}

func indent(s, pre string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(pre + l)
		}
	}
	return b.String()
}

// DescribeChanges lists what a step changed in the state that matters: inode mode
// and flags, xarray entries, VMAs and PTEs, open files.
func DescribeChanges(k *model.Kernel, before, after *model.State) []string {
	var out []string
	for i := range k.Files {
		a, b := &before.Inodes[i], &after.Inodes[i]
		name := k.FileName(i)
		if a.InCore != b.InCore {
			if b.InCore != 0 {
				out = append(out, fmt.Sprintf("%s instantiated: S_DAX=%d a_ops=%v", name, b.SDax, b.Aops))
			} else {
				out = append(out, name+" evicted")
			}
		} else if a.SDax != b.SDax || a.Aops != b.Aops {
			out = append(out, fmt.Sprintf("%s S_DAX %d->%d a_ops %v->%v", name, a.SDax, b.SDax, a.Aops, b.Aops))
		}
		if a.DiskDax != b.DiskDax {
			out = append(out, fmt.Sprintf("%s FS_XFLAG_DAX %d->%d", name, a.DiskDax, b.DiskDax))
		}
		if a.DontCache != b.DontCache && b.DontCache != 0 {
			out = append(out, name+" I_DONTCACHE")
		}
		if a.Parent != b.Parent {
			out = append(out, fmt.Sprintf("%s moved to %s", name, dirName(k, b.Parent)))
		}
		for pg := range a.XA {
			if a.XA[pg] != b.XA[pg] {
				out = append(out, fmt.Sprintf("%s xa[%d] %s->%s", name, pg, entry(k, a.XA[pg]), entry(k, b.XA[pg])))
			}
			if a.Block[pg] != b.Block[pg] {
				out = append(out, fmt.Sprintf("%s block[%d] %s->%s", name, pg, block(a.Block[pg]), block(b.Block[pg])))
			}
		}
	}
	for p := range k.Procs {
		pa, pb := &before.Procs[p], &after.Procs[p]
		for v := range pa.VMA {
			va, vb := pa.VMA[v], pb.VMA[v]
			if va != vb {
				if vb.File != 0 {
					out = append(out, fmt.Sprintf("%s: vma %s = %s[%d-%d] vm_ops=%v", k.ProcName(p), k.VMAName(p, v),
						k.FileName(int(vb.Inode)-1), vb.Lo, vb.Hi, vb.Ops))
				} else {
					out = append(out, fmt.Sprintf("%s: vma %s unmapped", k.ProcName(p), k.VMAName(p, v)))
				}
			}
			for pg := range pa.PTE[v] {
				if pa.PTE[v][pg] != pb.PTE[v][pg] && (vb.File != 0 || va.File == 0) {
					out = append(out, fmt.Sprintf("%s: pte %s[%d] %s->%s", k.ProcName(p), k.VMAName(p, v), pg,
						pte(pa.PTE[v][pg]), pte(pb.PTE[v][pg])))
				}
			}
		}
	}
	return out
}

// focus is the state that matters for a statement: its inode's S_DAX and a_ops,
// and for a statement on a page of a mapping, the xarray entry and the PTE.
func focus(k *model.Kernel, s *model.State, t int, st *model.Stmt) string {
	if st.Inode < 0 {
		return ""
	}
	in := &s.Inodes[st.Inode]
	if in.InCore == 0 {
		return k.FileName(st.Inode) + ": not in core"
	}
	out := fmt.Sprintf("%s: %d %v", k.FileName(st.Inode), in.SDax, in.Aops)
	if st.VMA >= 0 && st.Op != model.OpMmap && st.Op != model.OpMunmap {
		p := k.Threads[t].Proc
		out += fmt.Sprintf(" xa[%d]=%s pte=%s", st.Page, entry(k, in.XA[st.Page]), pte(s.Procs[p].PTE[st.VMA][st.Page]))
	}
	return out
}

func dirName(k *model.Kernel, parent uint8) string {
	if parent == 0 {
		return "/"
	}
	return k.DirName(int(parent) - 1)
}

func block(b uint8) string {
	if b == 0 {
		return "hole"
	}
	return fmt.Sprintf("b%d", b-1)
}

func entry(k *model.Kernel, e model.Entry) string {
	s := e.Kind.String()
	switch e.Kind {
	case model.EntryNone:
		return s
	case model.EntryDAX:
		s += "(" + block(e.Val) + ")"
	case model.EntryPage:
		s += "(" + k.ValueName(e.Val) + ")"
	}
	if e.Dirty != 0 {
		s += ",dirty"
	}
	if e.Locked != 0 {
		s += ",locked by " + k.ThreadName(int(e.Locked)-1)
	}
	return s
}

func pte(p model.PTE) string {
	var s string
	switch p.Kind {
	case model.PTENone:
		return "none"
	case model.PTEDAX:
		s = "dax(" + block(p.Val) + ")"
	case model.PTEZero:
		s = "zero-page"
	case model.PTEPage:
		s = "page"
	case model.PTEAnon:
		s = "anon"
	}
	if p.Write != 0 {
		return s + ",rw"
	}
	return s + ",ro"
}
