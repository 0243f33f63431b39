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
// of bindings (FD, Map, Bind) are local to the thread (a setup block's are
// visible to the threads of its process).
type Stmt struct {
	Op   model.Op // setflag FD immutable= is model.OpSetflagImmutable
	Pos  Pos      // position of the keyword
	Text string   // the statement's source text, trimmed, comment removed

	File  string    // open, create, unlink, rename, evict, and the FD or MAP's file
	Dir   string    // rename: the target directory; open of a directory and its FD statements
	FD    string    // the FD binding used (close, mmap, fsync, ..., reflink's first)
	FD2   string    // reflink: the second FD binding
	Map   string    // the MAP binding used (munmap, load, store, flush, msync, mincore)
	Bind  string    // the name bound with "as" (open, create, mmap)
	Write bool      // open/mmap: rw (true) or ro (false)
	Sync  string    // open: "", "sync" or "dsync"
	Pages PageRange // mmap, truncate, punch, fallocate, msync
	Page  int       // load, store, flush, read, write, reflink (first), defrag, mincore
	Page2 int       // reflink: the second page
	// Flags: mmap's shared, private, validate, sync, direct; msync's sync,
	// async, invalidate (as written, deduplicated).
	Flags []string
	Value string // store, write: the token
	// SrcFile is the file of the mapping a "write FD PAGE from MAP PAGE" copies
	// from (Map and Page2 name the mapping and its page).
	SrcFile string
	On      bool // setflag, daxfile: on (true) / off (false)
	// Label is the statement's "@name", "" without one.
	Label string
	// After are the statements of other threads that must have returned
	// before this one starts ("... after T:N" or "... after T@label").
	After []Ref
}

// Ref names a statement of a thread: by its 1-based index or by its label.
// The index of a labelled reference is resolved when the whole file is parsed.
type Ref struct {
	Thread string
	Index  int
	Label  string
	Pos    Pos
}

func (r Ref) String() string {
	if r.Label != "" {
		return r.Thread + "@" + r.Label
	}
	return fmt.Sprintf("%s:%d", r.Thread, r.Index)
}

// Dir is a "dir NAME dax=on|off" directive.
type Dir struct {
	Name string
	DAX  bool
	Pos  Pos
}

// File is a "file NAME pages=N [max=M] [dax=on|off] [extents=...] [in=DIR]" or
// "file NAME absent [max=M] [in=DIR]" directive.
type File struct {
	Name    string
	Pages   int     // the initial size in pages: 1..8, 0 for an absent file
	DAX     bool    // the on-disk FS_XFLAG_DAX (default off)
	Extents []uint8 // model.ExtHole... per initial page (default written)
	In      string  // parent directory, "" for the root
	Pos     Pos
	// Max is how many pages statements may name: the file may grow to it
	// (default Pages; an absent file's default is model.MaxPages).
	Max int
	// Absent: the file does not exist at the start; create makes it, with
	// the FS_XFLAG_DAX of its directory.
	Absent bool
}

// Process is a "process NAME uid=N [caps=a,b]" directive.
type Process struct {
	Name string
	UID  int
	Caps []string
	Pos  Pos
}

// Thread is a "thread NAME PROCESS" directive and the statements under it. A
// "setup PROCESS" block is the thread named setup (Setup set; always the first
// thread); an "after crash PROCESS" block is Scenario.AfterCrash, named crash.
type Thread struct {
	Name    string
	Process string
	Stmts   []Stmt
	Pos     Pos
	Setup   bool
}

// ExpectKind is the kind of an expect line.
type ExpectKind uint8

const (
	ExpectViolation ExpectKind = iota + 1 // expect violation P...
	ExpectPass                            // expect pass [P...]
	ExpectResult                          // expect result T:N R[|R...]
	ExpectReachable                       // expect reachable T:N R
)

// Expect is one "expect" line.
type Expect struct {
	Kind  ExpectKind
	Props []string // violation, pass (empty for pass = every checked property)
	// Stmt is the statement of result and reachable (thread "crash": the
	// after-crash block).
	Stmt Ref
	// Results are what result allows (any of them) or reachable looks for: a
	// value token, "0", ok, an errno name (E...), a signal (SIG...), dax, nodax.
	Results []string
	Pos     Pos
}

// CrashThread is the name expect lines give the after-crash block.
const CrashThread = "crash"

// SetupThread is the name of the setup block's thread.
const SetupThread = "setup"

// Scenario is a whole parsed file.
type Scenario struct {
	Path string
	// Source is the text the scenario was parsed from (reports embed it, so
	// that a trace replays without the file).
	Source      []byte
	Name        string
	Proposal    string
	ProposalPos Pos
	FS          string // "ext4" (default) or "xfs"
	Persistence string // "adr" (default) or "eadr"
	Commit      string // "background" (default) or "fsync-only"
	Crash       string // "anywhere" (default), "never" or "after"
	// CrashAfter is the statement of "crash after T:N": the power is cut once
	// it has returned, and only then.
	CrashAfter Ref
	// Mount is the DAX mount option: "inode" (default), "always" or "never".
	Mount string
	// Usage says, for the compare matrix, how the workload asks for
	// durability: "plain" (the interfaces applications already use: MAP_SHARED
	// and a flush, write(2) and fsync), "offered" (what a proposal offers:
	// MAP_SYNC, daxfile, a seal, a frozen block map) or "" (neither).
	Usage string
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
	// AfterCrash is the "after crash PROCESS" block: statements that read, at
	// every crash point, what recovery left (nil: none).
	AfterCrash *Thread
}

// MaxBindings is how many names a thread may bind with "as". The other limits
// of a scenario are the model's (model.MaxFiles, model.MaxStmts...).
const MaxBindings = 8
