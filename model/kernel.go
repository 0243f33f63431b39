package model

import (
	"fmt"
	"strings"
)

// Op is a statement kind. The values are those of scenarios.Op (SPEC.md section 3),
// except that "setflag FD immutable=" is its own kind, OpSetflagImmutable, so that
// OpSetflag is the FS_XFLAG_DAX ioctl only.
type Op uint8

const (
	OpInvalid Op = iota
	OpOpen
	OpClose
	OpMmap
	OpMunmap
	OpLoad
	OpStore
	OpFlush
	OpMsync
	OpFsync
	OpFdatasync
	OpRead
	OpWrite
	OpTruncate
	OpPunch
	OpFallocate
	OpReflink
	OpDefrag
	OpSetflag
	OpSeal
	OpDaxfile
	OpMincore
	OpStatx
	OpRename
	OpEvict
	OpSetflagImmutable
	OpJbd2 // the journal thread's endless commit loop
	NumOps
)

// Stmt is one statement of a thread program, with every name resolved to an index.
// Programs are static: they are not part of the state.
type Stmt struct {
	Op     Op
	Text   string // source text, for reports
	Line   int    // source line
	Inode  int    // the file the statement works on (-1 when none)
	File   int    // struct file slot: created by open, used by FD statements
	VMA    int    // VMA slot in the thread's process: created by mmap, used by MAP statements
	Dir    int    // rename: target directory
	Write  bool   // open/mmap: rw
	Sync   uint8  // open: 0, 1 = O_SYNC, 2 = O_DSYNC
	Lo     int    // mmap, truncate, punch, fallocate: first page (truncate: new size)
	Hi     int    // last page
	Page   int
	Page2  int
	File2  int // reflink: second struct file slot
	Inode2 int // reflink: the destination file
	// FromMap: write(2) whose user buffer is page Page2 of mapping VMA.
	FromMap bool
	Flags   uint8
	Val     uint8  // store, write: data token
	Flag    string // setflag: "dax" or "immutable"
	On      bool
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

// Kernel is everything static about one run: the kernel paths of the chosen
// proposal, the thread programs, and the names used in reports. It is built once
// and never changes during exploration, so it can be shared by workers.
type Kernel struct {
	Proposal string
	FS       string // "ext4" or "xfs"

	// Paths is the path table: baseline paths, overridden by the proposal.
	Paths [NumPaths]Path
	// Entry is the path each statement kind starts.
	Entry [NumOps]PathID
	// Instantiate sets S_DAX and the a_ops of inode i when it is instantiated
	// (xfs_setup_inode -> xfs_diflags_to_iflags, ext4_set_inode_flags).
	Instantiate func(s *State, i int)
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

	// Bugs are the mutants the kernel runs with (mutants.go).
	Bugs Bug

	// RemapSupported says whether defrag or reflink may run on these files.
	RemapSupported func(c *Ctx) Result
	// Gate, when set, may refuse a change to a file (gate.go).
	Gate func(c *Ctx, op GateOp, i, lo, hi int) Result
	// ProcCaps says which processes have CAP_LINUX_IMMUTABLE.
	ProcCaps []bool

	// Background lets the journal thread commit at any step ("commit
	// background"); otherwise it commits only when asked ("fsync-only").
	Background bool
	// EADR puts the CPU caches in the persistence domain.
	EADR bool

	Threads []ThreadInfo
	Files   []string
	Dirs    []string
	Procs   []string
	Values  []string // data tokens; Values[0] is "0"
	// VMANames are the scenario's names of each process's VMA slots.
	VMANames [MaxProcs][MaxVMAs]string
}

// VMAName is the scenario name of VMA slot v of process p.
func (k *Kernel) VMAName(p, v int) string {
	if n := k.VMANames[p][v]; n != "" {
		return n
	}
	return fmt.Sprintf("vma%d", v)
}

// PathID names a kernel path.
type PathID uint8

// The kernel paths. A proposal replaces entries of [Kernel.Paths].
const (
	PathNone       PathID = iota
	PathNotModeled        // a statement whose kernel path is not modeled yet
	PathOpen
	PathClose
	PathMmap
	PathMunmap
	PathLoad
	PathStore
	PathDAXFault   // dax_iomap_pte_fault via ->fault / ->pfn_mkwrite of DAX vm_ops
	PathPCFault    // filemap_fault and do_shared_fault / do_read_fault
	PathPCMkwrite  // do_wp_page -> ->page_mkwrite of page-cache vm_ops
	PathCOWFault   // do_cow_fault on a private mapping
	PathSetflagDax // FS_IOC_FSSETXATTR with FS_XFLAG_DAX
	PathStatx
	PathEvict
	PathRename
	PathJbd2         // kjournald2: lock the running transaction, commit it
	PathDAXSyncFault // dax_finish_sync_fault: fsync the page, then make the PTE writable
	PathFsync        // fsync, fdatasync, msync, and generic_write_sync
	PathFlush        // user clwb + sfence
	PathRead
	PathWrite
	PathWriteDAX
	PathWritePC
	PathTruncate // truncate and punch
	PathFallocate
	PathDefrag
	PathReflink
	PathSetflagImmutable
	PathDaxfile
	PathSeal
	PathMincore
	PathUserCopy // copy_from_user of a write(2) whose buffer is a mapping
	NumPaths
)

// Path is a kernel path: a sequence of atomic steps.
type Path struct {
	Name  string
	Steps []Step
}

// Step is one atomic step. Do reads and writes the state through the Ctx; when it
// returns Block it must have changed nothing.
type Step struct {
	Fn string // the kernel function it models, for counterexamples
	Do func(c *Ctx) Outcome
}

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
	numFixedResults
	// ResValue + v is the data token v (v = 0 is the value "0").
	ResValue Result = 256
)

var resultNames = [numFixedResults]string{
	"none", "ok", "dax", "nodax", "EBADF", "EACCES", "EPERM", "EBUSY", "EINVAL",
	"EOPNOTSUPP", "ETXTBSY", "ENOSPC", "EIO", "SIGSEGV", "SIGBUS", "ENOMEM", "ENOSYS", "EFAULT",
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
	Thread   int
	PC       int    // statement index the step belongs to
	Path     PathID // path and step that ran
	Step     int
	Fn       string
	Blocked  bool
	WaitOn   LockID // when Blocked on a lock
	Returned bool   // the statement finished with Result
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
	outGoto
	outReturn
	outBlock
)

// Outcome is what a step does next; make one with the Ctx methods.
type Outcome struct {
	kind outKind
	path PathID
	step uint8
	res  Result
	lock LockID
}

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

// Skip jumps over n steps of the path.
func (c *Ctx) Skip(n int) Outcome {
	return Outcome{kind: outGoto, path: PathID(c.Th.Path), step: c.Th.Step + uint8(n) + 1}
}

// Goto continues with step i of path p.
func (c *Ctx) Goto(p PathID, i int) Outcome { return Outcome{kind: outGoto, path: p, step: uint8(i)} }

// Return ends the statement with r.
func (c *Ctx) Return(r Result) Outcome { return Outcome{kind: outReturn, res: r} }

// Block says the step cannot run now because l is held; the state must be unchanged.
func (c *Ctx) Block(l LockID) Outcome { return Outcome{kind: outBlock, lock: l} }

// Use records a call through the file's operations (see [Use]).
func (c *Ctx) Use(call string, ino, pg int, vmops Kind, entry EntryKind) {
	in := &c.S.Inodes[ino]
	c.Ev.Use = Use{Valid: true, Call: call, Inode: ino, Page: pg, VMOps: vmops, Aops: in.Aops, SDax: in.SDax,
		Entry: entry, Started: Kind(c.Th.R[rStarted])}
}

// Proc is the running thread's process.
func (c *Ctx) Proc() *Proc { return &c.S.Procs[c.K.Threads[c.T].Proc] }

// ProcIndex is the running thread's process index.
func (c *Ctx) ProcIndex() int { return c.K.Threads[c.T].Proc }

// Running reports whether thread t has statements left.
func (k *Kernel) Running(s *State, t int) bool {
	return t < len(k.Threads) && s.Threads[t].Status == ThreadRunning
}

// Exec runs one step of thread t on s in place and describes it in ev. It reports
// false, leaving s unchanged, when the thread is done or blocked (ev.Blocked).
func (k *Kernel) Exec(s *State, t int, ev *Event) bool {
	*ev = Event{Thread: t, WaitOn: NoLock}
	if !k.Running(s, t) {
		return false
	}
	th := &s.Threads[t]
	savedPath, savedStep := th.Path, th.Step
	st := &k.Threads[t].Prog[th.PC]
	if th.Path == uint8(PathNone) {
		th.Path = uint8(k.Entry[st.Op])
		th.Step = 0
	}
	p := &k.Paths[th.Path]
	if int(th.Step) >= len(p.Steps) {
		panic(fmt.Sprintf("model: thread %d ran off the end of path %s", t, p.Name))
	}
	step := &p.Steps[th.Step]
	ev.PC, ev.Path, ev.Step, ev.Fn = int(th.PC), PathID(th.Path), int(th.Step), step.Fn
	c := Ctx{K: k, S: s, T: t, Th: th, St: st, Ev: ev}
	out := step.Do(&c)
	switch out.kind {
	case outNext:
		th.Step++
	case outGoto:
		th.Path, th.Step = uint8(out.path), out.step
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
