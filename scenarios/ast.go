// Package scenarios parses daxsim scenario files (.scn, SPEC.md section 3) into a
// Scenario syntax tree, and builds from it the initial kernel state and the thread
// programs that the engine explores.
//
// The parser is strict: every error names file:line:col and what was expected, and
// nothing in a malformed file makes it panic. Every statement of the grammar parses,
// including those whose kernel paths are not modeled yet; Build reports those.
package scenarios

import "fmt"

// Pos is a position in a scenario file. Line and Col are 1-based; Col counts bytes.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Error is a parse or validation error at a position. Its text is
// "file:line:col: message".
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Op is a statement kind (one system call or user action).
type Op uint8

// The statements of SPEC.md section 3, in the order of its table.
const (
	OpInvalid   Op = iota
	OpOpen         // open FILE ro|rw [sync|dsync] as FD
	OpClose        // close FD
	OpMmap         // mmap FD PAGES FLAGS ro|rw as MAP
	OpMunmap       // munmap MAP
	OpLoad         // load MAP PAGE
	OpStore        // store MAP PAGE VALUE
	OpFlush        // flush MAP PAGE
	OpMsync        // msync MAP
	OpFsync        // fsync FD
	OpFdatasync    // fdatasync FD
	OpRead         // read FD PAGE
	OpWrite        // write FD PAGE VALUE  |  write FD PAGE from MAP PAGE
	OpTruncate     // truncate FD PAGES   (PAGES: the new size in pages, a single N)
	OpPunch        // punch FD PAGES
	OpFallocate    // fallocate FD PAGES
	OpReflink      // reflink FD PAGE FD2 PAGE
	OpDefrag       // defrag FD PAGE
	OpSetflag      // setflag FD dax=on|off  /  setflag FD immutable=on|off
	OpSeal         // seal FD iomap
	OpDaxfile      // daxfile FD on|off
	OpMincore      // mincore MAP PAGE
	OpStatx        // statx FD
	OpRename       // rename FILE DIR
	OpEvict        // evict FILE
	numOps
)

var opNames = [...]string{
	OpInvalid: "invalid", OpOpen: "open", OpClose: "close", OpMmap: "mmap", OpMunmap: "munmap",
	OpLoad: "load", OpStore: "store", OpFlush: "flush", OpMsync: "msync", OpFsync: "fsync",
	OpFdatasync: "fdatasync", OpRead: "read", OpWrite: "write", OpTruncate: "truncate",
	OpPunch: "punch", OpFallocate: "fallocate", OpReflink: "reflink", OpDefrag: "defrag",
	OpSetflag: "setflag", OpSeal: "seal", OpDaxfile: "daxfile", OpMincore: "mincore",
	OpStatx: "statx", OpRename: "rename", OpEvict: "evict",
}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", o)
}

// OpByName returns the statement kind with that keyword.
func OpByName(s string) (Op, bool) {
	for i := Op(1); i < numOps; i++ {
		if opNames[i] == s {
			return i, true
		}
	}
	return OpInvalid, false
}

// PageRange is PAGES: N or N-M, inclusive, 0-based page indexes.
type PageRange struct{ Lo, Hi int }

// Stmt is one statement of a thread. Which fields are set depends on Op; names
// of bindings (FD, Map, Bind) are local to the thread.
type Stmt struct {
	Op   Op
	Pos  Pos    // position of the keyword
	Text string // the statement's source text, trimmed, comment removed

	File  string    // open, rename, evict: the file name
	Dir   string    // rename: the target directory
	FD    string    // the FD binding used (close, mmap, fsync, ..., reflink's first)
	FD2   string    // reflink: the second FD binding
	Map   string    // the MAP binding used (munmap, load, store, flush, msync, mincore)
	Bind  string    // the name bound with "as" (open, mmap)
	Write bool      // open/mmap: rw (true) or ro (false)
	Sync  string    // open: "", "sync" or "dsync"
	Pages PageRange // mmap, truncate, punch, fallocate
	Page  int       // load, store, flush, read, write, reflink (first), defrag, mincore
	Page2 int       // reflink: the second page
	Flags []string  // mmap: shared, private, validate, sync, direct (as written, deduplicated)
	Value string    // store, write: the token
	// SrcFile is the file of the mapping a "write FD PAGE from MAP PAGE" copies
	// from (Map and Page2 name the mapping and its page).
	SrcFile string
	Flag    string // setflag: "dax" or "immutable"; seal: "iomap"
	On      bool   // setflag, daxfile: on (true) / off (false)
}

// Dir is a "dir NAME dax=on|off" directive.
type Dir struct {
	Name string
	DAX  bool
	Pos  Pos
}

// File is a "file NAME pages=N [dax=on|off] [extents=...] [in=DIR]" directive.
type File struct {
	Name    string
	Pages   int      // 1..8
	DAX     bool     // the on-disk FS_XFLAG_DAX (default off)
	Extents []string // one of hole|unwritten|written|shared per page (default written)
	In      string   // parent directory, "" for the root
	Pos     Pos
}

// Process is a "process NAME uid=N [caps=a,b]" directive.
type Process struct {
	Name string
	UID  int
	Caps []string
	Pos  Pos
}

// Thread is a "thread NAME PROCESS" directive and the statements under it.
type Thread struct {
	Name    string
	Process string
	Stmts   []Stmt
	Pos     Pos
}

// ExpectKind is the kind of an expect line.
type ExpectKind uint8

const (
	ExpectViolation ExpectKind = iota + 1 // expect violation P...
	ExpectPass                            // expect pass [P...]
	ExpectResult                          // expect result T:N R
)

// Expect is one "expect" line.
type Expect struct {
	Kind   ExpectKind
	Props  []string // violation, pass (empty for pass = every checked property)
	Thread string   // result
	Index  int      // result: the 1-based statement index in the thread
	Result string   // result: a value token, "0", ok, an errno name (E...), a signal (SIG...), dax, nodax
	Pos    Pos
}

// Scenario is a whole parsed file.
type Scenario struct {
	Path        string
	Name        string
	Proposal    string
	ProposalPos Pos
	FS          string // "ext4" (default) or "xfs"
	Persistence string // "adr" (default) or "eadr"
	Commit      string // "background" (default) or "fsync-only"
	Crash       string // "anywhere" (default), "never" or "fences"
	// Blocks is the pmem device size in blocks ("device blocks=N"; 0: the
	// model's maximum). A daxsim extension of SPEC.md section 3, for ENOSPC.
	Blocks    int
	Dirs      []Dir
	Files     []File
	Procs     []Process
	Threads   []Thread
	Mutants   []string
	MutantPos []Pos
	Check     []string // nil or empty: all
	CheckPos  Pos
	Expects   []Expect
}

// Limits of the model (DESIGN.md: the state is a fixed-size value).
const (
	MaxFiles     = 4
	MaxDirs      = 4
	MaxPages     = 8
	MaxThreads   = 8
	MaxProcs     = 4
	MaxStmts     = 32 // statements per thread
	MaxBindings  = 8  // names bound with "as" per thread
	MaxValues    = 200
	MaxMappings  = 4 // mmap statements per process (summed over its threads)
	MaxOpenFiles = 8 // open statements in the whole scenario
	MaxBlocks    = 40
)
