package kernel

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/scenarios"
)

// The schedules a generated program can enforce.
const (
	// ScheduleSerial runs the threads one after another in file order, each to
	// completion.
	ScheduleSerial = "serial"
	// ScheduleWitness runs the statements in a given total order.
	ScheduleWitness = "witness"
	// ScheduleConcurrent releases every thread at once from one barrier and
	// enforces no order (for hunting races with repeated runs).
	ScheduleConcurrent = "concurrent"
)

// StmtRef names a statement: its thread and its 1-based index in the thread
// (the T:N of "expect result T:N R").
type StmtRef struct {
	Thread string
	Index  int
}

func (r StmtRef) String() string { return r.Thread + ":" + strconv.Itoa(r.Index) }

// ParseStmtRef parses "T:N".
func ParseStmtRef(s string) (StmtRef, error) {
	th, n, ok := strings.Cut(strings.TrimSpace(s), ":")
	idx, err := strconv.Atoi(n)
	if !ok || th == "" || err != nil || idx < 1 {
		return StmtRef{}, fmt.Errorf("%q: expected THREAD:N with N >= 1", s)
	}
	return StmtRef{Thread: th, Index: idx}, nil
}

// ParseOrder parses a comma-separated witness order "t1:1,t2:1,t1:2".
func ParseOrder(s string) ([]StmtRef, error) {
	var out []StmtRef
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		r, err := ParseStmtRef(part)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, errors.New("empty order: expected THREAD:N,THREAD:N,...")
	}
	return out, nil
}

// ReproOptions say how the generated program runs the scenario.
type ReproOptions struct {
	// Schedule is serial (the default when empty), witness or concurrent.
	Schedule string
	// Witness is the total order of the witness schedule. Each thread's
	// statements must appear in order from its first; the statements it leaves
	// out run after it, thread by thread in file order.
	Witness []StmtRef
	// WitnessFrom says where the order comes from (a counterexample), for the
	// program's header; empty: given by hand.
	WitnessFrom string
	// Loop > 0 repeats the whole workload Loop times on fresh files, printing
	// "RUN i" before run i; 0 runs it once without RUN lines.
	Loop int
	// CrashAfter, under serial or witness: once that statement has returned,
	// the program prints DAXSIM-CUT and blocks forever (the host cuts the
	// power there). Nothing is synced.
	CrashAfter *StmtRef
	// Dir is the directory the files live in; empty: the program's argv[1].
	Dir string
	// FS is the filesystem the program will run on, for the refusals that
	// depend on it (defrag on xfs, shared extents on ext4); empty: the
	// scenario's fs line.
	FS string
	// DirectAsUnknown maps the mmap flag direct, refused by default (MAP_DIRECT
	// was never merged), to DirectFlagBit, a bit no kernel defines, which is
	// what MAP_DIRECT is to every merged kernel: MAP_SHARED masks it off,
	// MAP_SHARED_VALIDATE fails with EOPNOTSUPP. The statement then tests those
	// rules, not MAP_DIRECT (map-sync-errors.scn is written that way).
	DirectAsUnknown bool
}

// DirectFlagBit is the mmap flag bit that stands for MAP_DIRECT under
// DirectAsUnknown: bit 21, defined neither by asm-generic/mman-common.h nor
// by x86's asm/mman.h in 6.1 (nor in LEGACY_MAP_MASK).
const DirectFlagBit = 0x200000

// Repro returns a self-contained C program (syzkaller-reproducer style) that
// runs the scenario on a real Linux kernel: setup from the file, dir and
// process directives, then one fork()ed child per process and one pthread per
// thread, each statement the system call it stands for, each printing one line
// "THREAD:N RESULT". Statements no kernel has (proposals never merged) are an
// error at their position (a *scenarios.Error, "file:line:col: message").
// The program compiles with gcc -static -Wall -Werror -O2 -pthread.
func Repro(scn *scenarios.Scenario, opt ReproOptions) ([]byte, error) {
	if scn == nil {
		return nil, errors.New("repro: no scenario")
	}
	return (&gen{scn: scn, opt: opt, fs: opt.FS}).program(scn.FS)
}

// program generates the program of g's scenario on g.fs, else on the
// filesystem fs (the scenario's), else on ext4.
func (g *gen) program(fs string) ([]byte, error) {
	if g.fs == "" {
		g.fs = fs
	}
	if g.fs == "" {
		g.fs = "ext4"
	}
	if g.fs != "ext4" && g.fs != "xfs" {
		return nil, fmt.Errorf("repro: unknown filesystem %q (ext4 or xfs)", g.fs)
	}
	if err := g.check(); err != nil {
		return nil, err
	}
	if err := g.schedule(); err != nil {
		return nil, err
	}
	g.emit()
	return []byte(g.b.String()), nil
}

// AfterCrashProgram returns the program of the scenario's "after crash"
// block (nil without one): run in the scenario's directory after the power
// cut and the reboot, on the files recovery left (no setup: each file is
// looked for where setup made it and in every directory a rename statement
// may have moved it to), it prints "crash:N RESULT" per statement, the names
// the block's expect lines use. fs is as ReproOptions.FS.
func AfterCrashProgram(scn *scenarios.Scenario, fs string) ([]byte, error) {
	if scn == nil || scn.AfterCrash == nil {
		return nil, nil
	}
	c := *scn
	c.Threads = []scenarios.Thread{*scn.AfterCrash}
	c.Threads[0].Setup = false
	c.Crash, c.CrashAfter, c.AfterCrash = "anywhere", scenarios.Ref{}, nil
	return (&gen{scn: &c, opt: ReproOptions{FS: fs}, fs: fs, orig: scn}).program(scn.FS)
}

// Reader returns the C source of the reader program (see csrc/reader.c): run
// after a power cut and a reboot with the arguments of ReaderArgs, it prints
// "FILE name size=PAGES" and "name:PG VALUE" per page, or "FILE name missing".
// It compiles with gcc -static -Wall -Werror -O2.
func Reader() []byte { return []byte(withEncoding(readerC)) }

// ReaderArgs are the reader's arguments after DIR for the scenario's files:
// NAME=PATH[:PATH...], the place setup makes the file first, then every
// directory a rename statement may move it into.
func ReaderArgs(scn *scenarios.Scenario) []string {
	var out []string
	for _, f := range scn.Files {
		paths := []string{f.Name}
		if f.In != "" {
			paths[0] = f.In + "/" + f.Name
		}
		for _, th := range scn.Threads {
			for _, s := range th.Stmts {
				if s.Op == model.OpRename && s.File == f.Name {
					p := s.Dir + "/" + f.Name
					if !containsStr(paths, p) {
						paths = append(paths, p)
					}
				}
			}
		}
		out = append(out, f.Name+"="+strings.Join(paths, ":"))
	}
	return out
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type gen struct {
	scn       *scenarios.Scenario
	opt       ReproOptions
	fs        string
	order     []StmtRef       // serial and witness: the total order
	pos       map[StmtRef]int // its inverse
	donors    map[StmtRef]string
	crashLine bool // the crash point is the scenario's "crash after" line
	// orig, for the program of an after-crash block (AfterCrashProgram): the
	// whole scenario (scn holds the block as its only thread).
	orig    *scenarios.Scenario
	setupBv binds // the setup block's bindings (global variables)
	b       strings.Builder
}

// The limits of a generated program (csrc/runtime.h).
const (
	maxStmts   = 32 // DX_MAXSTMTS
	maxThreads = 9  // DX_MAXTHREADS
)

func refuse(pos scenarios.Pos, format string, args ...any) error {
	return &scenarios.Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// check refuses what no real kernel can run, at its position, in file order.
func (g *gen) check() error {
	if len(g.scn.Threads) > maxThreads || len(g.scn.Files) > 8 || len(g.scn.Dirs) > 8 {
		return refuse(g.scn.ProposalPos, "a generated program holds at most %d threads, 8 files and 8 directories", maxThreads)
	}
	for _, f := range g.scn.Files {
		for _, e := range f.Extents {
			if e == model.ExtShared && g.fs != "xfs" {
				return refuse(f.Pos, "extents=shared on %s: a shared extent is made with FICLONERANGE, which %s does not support (no ->remap_file_range); run the scenario on xfs", g.fs, g.fs)
			}
		}
	}
	for _, th := range g.scn.Threads {
		if len(th.Stmts) > maxStmts {
			return refuse(th.Pos, "thread %s has %d statements; a generated program holds at most %d per thread", th.Name, len(th.Stmts), maxStmts)
		}
		for _, s := range th.Stmts {
			if err := g.checkStmt(&s); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *gen) checkStmt(s *scenarios.Stmt) error {
	switch s.Op {
	case model.OpDaxfile:
		return refuse(s.Pos, "daxfile: the daxfile() system call of the S_DAXFILE proposal (seed 000, Dan Williams 2017) was never merged; no kernel has it")
	case model.OpSeal:
		return refuse(s.Pos, "seal %s iomap: fcntl(F_MAY_SEAL_IOMAP) of the MAP_DIRECT proposal (seed 004) was never merged; no kernel has it", s.FD)
	case model.OpMincore:
		return refuse(s.Pos, "mincore as a DAX query (seed 001) was never merged: mincore(2) reports page residency, not DAX; statx's STATX_ATTR_DAX (5.8) is the real query")
	case model.OpSetflagImmutable:
		return refuse(s.Pos, "setflag %s immutable=...: the PMEM_IMMUTABLE flag (seed 001) was never merged; FS_IMMUTABLE_FL (chattr +i) is a different flag", s.FD)
	case model.OpMmap:
		for _, f := range s.Flags {
			if f == "direct" && !g.opt.DirectAsUnknown {
				return refuse(s.Pos, "mmap flag direct: MAP_DIRECT (seed 004, Dan Williams 2017) was never merged; no kernel has it (ReproOptions.DirectAsUnknown, -direct-as-unknown, maps it to a flag bit no kernel defines)")
			}
		}
	case model.OpDefrag:
		if g.fs != "ext4" {
			return refuse(s.Pos, "defrag on %s: no call from user space moves one page of a file to a new block (XFS_IOC_SWAPEXT swaps the extents of whole files, as xfs_fsr does); run the scenario on ext4 (EXT4_IOC_MOVE_EXT)", g.fs)
		}
	case model.OpStore, model.OpWrite:
		if len(s.Value) > LineSize {
			return refuse(s.Pos, "value %s is longer than %d bytes, the cache line a value is stored in", s.Value, LineSize)
		}
	}
	return nil
}

// schedule checks the options and computes the total order.
func (g *gen) schedule() error {
	o := &g.opt
	if o.Schedule == "" {
		o.Schedule = ScheduleSerial
	}
	if o.Loop < 0 {
		return fmt.Errorf("repro: loop %d: expected a count >= 0", o.Loop)
	}
	switch o.Schedule {
	case ScheduleSerial:
		if len(o.Witness) > 0 {
			return errors.New("repro: a witness order needs the witness schedule")
		}
	case ScheduleWitness:
		if len(o.Witness) == 0 {
			return errors.New("repro: the witness schedule needs an order (THREAD:N,...)")
		}
	case ScheduleConcurrent:
		if len(o.Witness) > 0 {
			return errors.New("repro: a witness order needs the witness schedule")
		}
		if o.CrashAfter != nil {
			return errors.New("repro: crash after T:N needs the serial or witness schedule (a concurrent run has no statement after which every other has stopped)")
		}
	default:
		return fmt.Errorf("repro: unknown schedule %q (serial, witness or concurrent)", o.Schedule)
	}
	// The scenario's own "crash after T:N" line, unless the options name a
	// crash point; a concurrent run has none.
	if o.CrashAfter == nil && g.scn.Crash == "after" && o.Schedule != ScheduleConcurrent {
		r := StmtRef{g.scn.CrashAfter.Thread, g.scn.CrashAfter.Index}
		o.CrashAfter = &r
		g.crashLine = true
	}
	if o.CrashAfter != nil {
		if err := validRef(g.scn, *o.CrashAfter, "crash after"); err != nil {
			return err
		}
	}
	if o.Schedule == ScheduleConcurrent {
		return nil
	}
	order, err := Order(g.scn, o.Witness)
	if err != nil {
		return err
	}
	g.order = order
	g.pos = map[StmtRef]int{}
	for i, r := range g.order {
		g.pos[r] = i
	}
	return nil
}

func findThread(scn *scenarios.Scenario, name string) *scenarios.Thread {
	for i := range scn.Threads {
		if scn.Threads[i].Name == name {
			return &scn.Threads[i]
		}
	}
	return nil
}

func validRef(scn *scenarios.Scenario, r StmtRef, what string) error {
	th := findThread(scn, r.Thread)
	if th == nil {
		return fmt.Errorf("repro: %s %s: no thread %q in scenario %s", what, r, r.Thread, scn.Name)
	}
	if r.Index < 1 || r.Index > len(th.Stmts) {
		return fmt.Errorf("repro: %s %s: thread %s has %d statements", what, r, r.Thread, len(th.Stmts))
	}
	return nil
}

// Order is the total order of the statements under the serial schedule
// (witness empty) or the witness schedule (witness: its first statements).
// After the given ones, the threads run in file order, each until it ends or
// its next statement waits for one that has not run yet (an "after T:N"
// clause), when the first thread in file order that can go on runs next. The
// setup block comes first; every statement comes after the statements its
// after clauses name. It is an error when the witness breaks one of these
// rules or the after clauses leave no order at all.
func Order(scn *scenarios.Scenario, witness []StmtRef) ([]StmtRef, error) {
	next := map[string]int{} // statements of each thread in the order so far
	var setup *scenarios.Thread
	if len(scn.Threads) > 0 && scn.Threads[0].Setup {
		setup = &scn.Threads[0]
	}
	// blocker is the statement th's next one waits for, if it has not run.
	blocker := func(th *scenarios.Thread) (StmtRef, bool) {
		k := next[th.Name]
		if setup != nil && th != setup && k == 0 && next[setup.Name] < len(setup.Stmts) {
			return StmtRef{setup.Name, len(setup.Stmts)}, true
		}
		for _, a := range th.Stmts[k].After {
			if next[a.Thread] < a.Index {
				return StmtRef{a.Thread, a.Index}, true
			}
		}
		return StmtRef{}, false
	}
	var order []StmtRef
	for _, r := range witness {
		if err := validRef(scn, r, "witness"); err != nil {
			return nil, err
		}
		if next[r.Thread] >= r.Index {
			return nil, fmt.Errorf("repro: witness lists %s twice", r)
		}
		if r.Index != next[r.Thread]+1 {
			return nil, fmt.Errorf("repro: witness lists %s before %s:%d: a thread runs its statements in order", r, r.Thread, next[r.Thread]+1)
		}
		if b, waits := blocker(findThread(scn, r.Thread)); waits {
			return nil, fmt.Errorf("repro: witness lists %s before %s, which it waits for (the setup block or an after clause)", r, b)
		}
		next[r.Thread] = r.Index
		order = append(order, r)
	}
	ready := func(th *scenarios.Thread) bool {
		if next[th.Name] >= len(th.Stmts) {
			return false
		}
		_, waits := blocker(th)
		return !waits
	}
	var cur *scenarios.Thread
	for {
		if cur == nil || !ready(cur) {
			cur = nil
			for i := range scn.Threads {
				if ready(&scn.Threads[i]) {
					cur = &scn.Threads[i]
					break
				}
			}
			if cur == nil {
				break
			}
		}
		next[cur.Name]++
		order = append(order, StmtRef{cur.Name, next[cur.Name]})
	}
	for i := range scn.Threads {
		th := &scn.Threads[i]
		if next[th.Name] < len(th.Stmts) {
			b, _ := blocker(th)
			return nil, fmt.Errorf("repro: no order runs every statement: %s:%d waits for %s, which never runs (the after clauses make a cycle)", th.Name, next[th.Name]+1, b)
		}
	}
	return order, nil
}

func (g *gen) p(format string, args ...any) { fmt.Fprintf(&g.b, format, args...) }

// cstr quotes s as a C string literal.
func cstr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f && c != '?': // '?' would start a trigraph
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "\\%03o", c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// comment makes s safe inside a C block comment.
func comment(s string) string { return strings.ReplaceAll(s, "*/", "* /") }

func (g *gen) emit() {
	g.header()
	g.b.WriteString(withEncoding(runtimeC))
	g.b.WriteString("\n/* ---- the scenario ---- */\n\n")
	g.tables()
	g.setup()
	for i := range g.scn.Threads {
		g.thread(i)
	}
	g.procs()
	g.main()
}

func (g *gen) header() {
	s := g.scn
	o := g.opt
	g.p("/* daxsim repro: scenario %s (%s)\n", s.Name, comment(s.Path))
	if g.orig != nil {
		g.p(" * The after-crash block alone: run after the power cut and the reboot, in\n")
		g.p(" * the scenario's directory as recovery left it (nothing is set up; the\n")
		g.p(" * setup notes below do not apply). Results print as crash:N.\n")
	}
	g.p(" * Generated by 'daxsim repro'; a self-contained program for a real Linux kernel.\n")
	g.p(" * Build: gcc -static -Wall -Werror -O2 -pthread -o repro repro.c\n")
	if o.Dir != "" {
		g.p(" * Run:   ./repro      (as root; the files live in %s)\n", comment(o.Dir))
	} else {
		g.p(" * Run:   ./repro DIR  (as root, DIR on a DAX-capable %s; it is deleted and made again)\n", g.fs)
	}
	g.p(" *\n * Filesystem: %s. The scenario's proposal line (%s) does not apply: the kernel\n", g.fs, s.Proposal)
	g.p(" * is what it is. persistence, commit, check, mutant and expect lines are the\n")
	g.p(" * model's and are ignored here; an after-crash block is a program of its own\n")
	g.p(" * (daxsim kernel runs it after the reboot, before the reader).\n")
	g.p(" * Mount: dax=%s (the scenario's mount line): the runner mounts with it\n", s.Mount)
	g.p(" * (dax=always is -o dax); the program itself does not depend on it.\n")
	if s.Blocks > 0 {
		g.p(" * device blocks=%d is not reproduced: the device is the whole pmem namespace, so\n", s.Blocks)
		g.p(" * the ENOSPC the line arranges in the model does not happen here.\n")
	}
	g.p(" *\n")
	switch o.Schedule {
	case ScheduleSerial:
		g.p(" * Schedule serial: the threads run one after another in file order, each to\n")
		g.p(" * completion. A turn counter in a MAP_SHARED|MAP_ANONYMOUS page made before\n")
		g.p(" * fork() orders the statements across processes; a thread waits on it with\n")
		g.p(" * futex(FUTEX_WAIT).\n")
	case ScheduleWitness:
		g.p(" * Schedule witness: the statements run one at a time in this total order,\n")
		g.p(" * enforced by a turn counter in a MAP_SHARED|MAP_ANONYMOUS page made before\n")
		g.p(" * fork(), so it holds across processes (waiting with futex(FUTEX_WAIT)):\n")
		var refs []string
		for _, r := range g.order {
			refs = append(refs, r.String())
		}
		for len(refs) > 0 {
			n := min(len(refs), 10)
			g.p(" *   %s\n", strings.Join(refs[:n], " "))
			refs = refs[n:]
		}
		if o.WitnessFrom != "" {
			g.p(" * It is the order of %s:\n * its statements in the order they return (those still running at\n * its end after them, in the order they started).\n", strings.ReplaceAll(o.WitnessFrom, "*/", "*\\/"))
		}
		g.p(" * Statements the given order left out run after it, thread by thread.\n")
	case ScheduleConcurrent:
		g.p(" * Schedule concurrent: every thread of every process waits at one barrier and\n")
		g.p(" * all are released together; nothing orders their statements after that. Run\n")
		g.p(" * it many times (-loop) and count the outcome tuples.\n")
	}
	if g.hasAfter() {
		if o.Schedule == ScheduleConcurrent {
			g.p(" * after T:N clauses: the statement waits (futex) until a done flag in the\n")
			g.p(" * shared page says that T:N has returned.\n")
		} else {
			g.p(" * The order respects every after T:N clause: a thread whose next statement\n")
			g.p(" * waits for one that has not run yields to the first thread that can go on.\n")
		}
	}
	if len(s.Threads) > 0 && s.Threads[0].Setup {
		g.p(" * The setup block runs in process %s before its threads start (they inherit\n", s.Threads[0].Process)
		g.p(" * its descriptors and mappings); ")
		if o.Schedule == ScheduleConcurrent {
			g.p("every other thread waits for it at the barrier.\n")
		} else {
			g.p("it is first in the order.\n")
		}
	}
	g.p(" * A schedule orders whole system calls only: interleavings inside the kernel\n")
	g.p(" * (between a fault's steps, a flag flip's checks) cannot be forced from user space.\n")
	if s.Crash == "after" && o.Schedule == ScheduleConcurrent {
		g.p(" *\n * The scenario's crash after %s line does not apply to a concurrent run.\n", StmtRef{s.CrashAfter.Thread, s.CrashAfter.Index})
	}
	if o.CrashAfter != nil {
		from := ""
		if g.crashLine {
			from = " (the scenario's crash line)"
		}
		g.p(" *\n * Crash after %s%s: once it has returned, the program syncs nothing, prints\n", o.CrashAfter, from)
		g.p(" * DAXSIM-CUT and blocks forever; the host kills the machine there (a power\n")
		g.p(" * failure), boots it again and reads the files back (daxsim-reader).\n")
	}
	if o.Loop > 0 {
		g.p(" *\n * Loop %d: the workload runs %d times, each on fresh files (the directory is\n", o.Loop, o.Loop)
		g.p(" * deleted and made again), after a line \"RUN i\".\n")
	}
	g.p(" *\n * Output: one line per statement, written with one write(2):\n")
	g.p(" *   THREAD:N RESULT   N = the statement's 1-based index in its thread; RESULT =\n")
	g.p(" *   ok, an errno name (EBUSY ...), SIGBUS/SIGSEGV (caught: the access is\n")
	g.p(" *   abandoned), a value for load/read (0 = all zero), dax/nodax for statx.\n")
	g.p(" * Lines starting with '#' are diagnostics; DAXSIM-SETUP-ERROR ends a run (exit 3).\n")
	g.p(" * Values: a token is stored as its bytes NUL-padded to one 64-byte cache line at\n")
	g.p(" * offset 0 of its page (see dx_encode / dx_decode).\n")
	g.p(" *\n * Setup, before any thread: the directory is made afresh; dirs (mkdir +\n")
	g.p(" * FS_XFLAG_DAX); files (create, FS_XFLAG_DAX, extents per page: written = a\n")
	g.p(" * write of zeros, unwritten = fallocate, hole = nothing, shared = FICLONERANGE\n")
	g.p(" * from a scratch file; then ftruncate to the size); fsync, syncfs, every\n")
	g.p(" * descriptor closed and 2 written to /proc/sys/vm/drop_caches, so that S_DAX\n")
	g.p(" * follows FS_XFLAG_DAX at the next open under dax=inode. Files are root's, mode\n")
	g.p(" * 0666 (directories 0777), so every process's uid may open them.\n")
	if g.opt.DirectAsUnknown && g.hasDirect() {
		g.p(" * The mmap flag direct (MAP_DIRECT, never merged) is 0x%x, a bit no kernel\n", DirectFlagBit)
		g.p(" * defines: MAP_SHARED masks it off, MAP_SHARED_VALIDATE fails with EOPNOTSUPP.\n")
	}
	g.p(" * Processes: fork()ed after setup; a non-zero uid is taken with setgroups,\n")
	g.p(" * setresgid(uid) and setresuid(uid), which drops every capability (the caps=\n")
	g.p(" * option only matters for proposals that were never merged).\n")
	if g.has(model.OpEvict) {
		g.p(" * evict FILE writes 2 to /proc/sys/vm/drop_caches through a root helper: the\n")
		g.p(" * closest real equivalent of memory pressure; it prunes every unused inode and\n")
		g.p(" * never fails because FILE is in use (the inode just stays).\n")
	}
	if g.has(model.OpDefrag) {
		g.p(" * defrag FD PAGE is EXT4_IOC_MOVE_EXT of one block with a donor file made in\n")
		g.p(" * setup (.daxsim-donor-THREAD-N).\n")
	}
	g.p(" *\n * The scenario:\n")
	for _, th := range s.Threads {
		if th.Setup {
			g.p(" *   setup %s\n", th.Process)
		} else {
			g.p(" *   thread %s %s\n", th.Name, th.Process)
		}
		for k, st := range th.Stmts {
			g.p(" *     %d: %s\n", k+1, comment(st.Text))
		}
	}
	g.p(" */\n")
}

func (g *gen) has(op model.Op) bool {
	for _, th := range g.scn.Threads {
		for _, s := range th.Stmts {
			if s.Op == op {
				return true
			}
		}
	}
	return false
}

func (g *gen) hasAfter() bool {
	for _, th := range g.scn.Threads {
		for _, s := range th.Stmts {
			if len(s.After) > 0 {
				return true
			}
		}
	}
	return false
}

func (g *gen) hasDirect() bool {
	for _, th := range g.scn.Threads {
		for _, s := range th.Stmts {
			if s.Op == model.OpMmap && containsStr(s.Flags, "direct") {
				return true
			}
		}
	}
	return false
}

func (g *gen) fileIndex(name string) int {
	for i, f := range g.scn.Files {
		if f.Name == name {
			return i
		}
	}
	return -1
}

func (g *gen) dirIndex(name string) int {
	for i, d := range g.scn.Dirs {
		if d.Name == name {
			return i
		}
	}
	return -1
}

func (g *gen) tables() {
	s := g.scn
	var files, dirs, loc []string
	for _, f := range s.Files {
		files = append(files, cstr(f.Name))
		loc = append(loc, strconv.Itoa(g.dirIndex(f.In)+1))
	}
	for _, d := range s.Dirs {
		dirs = append(dirs, cstr(d.Name))
	}
	if len(dirs) == 0 {
		dirs = []string{"NULL"}
	}
	if len(files) == 0 {
		files, loc = []string{"NULL"}, []string{"0"}
	}
	g.p("#define DX_NFILES %d\n", len(s.Files))
	g.p("#define DX_NTHREADS %d\n", len(s.Threads))
	nb := 0
	for _, th := range s.Threads {
		if !th.Setup {
			nb++
		}
	}
	g.p("#define DX_NBARRIER %d /* the threads that wait at the start barrier (not the setup block) */\n", nb)
	g.p("#define DX_LOOPS %d\n\n", max(g.opt.Loop, 1))
	g.p("static const char *const dx_files[] = { %s };\n", strings.Join(files, ", "))
	g.p("static const char *const dx_dirs[] = { %s };\n", strings.Join(dirs, ", "))
	g.p("/* the directory each file starts in: dir index + 1, 0 = the root */\n")
	g.p("static const int dx_file_dir0[] = { %s };\n\n", strings.Join(loc, ", "))
}

func onOff(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (g *gen) setup() {
	s := g.scn
	if g.orig != nil {
		g.p("/* after the power cut: no setup; each file is where recovery left it */\n")
		g.p("static void dx_setup(void)\n{\n")
		for i, f := range s.Files {
			var cands []string
			for _, path := range strings.Split(strings.SplitN(ReaderArgs(g.orig)[i], "=", 2)[1], ":") {
				d := 0
				if dir, _, ok := strings.Cut(path, "/"); ok {
					d = g.dirIndex(dir) + 1
				}
				cands = append(cands, strconv.Itoa(d))
			}
			g.p("\tdx_locate(%d, (const int[]){ %s, -1 }); /* file %s */\n", i, strings.Join(cands, ", "), f.Name)
		}
		g.p("}\n\n")
		return
	}
	g.p("/* setup: %d dir(s), %d file(s) */\n", len(s.Dirs), len(s.Files))
	g.p("static void dx_setup(void)\n{\n")
	g.p("\tdx_fresh_root();\n")
	for i, d := range s.Dirs {
		g.p("\tdx_setup_dir(%d, %d); /* %s:%d: dir %s dax=%s */\n", i, onOff(d.DAX), comment(d.Pos.File), d.Pos.Line, d.Name, onOffText(d.DAX))
	}
	kinds := map[uint8]byte{model.ExtWritten: 'w', model.ExtUnwritten: 'u', model.ExtHole: 'h', model.ExtShared: 's'}
	for i, f := range s.Files {
		if f.Absent {
			g.p("\t/* %s:%d: file %s absent: made by a create statement, if any */\n", comment(f.Pos.File), f.Pos.Line, f.Name)
			continue
		}
		ext := make([]byte, len(f.Extents))
		var names []string
		for k, e := range f.Extents {
			ext[k] = kinds[e]
			names = append(names, model.ExtentName(e))
		}
		maxText := ""
		if f.Max > f.Pages {
			maxText = fmt.Sprintf(" max=%d", f.Max)
		}
		g.p("\tdx_setup_file(%d, %d, %d, %s); /* %s:%d: file %s pages=%d%s dax=%s extents=%s */\n",
			i, f.Pages, onOff(f.DAX), cstr(string(ext)), comment(f.Pos.File), f.Pos.Line, f.Name, f.Pages, maxText, onOffText(f.DAX), strings.Join(names, ","))
	}
	g.donors = map[StmtRef]string{}
	for _, th := range s.Threads {
		for k, st := range th.Stmts {
			if st.Op != model.OpDefrag {
				continue
			}
			r := StmtRef{th.Name, k + 1}
			name := fmt.Sprintf(".daxsim-donor-%s-%d", th.Name, k+1)
			g.donors[r] = name
			g.p("\tdx_setup_donor(%s, %d); /* for %s: %s */\n", cstr(name), s.Files[g.fileIndex(st.File)].Pages, r, comment(st.Text))
		}
	}
	g.p("\tdx_setup_done();\n}\n\n")
}

func onOffText(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// binds gives each name a thread binds its C variable: fd_J or m_J.
type binds map[string]string

func (g *gen) thread(ti int) {
	th := &g.scn.Threads[ti]
	bv := binds{}
	if !th.Setup && g.setupBv != nil && g.scn.Threads[0].Process == th.Process {
		for n, v := range g.setupBv {
			bv[n] = v // the threads of the setup block's process inherit its bindings
		}
	}
	prefix, indent := "", "\t"
	if th.Setup {
		prefix = "setup_"
	}
	var decls, uses []string
	for k, s := range th.Stmts {
		if s.Bind == "" {
			continue
		}
		if s.Op == model.OpMmap {
			v := fmt.Sprintf("%sm_%d", prefix, k+1)
			bv[s.Bind] = v
			decls = append(decls, fmt.Sprintf("struct dx_map %s = { NULL, 0, 0 }; /* %s */\n", v, s.Bind))
		} else {
			v := fmt.Sprintf("%sfd_%d", prefix, k+1)
			bv[s.Bind] = v
			decls = append(decls, fmt.Sprintf("int %s = -1; /* %s */\n", v, s.Bind))
			uses = append(uses, fmt.Sprintf("\t(void)%s;\n", v))
		}
	}
	uid := 0
	for _, p := range g.scn.Procs {
		if p.Name == th.Process {
			uid = p.UID
		}
	}
	if th.Setup {
		g.setupBv = bv
		g.p("/* the setup block (process %s, uid %d): %d statement(s), run in the process\n", th.Process, uid, len(th.Stmts))
		g.p(" * before its threads start; its bindings are the process's globals, which\n")
		g.p(" * those threads inherit. */\n")
		for _, d := range decls {
			g.p("static %s", d)
		}
		g.p("static void dx_setup_block(void)\n{\n")
	} else {
		g.p("/* thread %s (process %s, uid %d): %d statement(s) */\n", th.Name, th.Process, uid, len(th.Stmts))
		g.p("static void *dx_thread_%d(void *arg)\n{\n", ti)
		for _, d := range decls {
			g.p("%s%s", indent, d)
		}
		g.p("\t(void)arg;\n")
		if g.opt.Schedule == ScheduleConcurrent {
			g.p("\tdx_barrier(DX_NBARRIER);\n")
		}
	}
	targets := g.afterTargets()
	for k := range th.Stmts {
		s := &th.Stmts[k]
		r := StmtRef{th.Name, k + 1}
		label := ""
		if s.Label != "" {
			label = " @" + s.Label
		}
		g.p("\t/* %s%s  %s:%d: %s */\n", r, label, comment(s.Pos.File), s.Pos.Line, comment(s.Text))
		if g.opt.Schedule == ScheduleConcurrent {
			for _, a := range s.After {
				g.p("\tdx_wait_done(%d, %d); /* after %s */\n", g.threadIndex(a.Thread), a.Index-1, StmtRef{a.Thread, a.Index})
			}
		} else {
			g.p("\tdx_wait_turn(%d);\n", g.pos[r])
		}
		g.p("\t%s\n", g.call(ti, th, k, s, bv))
		switch {
		case g.opt.CrashAfter != nil && *g.opt.CrashAfter == r:
			g.p("\tdx_cut(); /* crash after %s */\n", r)
		case g.opt.Schedule != ScheduleConcurrent:
			g.p("\tdx_next_turn(%d);\n", g.pos[r])
		case targets[r]:
			g.p("\tdx_mark_done(%d, %d);\n", ti, k)
		}
	}
	if th.Setup {
		g.p("}\n\n")
		return
	}
	for _, u := range uses {
		g.b.WriteString(u)
	}
	g.p("\treturn NULL;\n}\n\n")
}

// afterTargets are the statements an after clause names.
func (g *gen) afterTargets() map[StmtRef]bool {
	out := map[StmtRef]bool{}
	for _, th := range g.scn.Threads {
		for _, s := range th.Stmts {
			for _, a := range s.After {
				out[StmtRef{a.Thread, a.Index}] = true
			}
		}
	}
	return out
}

func (g *gen) threadIndex(name string) int {
	for i := range g.scn.Threads {
		if g.scn.Threads[i].Name == name {
			return i
		}
	}
	return -1
}

// call is the C statement for scenario statement s (index k of thread ti).
func (g *gen) call(ti int, th *scenarios.Thread, k int, s *scenarios.Stmt, bv binds) string {
	t, n := cstr(th.Name), k+1
	switch s.Op {
	case model.OpOpen:
		if s.Dir != "" {
			return fmt.Sprintf("%s = dx_open_dir(%s, %d, %d);", bv[s.Bind], t, n, g.dirIndex(s.Dir))
		}
		flags := "O_RDONLY"
		if s.Write {
			flags = "O_RDWR"
		}
		switch s.Sync {
		case "sync":
			flags += " | O_SYNC"
		case "dsync":
			flags += " | O_DSYNC"
		}
		return fmt.Sprintf("%s = dx_open(%s, %d, %d, %s);", bv[s.Bind], t, n, g.fileIndex(s.File), flags)
	case model.OpCreate:
		return fmt.Sprintf("%s = dx_create(%s, %d, %d);", bv[s.Bind], t, n, g.fileIndex(s.File))
	case model.OpUnlink:
		return fmt.Sprintf("dx_unlink(%s, %d, %d);", t, n, g.fileIndex(s.File))
	case model.OpClose:
		return fmt.Sprintf("%s = dx_close(%s, %d, %s);", bv[s.FD], t, n, bv[s.FD])
	case model.OpMmap:
		prot := "PROT_READ"
		if s.Write {
			prot = "PROT_READ | PROT_WRITE"
		}
		var flags []string
		switch {
		case containsStr(s.Flags, "validate"):
			flags = append(flags, "MAP_SHARED_VALIDATE")
		case containsStr(s.Flags, "private"):
			flags = append(flags, "MAP_PRIVATE")
		default:
			flags = append(flags, "MAP_SHARED")
		}
		if containsStr(s.Flags, "sync") {
			flags = append(flags, "MAP_SYNC")
		}
		if containsStr(s.Flags, "direct") {
			flags = append(flags, fmt.Sprintf("0x%x /* direct: a bit no kernel defines */", DirectFlagBit))
		}
		return fmt.Sprintf("dx_mmap(%s, %d, &%s, %s, %d, %d, %s, %s);", t, n, bv[s.Bind], bv[s.FD], s.Pages.Lo, s.Pages.Hi, prot, strings.Join(flags, " | "))
	case model.OpMunmap:
		return fmt.Sprintf("dx_munmap(%s, %d, &%s);", t, n, bv[s.Map])
	case model.OpLoad:
		return fmt.Sprintf("dx_load(%s, %d, &%s, %d);", t, n, bv[s.Map], s.Page)
	case model.OpStore:
		return fmt.Sprintf("dx_store(%s, %d, &%s, %d, %s);", t, n, bv[s.Map], s.Page, cstr(s.Value))
	case model.OpFlush:
		return fmt.Sprintf("dx_flush(%s, %d, &%s, %d);", t, n, bv[s.Map], s.Page)
	case model.OpMsync:
		var flags []string
		for _, f := range s.Flags {
			flags = append(flags, map[string]string{"sync": "MS_SYNC", "async": "MS_ASYNC", "invalidate": "MS_INVALIDATE"}[f])
		}
		if len(flags) == 0 {
			flags = []string{"0"}
		}
		return fmt.Sprintf("dx_msync(%s, %d, &%s, %d, %d, %s);", t, n, bv[s.Map], s.Pages.Lo, s.Pages.Hi, strings.Join(flags, " | "))
	case model.OpFsync:
		return fmt.Sprintf("dx_fsync(%s, %d, %s, 0);", t, n, bv[s.FD])
	case model.OpFdatasync:
		return fmt.Sprintf("dx_fsync(%s, %d, %s, 1);", t, n, bv[s.FD])
	case model.OpRead:
		return fmt.Sprintf("dx_read(%s, %d, %s, %d);", t, n, bv[s.FD], s.Page)
	case model.OpWrite:
		if s.Map != "" {
			return fmt.Sprintf("dx_write_from(%s, %d, %s, %d, &%s, %d);", t, n, bv[s.FD], s.Page, bv[s.Map], s.Page2)
		}
		return fmt.Sprintf("dx_write(%s, %d, %s, %d, %s);", t, n, bv[s.FD], s.Page, cstr(s.Value))
	case model.OpTruncate:
		return fmt.Sprintf("dx_truncate(%s, %d, %s, %d);", t, n, bv[s.FD], s.Pages.Lo)
	case model.OpPunch:
		return fmt.Sprintf("dx_fallocate(%s, %d, %s, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, %d, %d);", t, n, bv[s.FD], s.Pages.Lo, s.Pages.Hi)
	case model.OpFallocate:
		return fmt.Sprintf("dx_fallocate(%s, %d, %s, 0, %d, %d);", t, n, bv[s.FD], s.Pages.Lo, s.Pages.Hi)
	case model.OpReflink:
		return fmt.Sprintf("dx_reflink(%s, %d, %s, %d, %s, %d);", t, n, bv[s.FD], s.Page, bv[s.FD2], s.Page2)
	case model.OpDefrag:
		return fmt.Sprintf("dx_defrag(%s, %d, %s, %d, %s);", t, n, bv[s.FD], s.Page, cstr(g.donors[StmtRef{th.Name, n}]))
	case model.OpSetflag:
		return fmt.Sprintf("dx_setflag(%s, %d, %s, %d);", t, n, bv[s.FD], onOff(s.On))
	case model.OpStatx:
		return fmt.Sprintf("dx_statx(%s, %d, %s);", t, n, bv[s.FD])
	case model.OpRename:
		return fmt.Sprintf("dx_rename(%s, %d, %d, %d);", t, n, g.fileIndex(s.File), g.dirIndex(s.Dir))
	case model.OpEvict:
		return fmt.Sprintf("dx_evict(%s, %d, %d);", t, n, ti)
	}
	// check() refused every other statement.
	return fmt.Sprintf("#error statement %s is not supported", s.Op)
}

// procThreads are the threads of process p, the setup block left out, and
// whether the setup block runs in p.
func (g *gen) procThreads(p string) (ths []int, setup bool) {
	for ti, th := range g.scn.Threads {
		switch {
		case th.Process != p:
		case th.Setup:
			setup = true
		default:
			ths = append(ths, ti)
		}
	}
	return ths, setup
}

func (g *gen) procs() {
	s := g.scn
	for pi, p := range s.Procs {
		ths, setup := g.procThreads(p.Name)
		if len(ths) == 0 && !setup {
			continue
		}
		g.p("/* process %s uid=%d", p.Name, p.UID)
		if len(p.Caps) > 0 {
			g.p(" caps=%s (not granted: only unmerged proposals use it)", strings.Join(p.Caps, ","))
		}
		g.p(" */\nstatic void dx_proc_%d(void)\n{\n", pi)
		if len(ths) > 0 {
			g.p("\tpthread_t t[%d];\n\tint i;\n", len(ths))
		}
		g.p("\tdx_become(%s, %d);\n", cstr(p.Name), p.UID)
		if setup {
			g.p("\tdx_setup_block(); /* before the threads of the process start */\n")
		}
		for i, ti := range ths {
			g.p("\tdx_start_thread(&t[%d], dx_thread_%d, %s);\n", i, ti, cstr(s.Threads[ti].Name))
		}
		if len(ths) > 0 {
			g.p("\tfor (i = 0; i < %d; i++)\n\t\tpthread_join(t[i], NULL);\n", len(ths))
		}
		g.p("}\n\n")
	}
}

func (g *gen) main() {
	s := g.scn
	var procs []int
	for pi, p := range s.Procs {
		if ths, setup := g.procThreads(p.Name); len(ths) > 0 || setup {
			procs = append(procs, pi)
		}
	}
	sort.Ints(procs)
	g.p("int main(int argc, char **argv)\n{\n")
	g.p("\tpid_t pids[%d];\n", len(procs))
	var names []string
	for _, pi := range procs {
		names = append(names, cstr(s.Procs[pi].Name))
	}
	g.p("\tstatic const char *const names[] = { %s };\n", strings.Join(names, ", "))
	g.p("\tint run, i, bad = 0;\n")
	if g.opt.Dir != "" {
		g.p("\t(void)argc;\n\t(void)argv;\n")
		g.p("\tdx_root = %s;\n", cstr(g.opt.Dir))
	} else {
		g.p("\tif (argc != 2 || argv[1][0] == 0) {\n")
		g.p("\t\tfprintf(stderr, \"usage: %%s DIR (deleted and made again; on a DAX filesystem)\\n\", argv[0]);\n")
		g.p("\t\treturn 2;\n\t}\n")
		g.p("\tdx_root = argv[1];\n")
	}
	g.p("\tdx_file_names = dx_files;\n\tdx_dir_names = dx_dirs;\n")
	g.p("\tumask(0); /* files made by create are 0666, for every process's uid */\n")
	g.p("\tdx_catch_signals();\n\tdx_sh = dx_shared_page();\n")
	if g.has(model.OpEvict) {
		g.p("\tdx_evict_start(DX_NTHREADS);\n")
	}
	g.p("\tfor (run = 1; run <= DX_LOOPS; run++) {\n")
	if g.opt.Loop > 0 {
		g.p("\t\tdx_linef(\"RUN %%d\\n\", run);\n")
	}
	g.p("\t\tmemset(dx_sh, 0, sizeof *dx_sh);\n")
	g.p("\t\tfor (i = 0; i < DX_NFILES; i++)\n\t\t\tdx_sh->loc[i] = dx_file_dir0[i];\n")
	g.p("\t\tdx_setup();\n")
	for k, pi := range procs {
		g.p("\t\tpids[%d] = fork();\n", k)
		g.p("\t\tif (pids[%d] == 0) {\n\t\t\tdx_proc_%d();\n\t\t\t_exit(0);\n\t\t}\n", k, pi)
		g.p("\t\tif (pids[%d] < 0) {\n\t\t\tdx_linef(\"# fatal: fork: %%s\\n\", dx_errname(errno));\n\t\t\treturn 3;\n\t\t}\n", k)
	}
	g.p("\t\tbad |= dx_wait_procs(pids, names, %d);\n", len(procs))
	g.p("\t}\n")
	if g.has(model.OpEvict) {
		g.p("\tdx_evict_stop();\n")
	}
	g.p("\treturn bad ? 1 : 0;\n}\n")
}
