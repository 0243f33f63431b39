package model

import (
	"fmt"
	"strings"
)

// Kernel is everything static about one run: the kernel paths of the chosen
// proposal, the thread programs, and the names used in reports. It is built once
// (NewKernel, then the proposal and the mutants edit it), sealed ([Kernel.Seal]),
// and never changes during exploration, so it can be shared by workers.
type Kernel struct {
	Proposal string
	FS       *FS
	// Mutants are the seeded bugs the kernel runs with (model/mutants), in the
	// order of their registry.
	Mutants []string

	// Paths is the path table: baseline paths, overridden by the proposal. The
	// path each statement starts is in [Ops].
	Paths [NumPaths]Path
	Hooks

	// ProcCaps says which processes have CAP_LINUX_IMMUTABLE.
	ProcCaps []bool
	// ProcUIDs are the processes' uids. uid 0 is root with every capability
	// (CAP_FOWNER: inode_owner_or_capable holds for any inode).
	ProcUIDs []uint32
	// Background lets the journal thread commit at any step ("commit
	// background"); otherwise it commits only when asked ("fsync-only").
	Background bool
	// ThreadOrdered says steps depend on thread numbers (a wait queue that
	// wakes the lowest-numbered waiter): threads are not interchangeable, so
	// Symmetry finds none.
	ThreadOrdered bool
	// EADR puts the CPU caches in the persistence domain.
	EADR bool
	// Mount is the DAX mount option (MountInode, MountAlways, MountNever).
	Mount uint8
	// CrashAfter, when Valid, is the statement after which the power is cut
	// ("crash after T:N"): once it has returned no scenario thread runs again
	// (the journal thread may still commit), and only those states are crash
	// points.
	CrashAfter StmtRef

	Threads []ThreadInfo
	Files   []string
	Dirs    []string
	Procs   []string
	Values  []string // data tokens; Values[0] is "0"
	// VMANames are the scenario's names of each process's VMA slots.
	VMANames [MaxProcs][MaxVMAs]string

	sealed   bool
	hookFeet [numHooks]hookDecl // the hooks' declared footprints (footprint.go)
}

// Hooks are the decisions of the shared paths that a proposal may replace
// (model/proposals) and the kernel functions shared by several paths that a
// mutant may replace (model/mutants). The defaults are the baseline kernel's.
type Hooks struct {
	// Instantiate sets S_DAX and the a_ops of inode i when it is instantiated
	// (xfs_setup_inode -> xfs_diflags_to_iflags, ext4_set_inode_flags).
	Instantiate func(k *Kernel, s *State, i int)
	// MmapFlags validates the flags of an mmap and returns the VMA flags
	// (do_mmap's MAP_SHARED_VALIDATE check and calc_vm_flag_bits), or an error.
	MmapFlags func(c *Ctx, flags uint8) (uint8, Result)
	// MmapCheck is the filesystem's ->mmap check of the VMA flags (ext4_file_mmap,
	// xfs_file_mmap), made after the generic checks.
	MmapCheck func(c *Ctx, vmflags uint8) Result
	// SyncFault is dax_fault_is_synchronous: a write fault that must make the
	// metadata durable before it installs a writable PTE (MAP_SYNC).
	SyncFault func(c *Ctx, v *VMA) bool
	// UserFlushPromised says whether a flush from user space through VMA v is a
	// durability promise of the kernel (MAP_SYNC, a pinned block map).
	UserFlushPromised func(c *Ctx, v *VMA) bool
	// RemapSupported says whether defrag or reflink may run on these files.
	RemapSupported func(c *Ctx) Result
	// Gate, when set, may refuse a change to a file (gate.go).
	Gate func(c *Ctx, op GateOp, i, lo, hi int) Result
	// ExtraInodeRefs, when set, counts the references to inode i a proposal
	// holds besides open files (daxfile keeps one while S_DAXFILE is set), for
	// CheckInvariants.
	ExtraInodeRefs func(s *State, i int) int

	// DaxWritebackOne is fs/dax.c:dax_writeback_one for a dirty DAX entry of
	// page pg of inode i: write-protect its PTEs (dax_entry_mkclean), flush its
	// block (dax_flush), clean the entry.
	DaxWritebackOne func(s *State, i, pg int)
	// IputFinal is iput_final of an unreferenced I_DONTCACHE inode: evict it,
	// writing back its dirty pages first.
	IputFinal func(s *State, i int)
	// ShouldRetryAlloc is ext4_should_retry_alloc (and XFS's flush of busy
	// extents): after ENOSPC, is a journal commit worth waiting for because the
	// running transaction frees blocks?
	ShouldRetryAlloc func(s *State) bool
}

// ThreadInfo is a thread's static description.
type ThreadInfo struct {
	Name string
	Proc int
	Prog []Stmt
	// Daemon marks a kernel thread (the journal's) that runs forever: it never
	// finishes, and a state where only it can move is not a deadlock.
	Daemon bool
}

// VMAName is the scenario name of VMA slot v of process p.
func (k *Kernel) VMAName(p, v int) string {
	if n := k.VMANames[p][v]; n != "" {
		return n
	}
	return fmt.Sprintf("vma%d", v)
}

// Sealed reports whether the kernel is sealed.
func (k *Kernel) Sealed() bool { return k.sealed }

// Result is what a statement returns: a data token, ok, an errno, a signal, or
// dax/nodax from statx.
type Result uint16

const (
	ResNone Result = iota
	ResOK
	ResDax
	ResNodax
	ResEBADF
	ResEACCES
	ResEPERM
	ResEBUSY
	ResEINVAL
	ResEOPNOTSUPP
	ResETXTBSY
	ResENOSPC
	ResEIO
	ResSIGSEGV
	ResSIGBUS
	ResENOMEM
	ResENOSYS
	ResEFAULT
	ResENOENT
	ResEEXIST
	numFixedResults
	// ResValue + v is the data token v (v = 0 is the value "0").
	ResValue Result = 256
)

var resultNames = [numFixedResults]string{
	"none", "ok", "dax", "nodax", "EBADF", "EACCES", "EPERM", "EBUSY", "EINVAL",
	"EOPNOTSUPP", "ETXTBSY", "ENOSPC", "EIO", "SIGSEGV", "SIGBUS", "ENOMEM", "ENOSYS", "EFAULT",
	"ENOENT", "EEXIST",
}

// ResultName names r using the kernel's value table.
func (k *Kernel) ResultName(r Result) string {
	if r >= ResValue {
		v := int(r - ResValue)
		if v < len(k.Values) {
			return k.Values[v]
		}
		return fmt.Sprintf("value%d", v)
	}
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return fmt.Sprintf("result%d", r)
}

// ResultByName finds a fixed result (ok, dax, nodax, an errno or a signal) by
// its name; data tokens are the kernel's (ParseResult).
func ResultByName(name string) (Result, bool) {
	for i, n := range resultNames {
		if i > 0 && n == name {
			return Result(i), true
		}
	}
	return ResNone, false
}

// ParseResult is the inverse of ResultName; ok is false for a name that no
// statement can return (an unknown errno, or a value token no statement writes).
func (k *Kernel) ParseResult(name string) (Result, bool) {
	for i, n := range resultNames {
		if i > 0 && n == name {
			return Result(i), true
		}
	}
	for v, n := range k.Values {
		if n == name {
			return ResValue + Result(v), true
		}
	}
	return ResNone, false
}

// Use records one call through a file's operations during a fault or mkwrite:
// which kind of ops the call went through and what it found. The aops-consistent
// property checks that all of them agree.
type Use struct {
	Valid bool
	Call  string // "->fault", "->pfn_mkwrite", "->page_mkwrite", ...
	Inode int
	Page  int
	VMOps Kind      // the VMA's vm_ops kind
	Aops  Kind      // the inode's a_ops kind at this moment
	SDax  uint8     // the inode's S_DAX at this moment
	Entry EntryKind // the xarray entry found or created
	// Started is the a_ops kind when this fault first called through the ops;
	// it differs from Aops when the ops were swapped under the running fault.
	Started Kind
}

// Data describes the data a load or read returned, for no-data-leak.
type Data struct {
	Valid bool
	Inode int   // the file read
	Tag   uint8 // whose data it was (0: zeroes)
	Freed bool  // it came from a block that is free
	// Cloned: the tag is the data a reflink shared into this page (Inode.Origin).
	Cloned bool
	// Page is the file page read; Ver the data version returned (0: zeroes or
	// the initial data) when the data is this page's own or its clone's.
	Page     int
	Ver      uint8
	VerKnown bool // Ver is meaningful (read-your-writes)
}

// Event is what one step reports to the engine and the checker. It is not part of
// the state.
type Event struct {
	Thread  int
	PC      int    // statement index the step belongs to
	Path    PathID // path and step that ran
	Step    int
	Fn      string
	Blocked bool
	WaitOn  LockID // when Blocked on a lock
	// Awaits, when Blocked before a statement starts, is the statement of
	// another thread it must wait for (Stmt.After).
	Awaits   *StmtRef
	Returned bool // the statement finished with Result
	Result   Result
	Use      Use
	Data     Data
	// Fence: the step made data durable (a flush, a fence, a commit): a crash
	// point just before it dominates those since the previous one
	// (reference/crash-model.md 3.5).
	Fence bool
	// Obligation: the step created a durability obligation.
	Obligation bool
	// Denial: the statement failed because of another process's pin or flag.
	Denial Denial
	// WaitsCommit: the step asked for a journal commit that the thread now waits
	// for (jbd2_log_wait_commit): for lock-order, a wait on every handle.
	WaitsCommit bool
}

type outKind uint8

const (
	outNext outKind = iota
	outAgain
	outJump
	outReturn
	outBlock
)

// Outcome is what a step does next; make one with the Ctx methods.
type Outcome struct {
	kind outKind
	to   Target
	res  Result
	lock LockID
}

// Returned reports whether the step ended its statement, and with what.
func (o Outcome) Returned() (Result, bool) { return o.res, o.kind == outReturn }

// Continues reports whether the step goes on with the next step of its path.
func (o Outcome) Continues() bool { return o.kind == outNext }

// Blocked reports whether the step could not run.
func (o Outcome) Blocked() bool { return o.kind == outBlock }

// Jumped reports whether the step continues at another step, and where.
func (o Outcome) Jumped() (Target, bool) { return o.to, o.kind == outJump }

// Ctx is the view a step has: the state, the running thread, its statement.
type Ctx struct {
	K  *Kernel
	S  *State
	T  int
	Th *Thread
	St *Stmt
	Ev *Event
}

// Next goes on with the following step of the path.
func (c *Ctx) Next() Outcome { return Outcome{kind: outNext} }

// Again runs this step again (a loop over pages, a sleep on a wait queue).
func (c *Ctx) Again() Outcome { return Outcome{kind: outAgain} }

// Jump continues at the step labelled label of path p (p may be PathSelf; ""
// is the path's first step). The step must declare the target in its Jumps.
func (c *Ctx) Jump(p PathID, label string) Outcome {
	return Outcome{kind: outJump, to: Target{Path: p, Label: label}}
}

// JumpPast continues at the step after the one labelled label of path p.
func (c *Ctx) JumpPast(p PathID, label string) Outcome {
	return Outcome{kind: outJump, to: Target{Path: p, Label: label, Past: true}}
}

// Return ends the statement with r.
func (c *Ctx) Return(r Result) Outcome { return Outcome{kind: outReturn, res: r} }

// Block says the step cannot run now because l is held; the state must be unchanged.
func (c *Ctx) Block(l LockID) Outcome { return Outcome{kind: outBlock, lock: l} }

// Path is the path the running step belongs to.
func (c *Ctx) Path() PathID { return PathID(c.Th.Path) }

// Use records a call through the file's operations (see [Use]).
func (c *Ctx) Use(call string, ino, pg int, vmops Kind, entry EntryKind) {
	in := &c.S.Inodes[ino]
	c.Ev.Use = Use{Valid: true, Call: call, Inode: ino, Page: pg, VMOps: vmops, Aops: in.Aops, SDax: in.SDax,
		Entry: entry, Started: Kind(c.Fault().Started)}
}

// Use declares Ctx.Use: the inode's a_ops and S_DAX at the call.
func (f *Foot) Use() { f.R(RCore) }

// Proc is the running thread's process.
func (c *Ctx) Proc() *Proc { return &c.S.Procs[c.K.Threads[c.T].Proc] }

// ProcIndex is the running thread's process index.
func (c *Ctx) ProcIndex() int { return c.K.Threads[c.T].Proc }

// Running reports whether thread t has statements left and may still run: after
// the power cut of "crash after T:N" no scenario thread runs again.
func (k *Kernel) Running(s *State, t int) bool {
	if t >= len(k.Threads) || s.Threads[t].Status != ThreadRunning {
		return false
	}
	return !k.CrashAfter.Valid || k.Threads[t].Daemon || !k.Cut(s)
}

// Cut reports whether the statement of "crash after T:N" has returned: the
// power is cut in s (only the journal thread moves on).
func (k *Kernel) Cut(s *State) bool {
	a := &k.CrashAfter
	return a.Valid && done(s, *a)
}

// done reports whether statement r has returned in s.
func done(s *State, r StmtRef) bool {
	th := &s.Threads[r.Thread]
	return th.Status == ThreadDone || int(th.PC) > r.PC
}

// CrashPoint reports whether a crash may happen in s: any state, unless the
// scenario cuts the power after a statement ("crash after T:N"), then only the
// states after that cut.
func (k *Kernel) CrashPoint(s *State) bool { return !k.CrashAfter.Valid || k.Cut(s) }

// Exec runs one step of thread t on s in place and describes it in ev. It reports
// false, leaving s unchanged, when the thread is done or blocked (ev.Blocked).
// The kernel must be sealed.
func (k *Kernel) Exec(s *State, t int, ev *Event) bool {
	*ev = Event{Thread: t, WaitOn: NoLock}
	if !k.Running(s, t) {
		return false
	}
	if !k.sealed {
		panic("model: Exec on a kernel that is not sealed")
	}
	th := &s.Threads[t]
	savedPath, savedStep := th.Path, th.Step
	st := &k.Threads[t].Prog[th.PC]
	if th.Path == uint8(PathNone) {
		for i := range st.After {
			if a := &st.After[i]; !done(s, *a) {
				ev.PC, ev.Fn = int(th.PC), "waits for "+k.ThreadName(a.Thread)+":"+fmt.Sprint(a.PC+1)
				ev.Blocked, ev.Awaits = true, a
				return false
			}
		}
		th.Path = uint8(Ops[st.Op].Entry)
		th.Step = 0
	}
	cur := PathID(th.Path)
	p := &k.Paths[cur]
	if int(th.Step) >= len(p.Steps) {
		panic(fmt.Sprintf("model: thread %d ran off the end of path %s", t, p.Name))
	}
	step := &p.Steps[th.Step]
	ev.PC, ev.Path, ev.Step, ev.Fn = int(th.PC), cur, int(th.Step), step.Fn
	c := Ctx{K: k, S: s, T: t, Th: th, St: st, Ev: ev}
	out := step.Do(&c)
	switch out.kind {
	case outNext:
		th.Step++
	case outAgain:
		th.Path, th.Step = uint8(cur), uint8(ev.Step)
	case outJump:
		q, i := k.jumpTo(step, cur, out.to)
		th.Path, th.Step = uint8(q), i
	case outReturn:
		ev.Returned, ev.Result = true, out.res
		th.Held &^= markerLocks
		th.PC++
		th.Path, th.Step = 0, 0
		th.R = [MaxRegs]uint8{}
		if int(th.PC) >= len(k.Threads[t].Prog) {
			th.Status = ThreadDone
		}
	case outBlock:
		th.Path, th.Step = savedPath, savedStep
		ev.Blocked, ev.WaitOn = true, out.lock
		return false
	}
	checkInvariants(k, s)
	return true
}

// Name helpers for reports.

// FileName is the scenario name of inode i.
func (k *Kernel) FileName(i int) string { return nameAt(k.Files, i, "file") }

// ProcName is the scenario name of process p.
func (k *Kernel) ProcName(p int) string { return nameAt(k.Procs, p, "proc") }

// DirName is the scenario name of directory d.
func (k *Kernel) DirName(d int) string { return nameAt(k.Dirs, d, "dir") }

// ThreadName is the scenario name of thread t.
func (k *Kernel) ThreadName(t int) string {
	if t >= 0 && t < len(k.Threads) {
		return k.Threads[t].Name
	}
	return fmt.Sprintf("thread%d", t)
}

// ValueName names a data token.
func (k *Kernel) ValueName(v uint8) string { return nameAt(k.Values, int(v), "value") }

func nameAt(names []string, i int, kind string) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("%s%d", kind, i)
}

// StmtAt is statement pc of thread t, or nil past the end.
func (k *Kernel) StmtAt(t, pc int) *Stmt {
	if t < 0 || t >= len(k.Threads) || pc < 0 || pc >= len(k.Threads[t].Prog) {
		return nil
	}
	return &k.Threads[t].Prog[pc]
}

// DescribeThreads is one line per thread: where it is and what it holds.
func (k *Kernel) DescribeThreads(s *State) string {
	var b strings.Builder
	for t := range k.Threads {
		th := &s.Threads[t]
		fmt.Fprintf(&b, "%s: ", k.ThreadName(t))
		if th.Status == ThreadDone {
			b.WriteString("done\n")
			continue
		}
		st := k.StmtAt(t, int(th.PC))
		fmt.Fprintf(&b, "stmt %d %q", th.PC+1, st.Text)
		if th.Path != 0 {
			p := &k.Paths[th.Path]
			fmt.Fprintf(&b, " at %s", p.Steps[th.Step].Fn)
		}
		fmt.Fprintf(&b, ", holds %s\n", k.DescribeHeld(s, t))
	}
	return b.String()
}

// ParseResultOrIntern returns the data token named v, adding it to the value table
// if no statement uses it yet. v is a VALUE token or "0".
func (k *Kernel) ParseResultOrIntern(v string) uint8 {
	for i, n := range k.Values {
		if n == v {
			return uint8(i)
		}
	}
	if len(k.Values) == 0 {
		k.Values = []string{"0"}
		if v == "0" {
			return 0
		}
	}
	if v == "" || v[0] < 'A' || v[0] > 'Z' || len(k.Values) >= 255 {
		return 0
	}
	k.Values = append(k.Values, v)
	return uint8(len(k.Values) - 1)
}
