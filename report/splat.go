package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/sim"
)

// The splat: a counterexample the way lockdep and KCSAN report a bug, to fit a
// terminal and an email. At most Width columns; a headline that names what
// raced (the check, the change that invalidated it, the use) or, for a lock
// order, the two orders; lockdep's "possible unsafe scenario" with one column
// per thread acting in the race window; for a crash, the crash point and the
// image recovery finds; then every step, two lines each, and the reproduce
// hint. It is drawn from the same replayed steps (StepView) as the table.

// SplatWidth is the widest a splat line gets unless told narrower.
const SplatWidth = 100

// splatMin is the narrowest width a splat is laid out for.
const splatMin = 60

// writeSplat prints counterexample v of r as a splat at most width columns wide.
func writeSplat(w io.Writer, r *run.Report, v sim.Violation, width int) {
	width = max(min(width, SplatWidth), splatMin)
	b := r.Built
	k := b.Kernel
	p := &splatter{w: w, width: width}
	p.line(strings.Repeat("=", width))
	p.wrap(0, fmt.Sprintf("BUG: %s violated (%s)", v.Check, v.Class))
	p.wrap(0, fmt.Sprintf("proposal %s, fs %s, scenario %s", k.Proposal, k.FS, b.Scn.Name))
	p.line(strings.Repeat("-", width))
	steps, views, err := ReplaySteps(b, v.Trace)
	if err != nil {
		p.wrap(0, v.Msg)
		p.wrap(2, fmt.Sprintf("(the trace does not replay: %v)", err))
		p.line(strings.Repeat("-", width))
		p.command("replay:", ReproduceCommand(r, &v))
		return
	}
	win := raceWindow(views)
	crash := isCrashWitness(v.Check, v.Class)
	if !crash && v.Check != "no-deadlock" {
		if h := win.headline(views); h != "" {
			p.wrap(0, h+":")
		}
	}
	for _, l := range strings.Split(v.Msg, "\n") {
		p.hang(leading(l), l)
	}
	if cyc := lockCycle(v.Class); cyc != nil && len(views) > 0 {
		p.blank()
		p.lockScenario(cyc, views[len(views)-1].Name, relatedThread(r, v))
	} else if !crash && len(win.threads) > 1 {
		p.blank()
		p.raceScenario(views, win)
	}
	if crash && len(steps) > 0 {
		p.blank()
		p.crashImage(k, &steps[len(steps)-1].After, len(views))
	}
	if (v.Check == "no-deadlock" || crash) && len(steps) > 0 {
		p.blank()
		p.line("threads at the end:")
		for _, l := range strings.Split(strings.TrimRight(k.DescribeThreads(&steps[len(steps)-1].After), "\n"), "\n") {
			p.wrap(2, l)
		}
	}
	p.blank()
	p.line(fmt.Sprintf("steps (%d; => the violating step):", len(views)))
	p.steps(views)
	for _, rel := range v.Related {
		p.blank()
		p.wrap(0, rel.Note+":")
		_, rv, err := ReplaySteps(b, rel.Trace)
		if err != nil {
			p.wrap(2, fmt.Sprintf("(the trace does not replay: %v)", err))
			continue
		}
		p.steps(rv)
	}
	p.line(strings.Repeat("-", width))
	p.command("replay:", ReproduceCommand(r, &v))
}

// isCrashWitness reports whether a counterexample ends at a crash point: a
// crash-image property, the crash part of no-data-leak, an after-crash expect.
func isCrashWitness(check, class string) bool {
	if p, ok := checker.Lookup(check); ok && p.Crash {
		return true
	}
	return class == "crash-leak" || strings.Contains(check, " crash:") || strings.Contains(check, " crash@")
}

// window is the race window of a trace: from the first step of the
// statement the violating thread was running (widened to the start of every
// statement another thread had in progress there) to the violating step.
type window struct {
	start, end int   // indexes into the views, end the violating step
	threads    []int // the threads acting in it, the violating one first
	change     int   // the last step of another thread that changed the state (-1: none)
	check      int   // the step of that thread before it that only read the state (-1: none)
}

func raceWindow(views []StepView) window {
	n := len(views)
	if n == 0 {
		return window{start: 0, end: -1, change: -1, check: -1}
	}
	end := n - 1
	start := stmtStart(views, end)
	// Widen to the statements other threads were in when the window opened.
	for changed := true; changed; {
		changed = false
		for j := start; j < end; j++ {
			if s := stmtStart(views, j); s < start {
				start, changed = s, true
			}
		}
	}
	win := window{start: start, end: end, threads: []int{views[end].Thread}, change: -1, check: -1}
	for j := start; j <= end; j++ {
		if !slices.Contains(win.threads, views[j].Thread) {
			win.threads = append(win.threads, views[j].Thread)
		}
	}
	for j := end - 1; j >= start; j-- {
		if views[j].Thread != views[end].Thread && len(views[j].Changes) > 0 {
			win.change = j
			break
		}
	}
	if win.change < 0 {
		return win
	}
	// The check: the nearest earlier step of the same statement of that thread
	// that changed nothing and took or dropped no lock (a decision).
	c := win.change
	prevHeld := ""
	for j := c - 1; j >= start; j-- {
		v := &views[j]
		if v.Thread != views[c].Thread {
			continue
		}
		if v.Stmt != views[c].Stmt {
			break
		}
		prevHeld = heldBefore(views, j)
		if len(v.Changes) == 0 && !v.Returned && v.Held == prevHeld {
			win.check = j
			break
		}
	}
	return win
}

// stmtStart is the index of the first step of the statement step j belongs to.
func stmtStart(views []StepView, j int) int {
	t, stmt := views[j].Thread, views[j].Stmt
	start := j
	for i := j - 1; i >= 0; i-- {
		if views[i].Thread != t {
			continue
		}
		if views[i].Stmt != stmt || views[i].Returned {
			break
		}
		start = i
	}
	return start
}

// heldBefore is what step j's thread held before it: after its previous step.
func heldBefore(views []StepView, j int) string {
	for i := j - 1; i >= 0; i-- {
		if views[i].Thread == views[j].Thread {
			return views[i].Held
		}
	}
	return "-"
}

// headline is the race in one sentence, or "" when only one thread acted.
func (win window) headline(views []StepView) string {
	if win.end < 0 || win.change < 0 {
		return ""
	}
	use, ch := &views[win.end], &views[win.change]
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) ", ch.Name, ch.Text)
	if win.check >= 0 {
		fmt.Fprintf(&b, "checked %q (step %d), then ", views[win.check].Fn, views[win.check].N)
	}
	fmt.Fprintf(&b, "ran %q (step %d) while %s was in %q (from step %d); %s then ran %q (step %d)",
		ch.Fn, ch.N, use.Name, use.Text, views[stmtStart(views, win.end)].N, use.Name, use.Fn, use.N)
	return b.String()
}

// lockCycle reads the lock classes of a lock-order cycle from its class name
// ("cycle A->B->C": the new edge A->B, the existing chain B->...->A), or nil.
func lockCycle(class string) []string {
	rest, ok := strings.CutPrefix(class, "cycle ")
	if !ok {
		return nil
	}
	cyc := strings.Split(rest, "->")
	if len(cyc) < 2 {
		return nil
	}
	return cyc
}

// relatedThread names the thread of the first earlier schedule a witness
// refers to (lock-order: who took the existing order), or "another thread".
func relatedThread(r *run.Report, v sim.Violation) string {
	if len(v.Related) > 0 {
		if tr := v.Related[0].Trace; len(tr) > 0 {
			return r.Built.Kernel.ThreadName(tr[len(tr)-1])
		}
	}
	return "another thread"
}

// splatter writes width-bounded lines.
type splatter struct {
	w     io.Writer
	width int
}

func (p *splatter) line(s string) { fmt.Fprintln(p.w, strings.TrimRight(s, " ")) }
func (p *splatter) blank()        { fmt.Fprintln(p.w) }

// wrap prints s wrapped at the width, every line indented by ind (the first
// too), continuation lines by two more.
func (p *splatter) wrap(ind int, s string) { p.hang(strings.Repeat(" ", ind), s) }

// hang prints prefix and s wrapped after it; continuation lines are indented
// two columns deeper than the text after the prefix starts.
func (p *splatter) hang(prefix, s string) {
	ind := len(prefix)
	for i, l := range wrapWords(s, p.width-ind, p.width-ind-2) {
		if i == 0 {
			p.line(prefix + l)
		} else {
			p.line(strings.Repeat(" ", ind+2) + l)
		}
	}
}

// command prints a shell command after label, on one line when it fits, else
// broken at spaces with backslash continuations (still pastable); an argument
// longer than a line stays whole.
func (p *splatter) command(label, cmd string) {
	if len(label)+1+len(cmd) <= p.width {
		p.line(label + " " + cmd)
		return
	}
	p.line(label)
	cur := " "
	for _, arg := range strings.Fields(cmd) {
		if len(cur) > 4 && len(cur)+1+len(arg)+2 > p.width {
			p.line(cur + " \\")
			cur = "   "
		}
		cur += " " + arg
	}
	p.line(cur)
}

// leading is the blanks s starts with.
func leading(s string) string { return s[:len(s)-len(strings.TrimLeft(s, " "))] }

// wrapWords breaks s into lines of at most first columns, then rest columns,
// at spaces; a word longer than a line is cut.
func wrapWords(s string, first, rest int) []string {
	var out []string
	limit := max(first, 8)
	var cur strings.Builder
	flush := func() {
		out = append(out, cur.String())
		cur.Reset()
		limit = max(rest, 8)
	}
	for _, word := range strings.Fields(s) {
		for len(word) > limit {
			if cur.Len() > 0 {
				flush()
			}
			cur.WriteString(word[:limit])
			word = word[limit:]
			flush()
		}
		switch {
		case cur.Len() == 0:
			cur.WriteString(word)
		case cur.Len()+1+len(word) <= limit:
			cur.WriteString(" " + word)
		default:
			flush()
			cur.WriteString(word)
		}
	}
	if cur.Len() > 0 || len(out) == 0 {
		out = append(out, cur.String())
	}
	return out
}

// columns prints rows of cells side by side: a step number column, then one
// column per thread, each cell wrapped in its column.
func (p *splatter) columns(heads []string, rows [][]string, nums []string) {
	const numW = 5
	colW := (p.width - numW) / len(heads)
	cellW := colW - 2
	emit := func(num string, cells []string) {
		wrapped := make([][]string, len(cells))
		lines := 1
		for i, c := range cells {
			if c != "" {
				wrapped[i] = wrapWords(c, cellW, cellW-2)
				lines = max(lines, len(wrapped[i]))
			}
		}
		for l := 0; l < lines; l++ {
			var b strings.Builder
			if l == 0 {
				fmt.Fprintf(&b, "%*s  ", numW-2, num)
			} else {
				b.WriteString(strings.Repeat(" ", numW))
			}
			for i := range cells {
				cell := ""
				if l < len(wrapped[i]) {
					cell = wrapped[i][l]
					if l > 0 {
						cell = "  " + cell
					}
				}
				if i < len(cells)-1 {
					fmt.Fprintf(&b, "%-*s", colW, cell)
				} else {
					b.WriteString(cell)
				}
			}
			p.line(b.String())
		}
	}
	emit("", heads)
	dashes := make([]string, len(heads))
	for i := range dashes {
		dashes[i] = "----"
	}
	emit("", dashes)
	for i, row := range rows {
		emit(nums[i], row)
	}
}

// raceScenario is lockdep's "possible unsafe scenario" for a race: the steps
// of the window, one column per acting thread, with the check, the change
// and the violating use marked.
func (p *splatter) raceScenario(views []StepView, win window) {
	p.line(" Possible unsafe scenario:")
	p.blank()
	col := map[int]int{}
	threads := slices.Clone(win.threads)
	slices.Sort(threads)
	heads := make([]string, len(threads))
	for i, t := range threads {
		col[t] = i
		for j := win.start; j <= win.end; j++ {
			if views[j].Thread == t {
				heads[i] = views[j].Name
				break
			}
		}
	}
	var rows [][]string
	var nums []string
	lastStmt := map[int]int{}
	for j := win.start; j <= win.end; j++ {
		v := &views[j]
		c := col[v.Thread]
		if lastStmt[v.Thread] != v.Stmt {
			lastStmt[v.Thread] = v.Stmt
			row := make([]string, len(threads))
			row[c] = fmt.Sprintf("[%s]", v.Statement())
			rows, nums = append(rows, row), append(nums, "")
		}
		cell := v.Fn
		if v.Returned && j != win.end {
			cell += " -> " + v.Result
		}
		switch j {
		case win.check:
			cell += "  <- check"
		case win.change:
			cell += "  <- changes it"
		case win.end:
			cell = "=> " + cell + "  <- BUG"
		}
		row := make([]string, len(threads))
		row[c] = cell
		rows, nums = append(rows, row), append(nums, fmt.Sprint(v.N))
	}
	p.columns(heads, rows, nums)
}

// lockScenario is lockdep's scenario for a lock-order cycle: the thread that
// took the new order holds its first lock, the other takes the chain.
func (p *splatter) lockScenario(cyc []string, newT, oldT string) {
	p.wrap(1, "Chain exists of: "+strings.Join(cyc, " --> ")+" --> "+cyc[0])
	p.blank()
	p.line(" Possible unsafe locking scenario:")
	p.blank()
	rows := [][]string{{"lock(" + cyc[0] + ");", ""}}
	for _, c := range cyc[1:] {
		rows = append(rows, []string{"", "lock(" + c + ");"})
	}
	rows = append(rows, []string{"", "lock(" + cyc[0] + ");"}, []string{"lock(" + cyc[1] + ");", ""})
	nums := make([]string, len(rows))
	p.columns([]string{newT, oldT}, rows, nums)
	p.blank()
	p.line(" *** DEADLOCK ***")
}

// crashImage describes the crash point (the state after the last step) and
// what recovery finds there (model.Kernel.Recover): per file, whether it
// exists and its size in the committed transaction, per page the committed
// block map against memory's, and what a read may return: the block's
// durable content or its newest.
func (p *splatter) crashImage(k *model.Kernel, s *model.State, n int) {
	p.wrap(0, fmt.Sprintf("crash point: the power is cut after step %d. Recovery replays the committed "+
		"transactions (the running one, tid %d, is lost%s); each block keeps its durable content or, "+
		"at most, its newest.", n, s.Journal.Tid, map[bool]string{true: " and holds changes", false: ""}[s.Journal.Dirty != 0]))
	lower, upper := k.Recover(s, false), k.Recover(s, true)
	for i := range k.Files {
		in := &s.Inodes[i]
		name := k.FileName(i)
		if in.DNlink == 0 {
			state := "never created"
			if in.Nlink != 0 {
				state = "created in the lost transaction"
			} else if in.Size != 0 || in.Refs != 0 {
				state = "unlinked"
			}
			p.wrap(2, fmt.Sprintf("%s: absent after recovery (%s)", name, state))
			continue
		}
		size := fmt.Sprintf("%d page(s)", in.DSize)
		if in.Size != in.DSize {
			size += fmt.Sprintf(" (in memory %d, not committed)", in.Size)
		}
		p.wrap(2, fmt.Sprintf("%s: size %s", name, size))
		for pg := 0; pg < max(int(in.Size), int(in.DSize)); pg++ {
			mapping := extentName(in.DBlock[pg], in.DExt[pg])
			if in.Block[pg] != in.DBlock[pg] || in.Ext[pg] != in.DExt[pg] {
				mapping += fmt.Sprintf(" (in memory %s, not committed)", extentName(in.Block[pg], in.Ext[pg]))
			}
			reads := "-"
			if pg < int(in.DSize) {
				lo, hi := k.ValueName(lower.FileValue(i, pg)), k.ValueName(upper.FileValue(i, pg))
				reads = lo
				if hi != lo {
					reads = fmt.Sprintf("%s (durable) or %s (newest)", lo, hi)
				}
			} else {
				reads = "beyond the recovered size"
			}
			p.wrap(4, fmt.Sprintf("page %d: %s; reads %s", pg, mapping, reads))
		}
	}
}

func extentName(blk, ext uint8) string {
	if blk == 0 {
		return "hole"
	}
	kind := map[uint8]string{model.ExtWritten: "written", model.ExtUnwritten: "unwritten", model.ExtShared: "shared"}[ext]
	return fmt.Sprintf("%s %s", block(blk), kind)
}

// steps prints every step on two lines: number, thread, statement and
// kernel function; then the locks held after, the focus state and the changes.
func (p *splatter) steps(views []StepView) {
	for i := range views {
		v := &views[i]
		fn := v.Fn
		if i == len(views)-1 {
			fn = "=> " + fn
		}
		p.hang(fmt.Sprintf("%4d ", v.N), fmt.Sprintf("%s %s: %s", v.Name, v.Statement(), fn))
		var detail []string
		if v.Held != "-" {
			detail = append(detail, "held "+v.Held)
		}
		if v.Focus != "" {
			detail = append(detail, v.Focus)
		}
		if e := v.Effects(); len(e) > 0 {
			detail = append(detail, strings.Join(e, "; "))
		}
		if len(detail) > 0 {
			p.wrap(7, strings.Join(detail, " | "))
		}
	}
}
