package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/daxsim/daxsim/internal/input"
	"github.com/daxsim/daxsim/model"
)

// ParseOptions lists the names the parser checks references against. A nil list
// disables that check.
type ParseOptions struct {
	Proposals  []string // known proposal names; nil = do not check
	Properties []string // known property names; nil = do not check
	Mutants    []string // known mutant names; nil = do not check
}

// ParseFile reads and parses the scenario file at path. An I/O error is returned
// as is; a syntax or validation error is an *Error.
func ParseFile(path string, opt ParseOptions) (*Scenario, error) {
	src, err := input.ReadFile(path, input.MaxScenario)
	if err != nil {
		return nil, err
	}
	return Parse(path, src, opt)
}

// Parse parses the scenario text src; path is used in positions only. The first
// error found is returned, as an *Error.
func Parse(path string, src []byte, opt ParseOptions) (*Scenario, error) {
	p := newParser(path, opt)
	// A UTF-8 byte-order mark and CRLF or CR line endings are accepted.
	text := strings.TrimPrefix(string(src), "\ufeff")
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	for i, raw := range strings.Split(text, "\n") {
		ln := tokenize(i+1, raw)
		if len(ln.toks) == 0 {
			continue
		}
		if err := p.line(ln); err != nil {
			return nil, err
		}
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	p.sc.Source = append([]byte(nil), src...)
	return p.sc, nil
}

// ---- tokens and lines ----

type token struct {
	text string
	col  int // 1-based byte column of the first byte
}

type srcLine struct {
	num  int
	text string // trimmed, comment removed
	toks []token
	end  int // column just after the last token
}

func isBlank(b byte) bool { return b == ' ' || b == '\t' || b == '\r' }

// tokenize strips the comment of one line and splits it at spaces and tabs.
func tokenize(num int, raw string) srcLine {
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		raw = raw[:i]
	}
	ln := srcLine{num: num, text: strings.Trim(raw, " \t\r"), end: 1}
	start := -1
	for i := 0; i <= len(raw); i++ {
		sep := i == len(raw) || isBlank(raw[i])
		switch {
		case sep && start >= 0:
			ln.toks = append(ln.toks, token{raw[start:i], start + 1})
			start = -1
		case !sep && start < 0:
			start = i
		}
	}
	if n := len(ln.toks); n > 0 {
		ln.end = ln.toks[n-1].col + len(ln.toks[n-1].text)
	}
	return ln
}

// splitList splits a comma list into sub-tokens with their own columns.
func splitList(t token) []token { return splitOn(t, ',') }

// splitOn splits t at sep into sub-tokens with their own columns.
func splitOn(t token, sep byte) []token {
	var out []token
	col := t.col
	for _, part := range strings.Split(t.text, string(sep)) {
		out = append(out, token{part, col})
		col += len(part) + 1
	}
	return out
}

// splitKV splits "key=value"; the value keeps its own column.
func splitKV(t token) (string, token, bool) {
	k, v, ok := strings.Cut(t.text, "=")
	return k, token{v, t.col + len(k) + 1}, ok
}

// MaxName is the longest name or value token a scenario may use.
const MaxName = 64

func isName(s string) bool    { return len(s) <= MaxName && matchWord(s, 'a', 'z', "-_") }
func isCapName(s string) bool { return len(s) <= MaxName && matchWord(s, 'a', 'z', "_") }
func isValue(s string) bool   { return len(s) <= MaxName && matchWord(s, 'A', 'Z', "") }

// matchWord reports whether s is [lo-hi][lo-hi0-9 extra]*.
func matchWord(s string, lo, hi byte, extra string) bool {
	if s == "" || s[0] < lo || s[0] > hi {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		ok := (c >= lo && c <= hi) || (c >= '0' && c <= '9') || strings.IndexByte(extra, c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// parseNum parses a non-negative decimal number of at most 10 digits.
func parseNum(s string) (int, bool) {
	if s == "" || len(s) > 10 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// parsePages parses PAGES: N or N-M with N <= M.
func parsePages(s string) (PageRange, bool) {
	lo, hi, isRange := strings.Cut(s, "-")
	n, ok := parseNum(lo)
	if !ok {
		return PageRange{}, false
	}
	if !isRange {
		return PageRange{n, n}, true
	}
	m, ok := parseNum(hi)
	if !ok || n > m {
		return PageRange{}, false
	}
	return PageRange{n, m}, true
}

// rangeText renders a PageRange as written: N or N-M.
func rangeText(r PageRange) string {
	if r.Lo == r.Hi {
		return strconv.Itoa(r.Lo)
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// joinOr renders choices as "a, b or c".
func joinOr(choices []string) string {
	if len(choices) == 1 {
		return choices[0]
	}
	return strings.Join(choices[:len(choices)-1], ", ") + " or " + choices[len(choices)-1]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ---- the cursor over one line ----

type cursor struct {
	p  *parser
	ln srcLine
	i  int
}

func (c *cursor) errAt(t token, format string, args ...any) error {
	return c.p.errAt(c.ln.num, t.col, format, args...)
}

func (c *cursor) expected(t token, what string) error {
	return c.errAt(t, "expected %s, found %q", what, t.text)
}

func (c *cursor) more() bool { return c.i < len(c.ln.toks) }

// next returns the next token, or an error at the end of the line saying what
// was expected.
func (c *cursor) next(what string) (token, error) {
	if !c.more() {
		return token{}, c.p.errAt(c.ln.num, c.ln.end, "expected %s, found end of line", what)
	}
	t := c.ln.toks[c.i]
	c.i++
	return t, nil
}

// name returns the next token, which must be a name.
func (c *cursor) name(what string) (token, error) {
	t, err := c.next(what)
	switch {
	case err != nil:
	case len(t.text) > MaxName:
		err = c.errAt(t, "expected %s of at most %d characters, found one of %d", what, MaxName, len(t.text))
	case !isName(t.text):
		err = c.errAt(t, "expected %s, found %q (names match [a-z][a-z0-9_-]*)", what, t.text)
	}
	return t, err
}

// oneOf returns the next token, which must be one of choices.
func (c *cursor) oneOf(choices ...string) (token, error) {
	what := joinOr(choices)
	t, err := c.next(what)
	if err == nil && !contains(choices, t.text) {
		err = c.expected(t, what)
	}
	return t, err
}

// done fails if tokens are left on the line.
func (c *cursor) done() error {
	if !c.more() {
		return nil
	}
	var used []string
	for _, t := range c.ln.toks[:c.i] {
		used = append(used, t.text)
	}
	t := c.ln.toks[c.i]
	return c.errAt(t, "unexpected %q after %q", t.text, strings.Join(used, " "))
}

// onOff parses the value of "key=on|off".
func (c *cursor) onOff(t token, key string) (bool, error) {
	k, v, ok := splitKV(t)
	if !ok || k != key || (v.text != "on" && v.text != "off") {
		return false, c.expected(t, key+"=on or "+key+"=off")
	}
	return v.text == "on", nil
}

// ---- the parser ----

type binding struct {
	isMap bool
	file  string
	dir   string    // a directory's descriptor (file is empty)
	pages PageRange // mappings: the mmap PAGES
	line  int
}

type threadCtx struct {
	th     *Thread
	binds  map[string]binding
	labels map[string]int // label -> 1-based statement index
	crash  bool           // the after-crash block
}

// pendingRef is a statement reference (T:N, T@label) checked once every
// thread is known; set receives it resolved.
type pendingRef struct {
	ref  Ref
	what string // where it appears, for messages: "expect result", "after"...
	set  func(Ref)
}

type parser struct {
	path    string
	opt     ParseOptions
	sc      *Scenario
	once    map[string]int // once-only directive -> line
	dirs    map[string]int // name -> index in sc.Dirs
	files   map[string]int
	procs   map[string]int
	threads map[string]int
	cur     *threadCtx // the thread statements go to, nil outside threads
	mmaps   map[string]int
	opens   int
	values  map[string]bool
	refs    []pendingRef
	labels  map[string]map[string]int // thread -> label -> 1-based index
	setup   *threadCtx                // the setup block, for its bindings
	start   Pos                       // the scenario directive
}

func newParser(path string, opt ParseOptions) *parser {
	return &parser{
		path: path,
		opt:  opt,
		sc: &Scenario{
			Path: path, FS: "ext4", Persistence: "adr", Commit: "background", Crash: "anywhere", Mount: "inode",
		},
		labels:  map[string]map[string]int{},
		once:    map[string]int{},
		dirs:    map[string]int{},
		files:   map[string]int{},
		procs:   map[string]int{},
		threads: map[string]int{},
		mmaps:   map[string]int{},
		values:  map[string]bool{},
	}
}

func (p *parser) pos(line, col int) Pos { return Pos{File: p.path, Line: line, Col: col} }

func (p *parser) errAt(line, col int, format string, args ...any) error {
	return &Error{Pos: p.pos(line, col), Msg: fmt.Sprintf(format, args...)}
}

type directiveFunc func(*parser, *cursor, token) error

var directives = map[string]directiveFunc{
	"scenario":    (*parser).dScenario,
	"proposal":    (*parser).dProposal,
	"fs":          enumDirective(func(s *Scenario) *string { return &s.FS }, "xfs", "ext4"),
	"persistence": enumDirective(func(s *Scenario) *string { return &s.Persistence }, "adr", "eadr"),
	"commit":      enumDirective(func(s *Scenario) *string { return &s.Commit }, "background", "fsync-only"),
	"crash":       (*parser).dCrash,
	"mount":       (*parser).dMount,
	"usage":       enumDirective(func(s *Scenario) *string { return &s.Usage }, "plain", "offered"),
	"setup":       (*parser).dSetup,
	"after":       (*parser).dAfterCrash,
	"device":      (*parser).dDevice,
	"dir":         (*parser).dDir,
	"file":        (*parser).dFile,
	"process":     (*parser).dProcess,
	"thread":      (*parser).dThread,
	"mutant":      (*parser).dMutant,
	"check":       (*parser).dCheck,
	"expect":      (*parser).dExpect,
}

var onceOnly = map[string]bool{
	"scenario": true, "proposal": true, "fs": true, "persistence": true,
	"commit": true, "crash": true, "check": true, "device": true, "mount": true,
	"setup": true, "after": true, "usage": true,
}

// line parses one non-empty line.
func (p *parser) line(ln srcLine) error {
	c := &cursor{p: p, ln: ln}
	kw, _ := c.next("a directive")
	if p.sc.Name == "" && kw.text != "scenario" {
		return c.errAt(kw, "expected \"scenario NAME\" as the first line, found %q", kw.text)
	}
	if d, ok := directives[kw.text]; ok {
		if err := p.endThread(); err != nil {
			return err
		}
		if first, dup := p.once[kw.text]; dup {
			return c.errAt(kw, "duplicate %q directive (first at line %d)", kw.text, first)
		}
		if onceOnly[kw.text] {
			p.once[kw.text] = ln.num
		}
		return d(p, c, kw)
	}
	if strings.HasPrefix(kw.text, "@") {
		return p.labelled(c, kw)
	}
	if op, ok := model.OpByName(kw.text); ok {
		if p.cur == nil {
			return c.errAt(kw, "statement outside a thread: %q needs a \"thread NAME PROCESS\" line before it", kw.text)
		}
		return p.statement(c, kw, op)
	}
	return c.errAt(kw, "unknown directive or statement %q", kw.text)
}

// endThread closes the current thread; it must have statements.
func (p *parser) endThread() error {
	if p.cur == nil {
		return nil
	}
	th := p.cur.th
	p.cur = nil
	if len(th.Stmts) == 0 {
		return p.errAt(th.Pos.Line, th.Pos.Col, "thread %s has no statements", th.Name)
	}
	return nil
}

// finish runs the checks that need the whole file; it returns the earliest error.
func (p *parser) finish() error {
	if p.sc.Name == "" {
		return p.errAt(1, 1, "expected \"scenario NAME\" as the first line, found end of file")
	}
	errs := []error{p.endThread()}
	if p.sc.Proposal == "" {
		errs = append(errs, p.errAt(p.start.Line, p.start.Col, "missing \"proposal NAME\" directive"))
	}
	if len(p.sc.Threads) == 0 {
		errs = append(errs, p.errAt(p.start.Line, p.start.Col, "missing \"thread NAME PROCESS\": a scenario needs at least one thread"))
	}
	for _, r := range p.refs {
		errs = append(errs, p.resolve(r))
	}
	if err := earliest(errs); err != nil {
		return err
	}
	return p.checkAfter()
}

func earliest(errs []error) error {
	var best *Error
	for _, err := range errs {
		e, ok := err.(*Error)
		if !ok || e == nil {
			continue
		}
		if best == nil || e.Pos.Line < best.Pos.Line || (e.Pos.Line == best.Pos.Line && e.Pos.Col < best.Pos.Col) {
			best = e
		}
	}
	if best == nil {
		return nil
	}
	return best
}

// resolve checks a statement reference once every thread is known, and
// resolves a label to the statement's index.
func (p *parser) resolve(r pendingRef) error {
	ref := r.ref
	var th *Thread
	if ref.Thread == CrashThread {
		th = p.sc.AfterCrash
	} else if i, ok := p.threads[ref.Thread]; ok {
		th = &p.sc.Threads[i]
	}
	if th == nil {
		return p.errAt(ref.Pos.Line, ref.Pos.Col, "unknown thread %q in %s", ref.Thread, r.what)
	}
	if ref.Label != "" {
		i, ok := p.labels[th.Name][ref.Label]
		if !ok {
			return p.errAt(ref.Pos.Line, ref.Pos.Col+len(ref.Thread), "thread %s has no statement labelled @%s", th.Name, ref.Label)
		}
		ref.Index = i
	} else if n := len(th.Stmts); ref.Index > n {
		return p.errAt(ref.Pos.Line, ref.Pos.Col+len(ref.Thread)+1, "statement %d does not exist: thread %s has %d statements", ref.Index, th.Name, n)
	}
	r.set(ref)
	return nil
}

// checkAfter refuses orderings no execution can meet: a statement after one
// of its own thread, or a cycle of "after" clauses.
func (p *parser) checkAfter() error {
	type node struct{ t, i int }
	waits := map[node][]node{}
	for t, th := range p.sc.Threads {
		for i, s := range th.Stmts {
			for _, a := range s.After {
				if a.Thread == th.Name {
					return &Error{Pos: a.Pos, Msg: fmt.Sprintf("a statement cannot wait for its own thread (%s)", a)}
				}
				waits[node{t, i}] = append(waits[node{t, i}], node{p.threads[a.Thread], a.Index - 1})
			}
		}
	}
	// A statement also waits for the one before it in its thread.
	state := map[node]int{} // 1: on the path, 2: done
	var visit func(n node) bool
	visit = func(n node) bool {
		switch state[n] {
		case 1:
			return true
		case 2:
			return false
		}
		state[n] = 1
		next := waits[n]
		if n.i > 0 {
			next = append(next, node{n.t, n.i - 1})
		}
		for _, m := range next {
			if visit(m) {
				return true
			}
		}
		state[n] = 2
		return false
	}
	for t, th := range p.sc.Threads {
		for i := range th.Stmts {
			if visit(node{t, i}) {
				return &Error{Pos: th.Stmts[i].Pos, Msg: fmt.Sprintf(
					"the after clauses form a cycle through %s:%d: no execution runs them all", th.Name, i+1)}
			}
		}
	}
	return nil
}

// ref parses a statement reference T:N or T@label; finish checks it and gives
// it, resolved, to set.
func (p *parser) ref(c *cursor, what string, set func(Ref)) error {
	t, err := c.next("THREAD:N")
	if err != nil {
		return err
	}
	r := Ref{Pos: p.pos(c.ln.num, t.col)}
	if th, label, ok := strings.Cut(t.text, "@"); ok {
		if !isName(th) || !isName(label) {
			return c.expected(t, "THREAD:N or THREAD@LABEL")
		}
		r.Thread, r.Label = th, label
	} else {
		th, n, ok := strings.Cut(t.text, ":")
		idx, numOK := parseNum(n)
		if !ok || !isName(th) || !numOK || idx < 1 {
			return c.expected(t, "THREAD:N with N >= 1, or THREAD@LABEL")
		}
		r.Thread, r.Index = th, idx
	}
	p.refs = append(p.refs, pendingRef{ref: r, what: what, set: set})
	return nil
}

// ---- directives ----

func (p *parser) dScenario(c *cursor, _ token) error {
	t, err := c.name("a scenario name")
	if err != nil {
		return err
	}
	p.sc.Name, p.start = t.text, p.pos(c.ln.num, c.ln.toks[0].col)
	return c.done()
}

func (p *parser) dProposal(c *cursor, _ token) error {
	t, err := c.name("a proposal name")
	if err != nil {
		return err
	}
	if p.opt.Proposals != nil && !contains(p.opt.Proposals, t.text) {
		return c.errAt(t, "unknown proposal %q (see 'daxsim proposals')", t.text)
	}
	p.sc.Proposal, p.sc.ProposalPos = t.text, p.pos(c.ln.num, t.col)
	return c.done()
}

func enumDirective(field func(*Scenario) *string, choices ...string) directiveFunc {
	return func(p *parser, c *cursor, _ token) error {
		t, err := c.oneOf(choices...)
		if err != nil {
			return err
		}
		*field(p.sc) = t.text
		return c.done()
	}
}

// newName reads the name a dir, file, process or thread declares and checks it
// is not taken.
func (p *parser) newName(c *cursor, kind string, taken map[string]int) (token, error) {
	t, err := c.name("a " + kind + " name")
	if err != nil {
		return t, err
	}
	if i, dup := taken[t.text]; dup {
		return t, c.errAt(t, "duplicate %s %q (first declared at line %d)", kind, t.text, p.declLine(kind, i))
	}
	if kind == "file" {
		if i, ok := p.dirs[t.text]; ok {
			return t, c.errAt(t, "file %q has the name of dir %s declared at line %d", t.text, t.text, p.sc.Dirs[i].Pos.Line)
		}
	}
	if kind == "dir" {
		if i, ok := p.files[t.text]; ok {
			return t, c.errAt(t, "dir %q has the name of file %s declared at line %d", t.text, t.text, p.sc.Files[i].Pos.Line)
		}
	}
	return t, nil
}

func (p *parser) declLine(kind string, i int) int {
	switch kind {
	case "dir":
		return p.sc.Dirs[i].Pos.Line
	case "file":
		return p.sc.Files[i].Pos.Line
	case "process":
		return p.sc.Procs[i].Pos.Line
	}
	return p.sc.Threads[i].Pos.Line
}

// limit fails at the directive keyword when n items already reach max.
func (p *parser) limit(c *cursor, kw token, n, max int, what string) error {
	if n >= max {
		return c.errAt(kw, "too many %s (at most %d)", what, max)
	}
	return nil
}

// dDevice parses "device blocks=N", the pmem device size (1..model.MaxBlocks).
func (p *parser) dDevice(c *cursor, kw token) error {
	opts, err := c.options("blocks")
	if err != nil {
		return err
	}
	t, ok := opts["blocks"]
	if !ok {
		return p.errAt(c.ln.num, c.ln.end, "expected blocks=N after device")
	}
	_, v, _ := splitKV(t)
	n, ok := parseNum(v.text)
	if !ok || n < 1 || n > model.MaxBlocks {
		return c.errAt(v, "expected a number of blocks from 1 to %d, found %q", model.MaxBlocks, v.text)
	}
	p.sc.Blocks = n
	return nil
}

func (p *parser) dDir(c *cursor, kw token) error {
	if err := p.limit(c, kw, len(p.sc.Dirs), model.MaxDirs, "dirs"); err != nil {
		return err
	}
	t, err := p.newName(c, "dir", p.dirs)
	if err != nil {
		return err
	}
	d := Dir{Name: t.text, Pos: p.pos(c.ln.num, kw.col)}
	if c.more() {
		opt, _ := c.next("")
		if d.DAX, err = c.onOff(opt, "dax"); err != nil {
			return err
		}
	}
	if err := c.done(); err != nil {
		return err
	}
	p.dirs[d.Name] = len(p.sc.Dirs)
	p.sc.Dirs = append(p.sc.Dirs, d)
	return nil
}

// options reads the key=value tokens left on the line; each key at most once.
func (c *cursor) options(keys ...string) (map[string]token, error) {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k + "="
	}
	what := joinOr(names)
	opts := map[string]token{}
	for c.more() {
		t, _ := c.next("")
		k, _, ok := splitKV(t)
		if !ok || !contains(keys, k) {
			return nil, c.expected(t, what)
		}
		if _, dup := opts[k]; dup {
			return nil, c.errAt(t, "duplicate option %q", k+"=")
		}
		opts[k] = t
	}
	return opts, nil
}

func (p *parser) dFile(c *cursor, kw token) error {
	if err := p.limit(c, kw, len(p.sc.Files), model.MaxFiles, "files"); err != nil {
		return err
	}
	t, err := p.newName(c, "file", p.files)
	if err != nil {
		return err
	}
	f := File{Name: t.text, Pos: p.pos(c.ln.num, kw.col)}
	keys := []string{"pages", "max", "dax", "extents", "in"}
	if c.more() && c.ln.toks[c.i].text == "absent" {
		c.i++
		f.Absent, keys = true, []string{"max", "in"}
	}
	opts, err := c.options(keys...)
	if err != nil {
		return err
	}
	if err := p.fileOptions(c, &f, opts); err != nil {
		return err
	}
	p.files[f.Name] = len(p.sc.Files)
	p.sc.Files = append(p.sc.Files, f)
	return nil
}

func (p *parser) fileOptions(c *cursor, f *File, opts map[string]token) error {
	n := 0
	if !f.Absent {
		pt, ok := opts["pages"]
		if !ok {
			return p.errAt(c.ln.num, c.ln.end, "expected pages=N, found end of line")
		}
		_, v, _ := splitKV(pt)
		if n, ok = parseNum(v.text); !ok || n < 1 || n > model.MaxPages {
			return c.expected(pt, fmt.Sprintf("pages=N with N in 1..%d", model.MaxPages))
		}
	}
	f.Pages, f.Max = n, n
	if f.Absent {
		f.Max = model.MaxPages
	}
	if mt, ok := opts["max"]; ok {
		_, v, _ := splitKV(mt)
		m, ok := parseNum(v.text)
		if !ok || m < max(n, 1) || m > model.MaxPages {
			return c.expected(mt, fmt.Sprintf("max=M with M in %d..%d (at least pages=)", max(n, 1), model.MaxPages))
		}
		f.Max = m
	}
	var err error
	if t, ok := opts["dax"]; ok {
		if f.DAX, err = c.onOff(t, "dax"); err != nil {
			return err
		}
	}
	if !f.Absent {
		if f.Extents, err = c.extents(opts, n); err != nil {
			return err
		}
	}
	if t, ok := opts["in"]; ok {
		_, v, _ := splitKV(t)
		if _, ok := p.dirs[v.text]; !ok {
			return c.errAt(v, "unknown dir %q: declare it first with \"dir %s\"", v.text, v.text)
		}
		f.In = v.text
	}
	return nil
}

// extents parses extents=K or extents=K1,...,Kn (n = pages); default written.
func (c *cursor) extents(opts map[string]token, pages int) ([]uint8, error) {
	t, ok := opts["extents"]
	if !ok {
		t = token{text: "extents=written"}
	}
	_, v, _ := splitKV(t)
	parts := splitList(v)
	var out []uint8
	for _, part := range parts {
		ext, ok := model.ExtentByName(part.text)
		if !ok {
			return nil, c.expected(part, "an extent kind "+joinOr(model.ExtentNames[:]))
		}
		out = append(out, ext)
	}
	if len(parts) == 1 {
		for len(out) < pages {
			out = append(out, out[0])
		}
	}
	if len(out) != pages {
		return nil, c.errAt(v, "extents= lists %d kinds, expected one per page (pages=%d)", len(out), pages)
	}
	return out, nil
}

func (p *parser) dProcess(c *cursor, kw token) error {
	if err := p.limit(c, kw, len(p.sc.Procs), model.MaxProcs, "processes"); err != nil {
		return err
	}
	t, err := p.newName(c, "process", p.procs)
	if err != nil {
		return err
	}
	pr := Process{Name: t.text, Pos: p.pos(c.ln.num, kw.col)}
	opts, err := c.options("uid", "caps")
	if err != nil {
		return err
	}
	ut, ok := opts["uid"]
	if !ok {
		return p.errAt(c.ln.num, c.ln.end, "expected uid=N, found end of line")
	}
	_, v, _ := splitKV(ut)
	if pr.UID, ok = parseNum(v.text); !ok || int64(pr.UID) > 1<<32-1 {
		return c.expected(ut, "uid=N with N a decimal number >= 0")
	}
	if ct, ok := opts["caps"]; ok {
		if pr.Caps, err = c.caps(ct); err != nil {
			return err
		}
	}
	p.procs[pr.Name] = len(p.sc.Procs)
	p.sc.Procs = append(p.sc.Procs, pr)
	return nil
}

const knownCap = "cap_linux_immutable"

func (c *cursor) caps(t token) ([]string, error) {
	_, v, _ := splitKV(t)
	var out []string
	for _, part := range splitList(v) {
		switch {
		case !isCapName(part.text):
			return nil, c.expected(part, "a capability name ([a-z][a-z0-9_]*)")
		case part.text != knownCap:
			return nil, c.errAt(part, "unknown capability %q (the only known capability is %s)", part.text, knownCap)
		case contains(out, part.text):
			return nil, c.errAt(part, "duplicate capability %q", part.text)
		}
		out = append(out, part.text)
	}
	return out, nil
}

func (p *parser) dThread(c *cursor, kw token) error {
	if err := p.limit(c, kw, len(p.sc.Threads), model.MaxScenarioThreads, "threads"); err != nil {
		return err
	}
	t, err := p.newName(c, "thread", p.threads)
	if err != nil {
		return err
	}
	pt, err := c.name("a process name")
	if err != nil {
		return err
	}
	if _, ok := p.procs[pt.text]; !ok {
		return c.errAt(pt, "unknown process %q: declare it first with \"process %s uid=N\"", pt.text, pt.text)
	}
	if err := c.done(); err != nil {
		return err
	}
	if t.text == SetupThread || t.text == CrashThread {
		return c.errAt(t, "%q names a block (\"setup PROCESS\", \"after crash PROCESS\"), not a thread", t.text)
	}
	th := p.addThread(Thread{Name: t.text, Process: pt.text, Pos: p.pos(c.ln.num, kw.col)})
	if p.setup != nil && p.setup.th.Process == th.Process {
		for n, b := range p.setup.binds {
			p.cur.binds[n] = b // the setup block's descriptors and mappings are the process's
		}
	}
	return nil
}

// addThread appends th to the scenario's threads and makes it current.
func (p *parser) addThread(th Thread) *Thread {
	p.threads[th.Name] = len(p.sc.Threads)
	p.sc.Threads = append(p.sc.Threads, th)
	t := &p.sc.Threads[len(p.sc.Threads)-1]
	p.cur = &threadCtx{th: t, binds: map[string]binding{}, labels: map[string]int{}}
	p.labels[th.Name] = p.cur.labels
	return t
}

// blockProcess reads the PROCESS of a setup or after-crash block.
func (p *parser) blockProcess(c *cursor) (string, error) {
	pt, err := c.name("a process name")
	if err != nil {
		return "", err
	}
	if _, ok := p.procs[pt.text]; !ok {
		return "", c.errAt(pt, "unknown process %q: declare it first with \"process %s uid=N\"", pt.text, pt.text)
	}
	return pt.text, c.done()
}

// dSetup parses "setup PROCESS": the statements under it run to completion,
// in order, before any thread starts (the threads of PROCESS inherit its
// descriptors and mappings).
func (p *parser) dSetup(c *cursor, kw token) error {
	if len(p.sc.Threads) > 0 {
		return c.errAt(kw, "the setup block must come before the first thread")
	}
	proc, err := p.blockProcess(c)
	if err != nil {
		return err
	}
	p.addThread(Thread{Name: SetupThread, Process: proc, Pos: p.pos(c.ln.num, kw.col), Setup: true})
	p.setup = p.cur
	return nil
}

// dAfterCrash parses "after crash PROCESS": statements that read, at every
// crash point, what recovery left (open, read, statx, close); expect lines
// name them crash:N.
func (p *parser) dAfterCrash(c *cursor, kw token) error {
	if _, err := c.oneOf("crash"); err != nil {
		return err
	}
	proc, err := p.blockProcess(c)
	if err != nil {
		return err
	}
	p.sc.AfterCrash = &Thread{Name: CrashThread, Process: proc, Pos: p.pos(c.ln.num, kw.col)}
	p.cur = &threadCtx{th: p.sc.AfterCrash, binds: map[string]binding{}, labels: map[string]int{}, crash: true}
	p.labels[CrashThread] = p.cur.labels
	return nil
}

// FencesRefused says why "crash fences" (SPEC.md section 3) is not accepted:
// checking crash images only at fence points misses what a crash between two
// fences exposes (a promise made after the last fence, the newest content a
// store left in a cache line), so it would pass what anywhere violates, and
// the crash checks are a small part of a search's cost anyway.
const FencesRefused = "crash fences is not supported: a crash only at fence points misses a promise made after the last fence and the newest contents of cache lines, so its verdicts would differ from anywhere's; use crash anywhere (the default: every state is a crash point)"

// dCrash parses "crash anywhere|never" and "crash after T:N": a single power
// cut once that statement has returned. "crash fences" (SPEC.md) is refused
// with the reason: see FencesRefused.
func (p *parser) dCrash(c *cursor, _ token) error {
	if c.more() && c.ln.toks[c.i].text == "fences" {
		return c.errAt(c.ln.toks[c.i], "%s", FencesRefused)
	}
	t, err := c.oneOf("anywhere", "never", "after")
	if err != nil {
		return err
	}
	p.sc.Crash = t.text
	if t.text == "after" {
		if err := p.ref(c, "crash after", func(r Ref) { p.sc.CrashAfter = r }); err != nil {
			return err
		}
	}
	return c.done()
}

// dMount parses "mount dax=always|never|inode", the DAX mount option.
func (p *parser) dMount(c *cursor, _ token) error {
	t, err := c.next("dax=always, dax=never or dax=inode")
	if err != nil {
		return err
	}
	k, v, _ := splitKV(t)
	if k != "dax" || !contains(model.MountNames[:], v.text) {
		return c.expected(t, "dax=always, dax=never or dax=inode")
	}
	p.sc.Mount = v.text
	return c.done()
}

func (p *parser) dMutant(c *cursor, _ token) error {
	t, err := c.name("a mutant name")
	if err != nil {
		return err
	}
	if p.opt.Mutants != nil && !contains(p.opt.Mutants, t.text) {
		return c.errAt(t, "unknown mutant %q (see 'daxsim mutants')", t.text)
	}
	if contains(p.sc.Mutants, t.text) {
		return c.errAt(t, "duplicate mutant %q", t.text)
	}
	p.sc.Mutants = append(p.sc.Mutants, t.text)
	p.sc.MutantPos = append(p.sc.MutantPos, p.pos(c.ln.num, t.col))
	return c.done()
}

func (p *parser) dCheck(c *cursor, kw token) error {
	p.sc.CheckPos = p.pos(c.ln.num, kw.col)
	if !c.more() {
		return p.errAt(c.ln.num, c.ln.end, "expected all or property names, found end of line")
	}
	if c.more() && c.ln.toks[c.i].text == "all" {
		c.i++
		return c.done()
	}
	props, err := p.properties(c, 1)
	p.sc.Check = props
	return err
}

// properties reads the property names left on the line, at least min of them.
func (p *parser) properties(c *cursor, min int) ([]string, error) {
	var out []string
	for c.more() || len(out) < min {
		t, err := c.name("a property name")
		if err != nil {
			return nil, err
		}
		switch {
		case t.text == "all":
			return nil, c.errAt(t, "\"all\" must stand alone: \"check all\"")
		case p.opt.Properties != nil && !contains(p.opt.Properties, t.text):
			return nil, c.errAt(t, "unknown property %q (see 'daxsim properties')", t.text)
		case contains(out, t.text):
			return nil, c.errAt(t, "duplicate property %q", t.text)
		}
		out = append(out, t.text)
	}
	return out, nil
}

func (p *parser) dExpect(c *cursor, kw token) error {
	k, err := c.oneOf("violation", "pass", "result", "reachable")
	if err != nil {
		return err
	}
	e := Expect{Pos: p.pos(c.ln.num, kw.col)}
	switch k.text {
	case "violation":
		e.Kind = ExpectViolation
		e.Props, err = p.properties(c, 1)
	case "pass":
		e.Kind = ExpectPass
		e.Props, err = p.properties(c, 0)
	case "result":
		e.Kind = ExpectResult
		err = p.expectResult(c, &e)
	default:
		e.Kind = ExpectReachable
		err = p.expectResult(c, &e)
	}
	if err != nil {
		return err
	}
	p.sc.Expects = append(p.sc.Expects, e)
	return nil
}

// expectResult parses "THREAD:N R[|R...]" (THREAD@LABEL for THREAD:N);
// reachable takes a single R. The statement is checked in finish.
func (p *parser) expectResult(c *cursor, e *Expect) error {
	i := len(p.sc.Expects)
	what := "expect result"
	if e.Kind == ExpectReachable {
		what = "expect reachable"
	}
	if err := p.ref(c, what, func(r Ref) { p.sc.Expects[i].Stmt = r }); err != nil {
		return err
	}
	r, err := c.next("a result")
	if err != nil {
		return err
	}
	for _, part := range splitOn(r, '|') {
		if !isResult(part.text) {
			return c.expected(part, "a result (a VALUE, 0, ok, dax, nodax, an errno such as EBUSY or a signal such as SIGBUS)")
		}
		if contains(e.Results, part.text) {
			return c.errAt(part, "duplicate result %q", part.text)
		}
		e.Results = append(e.Results, part.text)
	}
	if e.Kind == ExpectReachable && len(e.Results) > 1 {
		return c.errAt(r, "expect reachable takes one result")
	}
	return c.done()
}

// resultLike reports whether a value token could be mistaken for a result in an
// expect line: a result name the model has, or an errno- or signal-shaped name.
func resultLike(v string) bool {
	if _, ok := model.ResultByName(v); ok {
		return true
	}
	return strings.HasPrefix(v, "SIG") || len(v) >= 3 && v[0] == 'E' && strings.Trim(v[1:], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

// isResult accepts VALUE tokens (errno names E... and signals SIG... are among
// them), "0", ok, dax and nodax.
func isResult(s string) bool {
	return isValue(s) || s == "0" || s == "ok" || s == "dax" || s == "nodax"
}

// ---- statements ----

type stmtFunc func(*parser, *cursor, *Stmt) error

var stmtFuncs = [model.NumOps]stmtFunc{
	model.OpOpen:      (*parser).sOpen,
	model.OpClose:     (*parser).sFD,
	model.OpMmap:      (*parser).sMmap,
	model.OpMunmap:    (*parser).sMap,
	model.OpLoad:      (*parser).sMapPage,
	model.OpStore:     (*parser).sStore,
	model.OpFlush:     (*parser).sMapPage,
	model.OpMsync:     (*parser).sMsync,
	model.OpFsync:     (*parser).sFD,
	model.OpFdatasync: (*parser).sFD,
	model.OpRead:      (*parser).sFDPage,
	model.OpWrite:     (*parser).sWrite,
	model.OpTruncate:  (*parser).sTruncate,
	model.OpPunch:     (*parser).sFDPages,
	model.OpFallocate: (*parser).sFDPages,
	model.OpReflink:   (*parser).sReflink,
	model.OpDefrag:    (*parser).sFDPage,
	model.OpSetflag:   (*parser).sSetflag,
	model.OpSeal:      (*parser).sSeal,
	model.OpDaxfile:   (*parser).sDaxfile,
	model.OpMincore:   (*parser).sMapPage,
	model.OpStatx:     (*parser).sFD,
	model.OpRename:    (*parser).sRename,
	model.OpEvict:     (*parser).sEvict,
	model.OpCreate:    (*parser).sCreate,
	model.OpUnlink:    (*parser).sEvict,
}

func (p *parser) thread() *Thread { return p.cur.th }

// labelled parses "@LABEL statement": the label names the statement in expect
// lines and after clauses (THREAD@LABEL).
func (p *parser) labelled(c *cursor, at token) error {
	label := strings.TrimPrefix(at.text, "@")
	if !isName(label) {
		return c.expected(at, "@LABEL ([a-z][a-z0-9_-]*)")
	}
	if p.cur == nil {
		return c.errAt(at, "a labelled statement outside a thread")
	}
	if _, dup := p.cur.labels[label]; dup {
		return c.errAt(at, "duplicate label @%s in thread %s", label, p.cur.th.Name)
	}
	kw, err := c.next("a statement")
	if err != nil {
		return err
	}
	op, ok := model.OpByName(kw.text)
	if !ok {
		return c.errAt(kw, "expected a statement after @%s, found %q", label, kw.text)
	}
	if err := p.statement(c, kw, op); err != nil {
		return err
	}
	th := p.cur.th
	th.Stmts[len(th.Stmts)-1].Label = label
	p.cur.labels[label] = len(th.Stmts)
	return nil
}

// afterCrashOps are the statements an after-crash block may run.
var afterCrashOps = []model.Op{model.OpOpen, model.OpRead, model.OpStatx, model.OpClose}

func (p *parser) statement(c *cursor, kw token, op model.Op) error {
	th := p.thread()
	if len(th.Stmts) >= model.MaxStmts {
		return c.errAt(kw, "too many statements in thread %s (at most %d)", th.Name, model.MaxStmts)
	}
	s := Stmt{Op: op, Pos: p.pos(c.ln.num, kw.col), Text: c.ln.text}
	if p.cur.crash && !slices.Contains(afterCrashOps, op) {
		return c.errAt(kw, "%q cannot run after a crash: an after-crash block reads what recovery left (open, read, statx, close)", kw.text)
	}
	if err := p.afterClauses(c, &s); err != nil {
		return err
	}
	if err := stmtFuncs[op](p, c, &s); err != nil {
		return err
	}
	if err := c.done(); err != nil {
		return err
	}
	th.Stmts = append(th.Stmts, s)
	return nil
}

// afterClauses takes the "after THREAD:N" (or THREAD@LABEL) clauses off the end
// of a statement's line: the statement starts only once those have returned.
func (p *parser) afterClauses(c *cursor, s *Stmt) error {
	for n := len(c.ln.toks); n-2 > c.i && c.ln.toks[n-2].text == "after"; n = len(c.ln.toks) {
		if p.cur.th.Setup || p.cur.crash {
			return c.errAt(c.ln.toks[n-2], "a setup or after-crash block runs in order: no after clauses")
		}
		sub := &cursor{p: p, ln: c.ln, i: n - 1}
		ti, si, ai := p.threads[p.cur.th.Name], len(p.cur.th.Stmts), len(s.After)
		s.After = append(s.After, Ref{})
		if err := p.ref(sub, "an after clause", func(r Ref) { p.sc.Threads[ti].Stmts[si].After[ai] = r }); err != nil {
			return err
		}
		c.ln.toks = c.ln.toks[:n-2]
		c.ln.end = c.ln.toks[len(c.ln.toks)-1].col + len(c.ln.toks[len(c.ln.toks)-1].text)
	}
	return nil
}

// file reads a declared file name.
func (p *parser) file(c *cursor) (string, error) {
	t, err := c.name("a file name")
	if err != nil {
		return "", err
	}
	if _, ok := p.files[t.text]; !ok {
		return "", c.errAt(t, "unknown file %q: declare it first with \"file %s pages=N\"", t.text, t.text)
	}
	return t.text, nil
}

// filePages is how many pages statements may name in a file: its max=.
func (p *parser) filePages(name string) int { return p.sc.Files[p.files[name]].Max }

// use reads a binding name of the wanted kind (a mapping or a file descriptor).
func (p *parser) use(c *cursor, wantMap bool) (string, binding, error) {
	kind, other, binder := "a file descriptor", "a mapping", "open"
	if wantMap {
		kind, other, binder = other, kind, "mmap"
	}
	t, err := c.name(kind)
	if err != nil {
		return "", binding{}, err
	}
	b, ok := p.cur.binds[t.text]
	if !ok {
		return "", b, c.errAt(t, "unknown binding %q: bind it first with \"%s ... as %s\"", t.text, binder, t.text)
	}
	if b.isMap != wantMap {
		return "", b, c.errAt(t, "%q is %s (bound at line %d), expected %s", t.text, other, b.line, kind)
	}
	return t.text, b, nil
}

// bindAs reads the NAME after "as" and binds it in the current thread.
func (p *parser) bindAs(c *cursor, b binding) (string, error) {
	t, err := c.name("a name to bind")
	if err != nil {
		return "", err
	}
	if old, dup := p.cur.binds[t.text]; dup {
		return "", c.errAt(t, "%q is already bound in thread %s (at line %d)", t.text, p.thread().Name, old.line)
	}
	if len(p.cur.binds) >= MaxBindings {
		return "", c.errAt(t, "too many bindings in thread %s (at most %d)", p.thread().Name, MaxBindings)
	}
	b.line = c.ln.num
	p.cur.binds[t.text] = b
	return t.text, nil
}

// page reads a PAGE that must be < pages; where names the file or mapping.
func (p *parser) page(c *cursor, in PageRange, where string) (int, error) {
	t, err := c.next("a page number")
	if err != nil {
		return 0, err
	}
	n, ok := parseNum(t.text)
	if !ok {
		return 0, c.expected(t, "a page number")
	}
	if n < in.Lo || n > in.Hi {
		return 0, c.errAt(t, "page %d is outside %s", n, where)
	}
	return n, nil
}

func (p *parser) fileWhere(name string) string {
	f := &p.sc.Files[p.files[name]]
	if f.Max != f.Pages {
		return fmt.Sprintf("file %s (pages=%d, max=%d)", name, f.Pages, f.Max)
	}
	return fmt.Sprintf("file %s (pages=%d)", name, f.Pages)
}

func (p *parser) filePage(c *cursor, file string) (int, error) {
	n := p.filePages(file)
	return p.page(c, PageRange{0, n - 1}, p.fileWhere(file))
}

// pages reads PAGES that must lie within the file.
func (p *parser) pages(c *cursor, file string) (PageRange, error) {
	t, err := c.next("PAGES (N or N-M)")
	if err != nil {
		return PageRange{}, err
	}
	r, ok := parsePages(t.text)
	if !ok {
		return r, c.expected(t, "PAGES (N or N-M with N <= M)")
	}
	if n := p.filePages(file); r.Hi >= n {
		return r, c.errAt(t, "page %d is outside %s", r.Hi, p.fileWhere(file))
	}
	return r, nil
}

func (p *parser) value(c *cursor) (string, error) {
	t, err := c.next("a VALUE")
	if err != nil {
		return "", err
	}
	if len(t.text) > MaxName {
		return "", c.errAt(t, "expected a VALUE of at most %d characters, found one of %d", MaxName, len(t.text))
	}
	if !isValue(t.text) {
		return "", c.expected(t, "a VALUE ([A-Z][A-Z0-9]*)")
	}
	if resultLike(t.text) {
		return "", c.errAt(t, "VALUE %q reads like a result (an errno or a signal): values and results must not be confused; pick another token", t.text)
	}
	if !p.values[t.text] && len(p.values) >= model.MaxValues {
		return "", c.errAt(t, "too many distinct values (at most %d)", model.MaxValues)
	}
	p.values[t.text] = true
	return t.text, nil
}

func (p *parser) mode(c *cursor) (bool, error) {
	t, err := c.oneOf("ro", "rw")
	return t.text == "rw", err
}

func (p *parser) sOpen(c *cursor, s *Stmt) error {
	if p.opens >= model.MaxOpen {
		return c.errAt(c.ln.toks[0], "too many open statements (at most %d in a scenario)", model.MaxOpen)
	}
	var err error
	name, err := c.name("a file or dir name")
	if err != nil {
		return err
	}
	if _, isDir := p.dirs[name.text]; isDir {
		s.Dir = name.text
		if _, err := c.oneOf("ro"); err != nil {
			return err
		}
		if _, err := c.oneOf("as"); err != nil {
			return err
		}
		s.Bind, err = p.bindAs(c, binding{dir: s.Dir})
		p.opens++
		return err
	}
	if _, ok := p.files[name.text]; !ok {
		return c.errAt(name, "unknown file or dir %q: declare it first with \"file %s pages=N\" or \"dir %s\"", name.text, name.text, name.text)
	}
	s.File = name.text
	if s.Write, err = p.mode(c); err != nil {
		return err
	}
	t, err := c.next("sync, dsync or as")
	if err != nil {
		return err
	}
	if t.text == "sync" || t.text == "dsync" {
		s.Sync = t.text
		if _, err := c.oneOf("as"); err != nil {
			return err
		}
	} else if t.text != "as" {
		return c.expected(t, "sync, dsync or as")
	}
	s.Bind, err = p.bindAs(c, binding{file: s.File})
	p.opens++
	return err
}

// dirFDOps are the statements a directory's descriptor may be given.
var dirFDOps = []model.Op{model.OpClose, model.OpSetflag, model.OpStatx}

func (p *parser) sFD(c *cursor, s *Stmt) error {
	var b binding
	var err error
	at := c.i
	s.FD, b, err = p.use(c, false)
	s.File, s.Dir = b.file, b.dir
	if err == nil && b.dir != "" && !slices.Contains(dirFDOps, s.Op) {
		return c.errAt(c.ln.toks[at], "%q is a directory (dir %s): only close, setflag dax= and statx take it", s.FD, b.dir)
	}
	return err
}

func (p *parser) sMap(c *cursor, s *Stmt) error {
	var b binding
	var err error
	s.Map, b, err = p.use(c, true)
	s.File = b.file
	return err
}

func (p *parser) sMapPage(c *cursor, s *Stmt) error {
	var b binding
	var err error
	if s.Map, b, err = p.use(c, true); err != nil {
		return err
	}
	s.File = b.file
	s.Page, err = p.page(c, b.pages, fmt.Sprintf("mapping %s (pages %s)", s.Map, rangeText(b.pages)))
	return err
}

func (p *parser) sStore(c *cursor, s *Stmt) error {
	err := p.sMapPage(c, s)
	if err == nil {
		s.Value, err = p.value(c)
	}
	return err
}

func (p *parser) sFDPage(c *cursor, s *Stmt) error {
	err := p.sFD(c, s)
	if err == nil {
		s.Page, err = p.filePage(c, s.File)
	}
	return err
}

// sWrite parses "write FD PAGE VALUE" and "write FD PAGE from MAP PAGE", whose
// user buffer is a page of a mapping (copy_from_user may fault on it).
func (p *parser) sWrite(c *cursor, s *Stmt) error {
	err := p.sFDPage(c, s)
	if err != nil {
		return err
	}
	if c.more() && c.ln.toks[c.i].text == "from" {
		c.i++
		var b binding
		if s.Map, b, err = p.use(c, true); err != nil {
			return err
		}
		s.SrcFile = b.file
		s.Page2, err = p.page(c, b.pages, fmt.Sprintf("mapping %s (pages %s)", s.Map, rangeText(b.pages)))
		return err
	}
	s.Value, err = p.value(c)
	return err
}

func (p *parser) sFDPages(c *cursor, s *Stmt) error {
	err := p.sFD(c, s)
	if err == nil {
		s.Pages, err = p.pages(c, s.File)
	}
	return err
}

func (p *parser) sTruncate(c *cursor, s *Stmt) error {
	if err := p.sFD(c, s); err != nil {
		return err
	}
	what := fmt.Sprintf("a size in pages 0..%d", model.MaxPages)
	t, err := c.next(what)
	if err != nil {
		return err
	}
	n, ok := parseNum(t.text)
	if !ok || n > model.MaxPages {
		return c.expected(t, what)
	}
	s.Pages = PageRange{n, n}
	return nil
}

func (p *parser) sReflink(c *cursor, s *Stmt) error {
	err := p.sFDPage(c, s)
	if err != nil {
		return err
	}
	var b binding
	if s.FD2, b, err = p.use(c, false); err != nil {
		return err
	}
	s.Page2, err = p.filePage(c, b.file)
	return err
}

var mmapFlags = []string{"shared", "private", "validate", "sync", "direct"}

func (p *parser) sMmap(c *cursor, s *Stmt) error {
	err := p.sFD(c, s)
	if err != nil {
		return err
	}
	th := p.thread()
	if p.mmaps[th.Process] >= model.MaxVMAs {
		return c.errAt(c.ln.toks[0], "too many mmap statements in process %s (at most %d)", th.Process, model.MaxVMAs)
	}
	if s.Pages, err = p.pages(c, s.File); err != nil {
		return err
	}
	if s.Flags, err = c.flags(); err != nil {
		return err
	}
	if s.Write, err = p.mode(c); err != nil {
		return err
	}
	if _, err := c.oneOf("as"); err != nil {
		return err
	}
	s.Bind, err = p.bindAs(c, binding{isMap: true, file: s.File, pages: s.Pages})
	p.mmaps[th.Process]++
	return err
}

// flags parses the mmap FLAGS list (deduplicated, in written order).
func (c *cursor) flags() ([]string, error) {
	t, err := c.next("mmap FLAGS")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, part := range splitList(t) {
		if !contains(mmapFlags, part.text) {
			return nil, c.expected(part, "an mmap flag "+joinOr(mmapFlags))
		}
		if !contains(out, part.text) {
			out = append(out, part.text)
		}
	}
	shared := contains(out, "shared") || contains(out, "validate")
	private := contains(out, "private")
	switch {
	case shared && private:
		return nil, c.errAt(t, "mmap flags %q: shared (or validate) and private exclude each other", t.text)
	case !shared && !private:
		return nil, c.errAt(t, "mmap flags %q need shared, private or validate", t.text)
	}
	return out, nil
}

func (p *parser) sSetflag(c *cursor, s *Stmt) error {
	if err := p.sFD(c, s); err != nil {
		return err
	}
	what := "dax=on|off or immutable=on|off"
	t, err := c.next(what)
	if err != nil {
		return err
	}
	k, v, _ := splitKV(t)
	if (k != "dax" && k != "immutable") || (v.text != "on" && v.text != "off") {
		return c.expected(t, what)
	}
	if k == "immutable" {
		s.Op = model.OpSetflagImmutable
	}
	s.On = v.text == "on"
	return nil
}

func (p *parser) sSeal(c *cursor, s *Stmt) error {
	if err := p.sFD(c, s); err != nil {
		return err
	}
	_, err := c.oneOf("iomap")
	return err
}

func (p *parser) sDaxfile(c *cursor, s *Stmt) error {
	if err := p.sFD(c, s); err != nil {
		return err
	}
	t, err := c.oneOf("on", "off")
	s.On = t.text == "on"
	return err
}

func (p *parser) sRename(c *cursor, s *Stmt) error {
	var err error
	if s.File, err = p.file(c); err != nil {
		return err
	}
	t, err := c.name("a dir name")
	if err != nil {
		return err
	}
	if _, ok := p.dirs[t.text]; !ok {
		return c.errAt(t, "unknown dir %q: declare it first with \"dir %s\"", t.text, t.text)
	}
	s.Dir = t.text
	return nil
}

// sCreate parses "create FILE as FD": open(O_CREAT|O_EXCL|O_RDWR) of a
// declared file (one declared absent does not exist at the start).
func (p *parser) sCreate(c *cursor, s *Stmt) error {
	if p.opens >= model.MaxOpen {
		return c.errAt(c.ln.toks[0], "too many open statements (at most %d in a scenario)", model.MaxOpen)
	}
	var err error
	if s.File, err = p.file(c); err != nil {
		return err
	}
	s.Write = true
	if _, err := c.oneOf("as"); err != nil {
		return err
	}
	s.Bind, err = p.bindAs(c, binding{file: s.File})
	p.opens++
	return err
}

var msyncFlags = []string{"sync", "async", "invalidate"}

// sMsync parses "msync MAP [PAGES] [FLAGS]": PAGES within the mapping
// (default all of it), FLAGS a comma list of sync, async, invalidate (default
// sync; sync and async exclude each other, as msync(2) says).
func (p *parser) sMsync(c *cursor, s *Stmt) error {
	var b binding
	var err error
	if s.Map, b, err = p.use(c, true); err != nil {
		return err
	}
	s.File, s.Pages = b.file, b.pages
	if c.more() && c.ln.toks[c.i].text[0] >= '0' && c.ln.toks[c.i].text[0] <= '9' {
		t, _ := c.next("PAGES")
		r, ok := parsePages(t.text)
		if !ok {
			return c.expected(t, "PAGES (N or N-M with N <= M)")
		}
		if r.Lo < b.pages.Lo || r.Hi > b.pages.Hi {
			return c.errAt(t, "pages %s are outside mapping %s (pages %s)", rangeText(r), s.Map, rangeText(b.pages))
		}
		s.Pages = r
	}
	s.Flags = []string{"sync"}
	if c.more() {
		t, _ := c.next("")
		s.Flags = nil
		for _, part := range splitList(t) {
			if !contains(msyncFlags, part.text) {
				return c.expected(part, "an msync flag "+joinOr(msyncFlags))
			}
			if !contains(s.Flags, part.text) {
				s.Flags = append(s.Flags, part.text)
			}
		}
		if contains(s.Flags, "sync") && contains(s.Flags, "async") {
			return c.errAt(t, "msync flags %q: sync and async exclude each other (EINVAL)", t.text)
		}
	}
	return nil
}

func (p *parser) sEvict(c *cursor, s *Stmt) error {
	var err error
	s.File, err = p.file(c)
	return err
}
