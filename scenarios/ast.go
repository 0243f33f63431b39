// Package scenarios parses daxsim scenario files (.scn, SPEC.md section 3) into a
// Scenario syntax tree, and builds from it the initial kernel state and the thread
// programs that the engine explores.
//
// The parser is strict: every error names file:line:col and what was expected, and
// nothing in a malformed file makes it panic. Every statement of the grammar parses,
// including those whose kernel paths are not modeled yet; Build reports those.
package scenarios

import (
	"fmt"

	"github.com/daxsim/daxsim/model"
)

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

// PageRange is PAGES: N or N-M, inclusive, 0-based page indexes.
type PageRange struct{ Lo, Hi int }

// Stmt is one statement of a thread. Which fields are set depends on Op; names
// of bindings (FD, Map, Bind) are local to the thread.
type Stmt struct {
	Op   model.Op // setflag FD immutable= is model.OpSetflagImmutable
	Pos  Pos      // position of the keyword
	Text string   // the statement's source text, trimmed, comment removed

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
	On      bool // setflag, daxfile: on (true) / off (false)
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
	Pages   int     // 1..8
	DAX     bool    // the on-disk FS_XFLAG_DAX (default off)
	Extents []uint8 // model.ExtHole... per page (default written)
	In      string  // parent directory, "" for the root
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

// MaxBindings is how many names a thread may bind with "as". The other limits
// of a scenario are the model's (model.MaxFiles, model.MaxStmts...).
const MaxBindings = 8
