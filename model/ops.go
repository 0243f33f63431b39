package model

// The statement table: every kind of statement a scenario thread can run, once.
// The scenario parser reads its keywords and syntax from here, and each entry
// names the kernel path the statement starts (SPEC.md section 3).

// Op is a statement kind: one system call or user action.
type Op uint8

// The statements, in the order of SPEC.md section 3's table.
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
	OpSetflag // setflag FD dax=on|off: FS_XFLAG_DAX
	OpSeal
	OpDaxfile
	OpMincore
	OpStatx
	OpRename
	OpEvict
	OpSetflagImmutable // setflag FD immutable=on|off: the PMEM_IMMUTABLE-like flags
	OpCreate
	OpUnlink
	OpJbd2 // the journal thread's endless commit loop (no syntax)
	NumOps
)

// OpInfo describes one statement kind.
type OpInfo struct {
	Name   string // the keyword
	Syntax string // the statement as SPEC.md writes it
	Entry  PathID // the kernel path it starts
	// Unmerged marks statements that exist only in proposals that were never
	// merged: a real kernel has no system call for them.
	Unmerged bool
}

// Ops is the statement table, indexed by Op.
var Ops = [NumOps]OpInfo{
	OpOpen:             {Name: "open", Syntax: "open FILE|DIR ro|rw [sync|dsync] as FD", Entry: PathOpen},
	OpClose:            {Name: "close", Syntax: "close FD", Entry: PathClose},
	OpMmap:             {Name: "mmap", Syntax: "mmap FD PAGES FLAGS ro|rw as MAP", Entry: PathMmap},
	OpMunmap:           {Name: "munmap", Syntax: "munmap MAP", Entry: PathMunmap},
	OpLoad:             {Name: "load", Syntax: "load MAP PAGE", Entry: PathLoad},
	OpStore:            {Name: "store", Syntax: "store MAP PAGE VALUE", Entry: PathStore},
	OpFlush:            {Name: "flush", Syntax: "flush MAP PAGE", Entry: PathFlush},
	OpMsync:            {Name: "msync", Syntax: "msync MAP [PAGES] [sync|async|invalidate]", Entry: PathFsync},
	OpFsync:            {Name: "fsync", Syntax: "fsync FD", Entry: PathFsync},
	OpFdatasync:        {Name: "fdatasync", Syntax: "fdatasync FD", Entry: PathFsync},
	OpRead:             {Name: "read", Syntax: "read FD PAGE", Entry: PathRead},
	OpWrite:            {Name: "write", Syntax: "write FD PAGE VALUE | write FD PAGE from MAP PAGE", Entry: PathWrite},
	OpTruncate:         {Name: "truncate", Syntax: "truncate FD PAGES", Entry: PathTruncate},
	OpPunch:            {Name: "punch", Syntax: "punch FD PAGES", Entry: PathTruncate},
	OpFallocate:        {Name: "fallocate", Syntax: "fallocate FD PAGES", Entry: PathFallocate},
	OpReflink:          {Name: "reflink", Syntax: "reflink FD PAGE FD2 PAGE", Entry: PathReflink},
	OpDefrag:           {Name: "defrag", Syntax: "defrag FD PAGE", Entry: PathDefrag},
	OpSetflag:          {Name: "setflag", Syntax: "setflag FD dax=on|off", Entry: PathSetflagDax},
	OpSeal:             {Name: "seal", Syntax: "seal FD iomap", Entry: PathSeal, Unmerged: true},
	OpDaxfile:          {Name: "daxfile", Syntax: "daxfile FD on|off", Entry: PathDaxfile, Unmerged: true},
	OpMincore:          {Name: "mincore", Syntax: "mincore MAP PAGE", Entry: PathMincore, Unmerged: true},
	OpStatx:            {Name: "statx", Syntax: "statx FD", Entry: PathStatx},
	OpRename:           {Name: "rename", Syntax: "rename FILE DIR", Entry: PathRename},
	OpEvict:            {Name: "evict", Syntax: "evict FILE", Entry: PathEvict},
	OpSetflagImmutable: {Name: "setflag", Syntax: "setflag FD immutable=on|off", Entry: PathSetflagImmutable, Unmerged: true},
	OpCreate:           {Name: "create", Syntax: "create FILE as FD", Entry: PathCreate},
	OpUnlink:           {Name: "unlink", Syntax: "unlink FILE", Entry: PathUnlink},
	OpJbd2:             {Name: "jbd2", Entry: PathJbd2},
}

func (o Op) String() string {
	if o > OpInvalid && o < NumOps {
		return Ops[o].Name
	}
	return "invalid"
}

// OpByName finds the statement kind of a keyword (for "setflag", OpSetflag: the
// parser tells the immutable= form apart). Internal statements have no keyword.
func OpByName(name string) (Op, bool) {
	for o := OpOpen; o < NumOps; o++ {
		if Ops[o].Name == name && Ops[o].Syntax != "" {
			return o, true
		}
	}
	return OpInvalid, false
}

// Stmt is one statement of a thread program, with every name resolved to an index.
// Programs are static: they are not part of the state.
type Stmt struct {
	Op     Op
	Text   string // source text, for reports
	Line   int    // source line
	Inode  int    // the file the statement works on (-1 when none)
	File   int    // struct file slot: created by open, used by FD statements
	VMA    int    // VMA slot in the thread's process: created by mmap, used by MAP statements
	Dir    int    // rename: target directory; open, and FD statements on a directory's descriptor: the directory
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
	Flags   uint8 // mmap: VMShared...; msync: MSSync...
	Val     uint8 // store, write: data token
	On      bool
	// After are statements of other threads that must have returned before
	// this one starts ("after T:N", and every statement of a setup block
	// before any thread's first).
	After []StmtRef
}

// StmtRef names statement PC (0-based) of thread Thread.
type StmtRef struct {
	Valid      bool
	Thread, PC int
}

// msync flags (Stmt.Flags of an msync).
const (
	MSSync       uint8 = 1 << iota // MS_SYNC
	MSAsync                        // MS_ASYNC
	MSInvalidate                   // MS_INVALIDATE
)

// Mount options (Kernel.Mount): the DAX mount option of 5.8 and later.
const (
	MountInode  uint8 = iota // dax=inode (the default): S_DAX follows FS_XFLAG_DAX
	MountAlways              // dax=always (and the old -o dax)
	MountNever               // dax=never
)

// MountNames names the mount options, indexed by them.
var MountNames = [...]string{"inode", "always", "never"}
