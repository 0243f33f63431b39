package report

import (
	"fmt"
	"strings"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// StepView is one replayed step of a counterexample as every report shows it: the
// text table, the JSON data, the HTML timeline and 'daxsim replay' all render this
// one description (DescribeStep), so they cannot disagree.
type StepView struct {
	N        int      `json:"n"`           // 1-based position in the trace
	Thread   int      `json:"thread"`      // thread index (the trace's entry)
	Name     string   `json:"thread_name"` // the thread's scenario name
	Stmt     int      `json:"stmt"`        // 1-based statement index in the thread
	Text     string   `json:"text"`        // the statement's source text
	Fn       string   `json:"fn"`          // the kernel function the step models
	Held     string   `json:"held"`        // locks held after the step ("-": none)
	Focus    string   `json:"focus"`       // S_DAX a_ops, and xa entry and PTE of the page
	Changes  []string `json:"changes"`     // what the step changed in the state that matters
	Returned bool     `json:"returned"`    // the statement finished with Result
	Result   string   `json:"result,omitempty"`
}

// DescribeStep describes step st, the n-th (1-based) of a replayed trace.
func DescribeStep(k *model.Kernel, n int, st *sim.Step) StepView {
	ev := &st.Event
	stmt := k.StmtAt(ev.Thread, ev.PC)
	v := StepView{N: n, Thread: ev.Thread, Name: k.ThreadName(ev.Thread), Stmt: ev.PC + 1, Fn: ev.Fn,
		Held: k.DescribeHeld(&st.After, ev.Thread), Changes: DescribeChanges(k, &st.Before, &st.After)}
	if stmt != nil {
		v.Text = stmt.Text
		v.Focus = focus(k, &st.After, ev.Thread, stmt)
	}
	if v.Changes == nil {
		v.Changes = []string{}
	}
	if ev.Returned {
		v.Returned, v.Result = true, k.ResultName(ev.Result)
	}
	return v
}

// Effects is the changes column: the changes, then what the statement returned.
func (v *StepView) Effects() []string {
	out := append([]string(nil), v.Changes...)
	if v.Returned {
		out = append(out, "returns "+v.Result)
	}
	return out
}

// Statement is "N: text", the statement column.
func (v *StepView) Statement() string { return fmt.Sprintf("%d: %s", v.Stmt, v.Text) }

// Line is the step on one line, as 'daxsim replay' prints it.
func (v *StepView) Line() string {
	s := fmt.Sprintf("step %d  %s  %s  %s  [held: %s]", v.N, v.Name, v.Statement(), v.Fn, v.Held)
	if v.Focus != "" {
		s += "  [" + v.Focus + "]"
	}
	if e := v.Effects(); len(e) > 0 {
		s += "  " + strings.Join(e, "; ")
	}
	return s
}

// ReplaySteps replays trace on the built scenario and describes every step. On an
// error the steps that did replay are returned with it.
func ReplaySteps(b *scenarios.Built, trace []int) ([]sim.Step, []StepView, error) {
	steps, err := sim.Replay(b.Kernel, &b.Init, trace)
	views := make([]StepView, len(steps))
	for i := range steps {
		views[i] = DescribeStep(b.Kernel, i+1, &steps[i])
	}
	return steps, views, err
}

// DescribeState is the full state that matters, for 'daxsim replay': every
// thread's position and locks, and for every file in core S_DAX, the a_ops, the
// non-empty xarray entries, the block map and the present PTEs; then the journal.
func DescribeState(k *model.Kernel, s *model.State) string {
	var b strings.Builder
	b.WriteString("threads:\n")
	b.WriteString(indent(k.DescribeThreads(s), "  "))
	b.WriteString("files:\n")
	for i := range k.Files {
		in := &s.Inodes[i]
		if in.InCore == 0 {
			fmt.Fprintf(&b, "  %s: not in core (FS_XFLAG_DAX=%d)\n", k.FileName(i), in.DiskDax)
			continue
		}
		fmt.Fprintf(&b, "  %s: S_DAX=%d a_ops=%v FS_XFLAG_DAX=%d size=%d refs=%d", k.FileName(i), in.SDax, in.Aops,
			in.DiskDax, in.Size, in.Refs)
		if in.Immutable != 0 {
			b.WriteString(" immutable")
		}
		if in.DontCache != 0 {
			b.WriteString(" I_DONTCACHE")
		}
		b.WriteString("\n")
		var xa []string
		for pg := range in.XA {
			if in.XA[pg].Kind != model.EntryNone {
				xa = append(xa, fmt.Sprintf("[%d]=%s", pg, entry(k, in.XA[pg])))
			}
		}
		if len(xa) == 0 {
			xa = []string{"empty"}
		}
		fmt.Fprintf(&b, "    xarray: %s\n", strings.Join(xa, " "))
		n := int(in.Size)
		for pg := range in.Block {
			if in.Block[pg] != 0 && pg+1 > n {
				n = pg + 1
			}
		}
		var bm []string
		for pg := 0; pg < n; pg++ {
			e := block(in.Block[pg])
			if in.Block[pg] != 0 {
				e += " " + [...]string{"hole", "unwritten", "written", "shared"}[in.Ext[pg]&3]
			}
			if in.MDirty&(1<<pg) != 0 {
				e += " (uncommitted)"
			}
			bm = append(bm, fmt.Sprintf("[%d]=%s", pg, e))
		}
		if len(bm) == 0 {
			bm = []string{"none"}
		}
		fmt.Fprintf(&b, "    block map: %s\n", strings.Join(bm, " "))
		var ptes []string
		for p := range k.Procs {
			pr := &s.Procs[p]
			for v := range pr.VMA {
				if int(pr.VMA[v].Inode) != i+1 {
					continue
				}
				for pg := range pr.PTE[v] {
					if pr.PTE[v][pg].Kind != model.PTENone {
						ptes = append(ptes, fmt.Sprintf("%s:%s[%d]=%s", k.ProcName(p), k.VMAName(p, v), pg, pte(pr.PTE[v][pg])))
					}
				}
			}
		}
		if len(ptes) == 0 {
			ptes = []string{"none"}
		}
		fmt.Fprintf(&b, "    ptes: %s\n", strings.Join(ptes, " "))
	}
	j := &s.Journal
	fmt.Fprintf(&b, "journal: running tid %d, handles %d", j.Tid, j.Handles)
	if j.Dirty != 0 {
		b.WriteString(", dirty")
	}
	if j.Locked != 0 {
		b.WriteString(", locked for commit")
	}
	if j.Request != 0 {
		b.WriteString(", commit requested")
	}
	b.WriteString("\n")
	return b.String()
}
