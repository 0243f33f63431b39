package scenarios

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/daxsim/daxsim/model"
)

const fullSrc = `# a scenario that uses every directive and statement
scenario full-test
proposal flip-xarray-check      # the proposal
fs xfs
persistence eadr
commit fsync-only
dir d dax=on
dir e
file f pages=2 dax=on extents=written
file g extents=hole,unwritten,shared in=d pages=3
process app uid=1000
process root caps=cap_linux_immutable uid=0

thread t1 app
  open f rw as fd1          # comment
  mmap fd1 0-1 shared,sync rw as m1
  store m1 0 A
  flush m1 0
  load m1 1
  mincore m1 1
  msync m1
  munmap m1
  fsync fd1
  fdatasync fd1
  read fd1 1
  write fd1 0 B2
  truncate fd1 0
  punch fd1 0-1
  fallocate fd1 1
  defrag fd1 0
  statx fd1
  close fd1
	thread t2 root
	open g ro dsync as fd
	open f rw sync as fd2
	reflink fd2 1 fd 2
	setflag fd dax=off
	setflag fd2 immutable=on
	seal fd2 iomap
	daxfile fd on
	mmap fd 2 private,direct,private ro as m
	store m 2 A#same value as t1
	rename g e
	evict f

mutant mutant-one
mutant mutant-two
crash never
check aops-consistent no-lost-blocks
expect violation aops-consistent
expect pass
expect pass no-lost-blocks aops-consistent
expect result t1:3 ok
expect result t2:1 EBUSY
expect result t2:11 nodax
`

var fullOpts = ParseOptions{
	Proposals:  []string{"baseline", "flip-xarray-check", "p"},
	Properties: []string{"aops-consistent", "no-lost-blocks"},
	Mutants:    []string{"mutant-one", "mutant-two"},
}

func TestParseFullDirectives(t *testing.T) {
	sc, err := Parse("full.scn", []byte(fullSrc), fullOpts)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Path", sc.Path, "full.scn"},
		{"Name", sc.Name, "full-test"},
		{"Proposal", sc.Proposal, "flip-xarray-check"},
		{"ProposalPos", sc.ProposalPos, Pos{"full.scn", 3, 10}},
		{"FS", sc.FS, "xfs"},
		{"Persistence", sc.Persistence, "eadr"},
		{"Commit", sc.Commit, "fsync-only"},
		{"Crash", sc.Crash, "never"},
		{"Dirs", sc.Dirs, []Dir{{"d", true, Pos{"full.scn", 7, 1}}, {"e", false, Pos{"full.scn", 8, 1}}}},
		{"Files", sc.Files, []File{
			{Name: "f", Pages: 2, DAX: true, Extents: []uint8{model.ExtWritten, model.ExtWritten}, Pos: Pos{"full.scn", 9, 1}, Max: 2},
			{Name: "g", Pages: 3, Extents: []uint8{model.ExtHole, model.ExtUnwritten, model.ExtShared}, In: "d", Pos: Pos{"full.scn", 10, 1}, Max: 3},
		}},
		{"Procs", sc.Procs, []Process{
			{"app", 1000, nil, Pos{"full.scn", 11, 1}},
			{"root", 0, []string{"cap_linux_immutable"}, Pos{"full.scn", 12, 1}},
		}},
		{"threads", len(sc.Threads), 2},
		{"t1", []any{sc.Threads[0].Name, sc.Threads[0].Process, sc.Threads[0].Pos}, []any{"t1", "app", Pos{"full.scn", 14, 1}}},
		{"t2", []any{sc.Threads[1].Name, sc.Threads[1].Process, sc.Threads[1].Pos}, []any{"t2", "root", Pos{"full.scn", 33, 2}}},
		{"Mutants", sc.Mutants, []string{"mutant-one", "mutant-two"}},
		{"MutantPos", sc.MutantPos, []Pos{{"full.scn", 46, 8}, {"full.scn", 47, 8}}},
		{"Check", sc.Check, []string{"aops-consistent", "no-lost-blocks"}},
		{"CheckPos", sc.CheckPos, Pos{"full.scn", 49, 1}},
		{"Expects", sc.Expects, []Expect{
			{Kind: ExpectViolation, Props: []string{"aops-consistent"}, Pos: Pos{"full.scn", 50, 1}},
			{Kind: ExpectPass, Pos: Pos{"full.scn", 51, 1}},
			{Kind: ExpectPass, Props: []string{"no-lost-blocks", "aops-consistent"}, Pos: Pos{"full.scn", 52, 1}},
			{Kind: ExpectResult, Stmt: Ref{Thread: "t1", Index: 3, Pos: Pos{"full.scn", 53, 15}}, Results: []string{"ok"}, Pos: Pos{"full.scn", 53, 1}},
			{Kind: ExpectResult, Stmt: Ref{Thread: "t2", Index: 1, Pos: Pos{"full.scn", 54, 15}}, Results: []string{"EBUSY"}, Pos: Pos{"full.scn", 54, 1}},
			{Kind: ExpectResult, Stmt: Ref{Thread: "t2", Index: 11, Pos: Pos{"full.scn", 55, 15}}, Results: []string{"nodax"}, Pos: Pos{"full.scn", 55, 1}},
		}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestParseFullStatements(t *testing.T) {
	sc, err := Parse("full.scn", []byte(fullSrc), fullOpts)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]Stmt{{
		{Op: model.OpOpen, Text: "open f rw as fd1", File: "f", Bind: "fd1", Write: true},
		{Op: model.OpMmap, Text: "mmap fd1 0-1 shared,sync rw as m1", File: "f", FD: "fd1", Bind: "m1", Write: true,
			Pages: PageRange{0, 1}, Flags: []string{"shared", "sync"}},
		{Op: model.OpStore, Text: "store m1 0 A", File: "f", Map: "m1", Page: 0, Value: "A"},
		{Op: model.OpFlush, Text: "flush m1 0", File: "f", Map: "m1"},
		{Op: model.OpLoad, Text: "load m1 1", File: "f", Map: "m1", Page: 1},
		{Op: model.OpMincore, Text: "mincore m1 1", File: "f", Map: "m1", Page: 1},
		{Op: model.OpMsync, Text: "msync m1", File: "f", Map: "m1", Pages: PageRange{0, 1}, Flags: []string{"sync"}},
		{Op: model.OpMunmap, Text: "munmap m1", File: "f", Map: "m1"},
		{Op: model.OpFsync, Text: "fsync fd1", File: "f", FD: "fd1"},
		{Op: model.OpFdatasync, Text: "fdatasync fd1", File: "f", FD: "fd1"},
		{Op: model.OpRead, Text: "read fd1 1", File: "f", FD: "fd1", Page: 1},
		{Op: model.OpWrite, Text: "write fd1 0 B2", File: "f", FD: "fd1", Value: "B2"},
		{Op: model.OpTruncate, Text: "truncate fd1 0", File: "f", FD: "fd1", Pages: PageRange{0, 0}},
		{Op: model.OpPunch, Text: "punch fd1 0-1", File: "f", FD: "fd1", Pages: PageRange{0, 1}},
		{Op: model.OpFallocate, Text: "fallocate fd1 1", File: "f", FD: "fd1", Pages: PageRange{1, 1}},
		{Op: model.OpDefrag, Text: "defrag fd1 0", File: "f", FD: "fd1"},
		{Op: model.OpStatx, Text: "statx fd1", File: "f", FD: "fd1"},
		{Op: model.OpClose, Text: "close fd1", File: "f", FD: "fd1"},
	}, {
		{Op: model.OpOpen, Text: "open g ro dsync as fd", File: "g", Bind: "fd", Sync: "dsync"},
		{Op: model.OpOpen, Text: "open f rw sync as fd2", File: "f", Bind: "fd2", Write: true, Sync: "sync"},
		{Op: model.OpReflink, Text: "reflink fd2 1 fd 2", File: "f", FD: "fd2", Page: 1, FD2: "fd", Page2: 2},
		{Op: model.OpSetflag, Text: "setflag fd dax=off", File: "g", FD: "fd"},
		{Op: model.OpSetflagImmutable, Text: "setflag fd2 immutable=on", File: "f", FD: "fd2", On: true},
		{Op: model.OpSeal, Text: "seal fd2 iomap", File: "f", FD: "fd2"},
		{Op: model.OpDaxfile, Text: "daxfile fd on", File: "g", FD: "fd", On: true},
		{Op: model.OpMmap, Text: "mmap fd 2 private,direct,private ro as m", File: "g", FD: "fd", Bind: "m",
			Pages: PageRange{2, 2}, Flags: []string{"private", "direct"}},
		{Op: model.OpStore, Text: "store m 2 A", File: "g", Map: "m", Page: 2, Value: "A"},
		{Op: model.OpRename, Text: "rename g e", File: "g", Dir: "e"},
		{Op: model.OpEvict, Text: "evict f", File: "f"},
	}}
	firstLine := []int{15, 34}
	indent := []int{3, 2}
	for ti, stmts := range want {
		got := sc.Threads[ti].Stmts
		if len(got) != len(stmts) {
			t.Fatalf("thread %d: %d statements, want %d", ti, len(got), len(stmts))
		}
		for i, w := range stmts {
			w.Pos = Pos{"full.scn", firstLine[ti] + i, indent[ti]}
			if !reflect.DeepEqual(got[i], w) {
				t.Errorf("thread %d stmt %d:\n got %+v\nwant %+v", ti, i+1, got[i], w)
			}
		}
	}
}

func TestParseDefaults(t *testing.T) {
	src := "scenario s\nproposal p\nprocess a uid=1\nfile f pages=3\nthread t a\nopen f ro as x\ncheck all\n"
	sc, err := Parse("d.scn", []byte(src), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sc.FS != "ext4" || sc.Persistence != "adr" || sc.Commit != "background" || sc.Crash != "anywhere" {
		t.Errorf("defaults: %q %q %q %q", sc.FS, sc.Persistence, sc.Commit, sc.Crash)
	}
	if sc.Check != nil || sc.CheckPos.Line != 7 {
		t.Errorf("check all: Check=%v CheckPos=%v", sc.Check, sc.CheckPos)
	}
	f := sc.Files[0]
	if f.DAX || f.In != "" || !reflect.DeepEqual(f.Extents, []uint8{model.ExtWritten, model.ExtWritten, model.ExtWritten}) {
		t.Errorf("file defaults: %+v", f)
	}
}

const hdr = "scenario s\nproposal p\nprocess a uid=1\nfile f pages=2\n" // 4 lines
const thr = hdr + "thread t a\n"                                        // 5 lines
const thrFD = thr + "open f rw as fd\n"                                 // 6 lines

func repeat(format string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
}

// manyValues writes 201 distinct values from 7 threads of 30 writes each.
func manyValues() string {
	var b strings.Builder
	b.WriteString(hdr)
	n := 0
	for ti := 0; ti < 7; ti++ {
		fmt.Fprintf(&b, "thread t%d a\nopen f rw as fd\n", ti)
		for i := 0; i < 30; i++ {
			fmt.Fprintf(&b, "write fd 0 V%d\n", n)
			n++
		}
	}
	return b.String()
}

var badCases = []struct {
	name string
	src  string
	opt  ParseOptions
	pos  string // line:col
	msg  string
}{
	{"empty", "", ParseOptions{}, "1:1", `expected "scenario NAME" as the first line, found end of file`},
	{"comments only", "# x\n\n  # y\n", ParseOptions{}, "1:1", `found end of file`},
	{"scenario not first", "# c\nproposal p\n", ParseOptions{}, "2:1", `expected "scenario NAME" as the first line, found "proposal"`},
	{"scenario bad name", "scenario Foo\n", ParseOptions{}, "1:10", `expected a scenario name, found "Foo"`},
	{"scenario missing name", "scenario   # c\n", ParseOptions{}, "1:9", `expected a scenario name, found end of line`},
	{"missing proposal", "  scenario s\n", ParseOptions{}, "1:3", `missing "proposal NAME"`},
	{"missing thread", "scenario s\nproposal p\n", ParseOptions{}, "1:1", `at least one thread`},
	{"duplicate scenario", "scenario s\nscenario t\n", ParseOptions{}, "2:1", `duplicate "scenario" directive (first at line 1)`},
	{"unknown proposal", "scenario s\nproposal flip-foo\n", fullOpts, "2:10", `unknown proposal "flip-foo" (see 'daxsim proposals')`},
	{"duplicate proposal", "scenario s\nproposal p\nproposal q\n", ParseOptions{}, "3:1", `duplicate "proposal"`},
	{"bad fs", "scenario s\nfs btrfs\n", ParseOptions{}, "2:4", `expected xfs or ext4, found "btrfs"`},
	{"fs missing", "scenario s\nfs\n", ParseOptions{}, "2:3", `expected xfs or ext4, found end of line`},
	{"fs extra", "scenario s\nfs xfs extra\n", ParseOptions{}, "2:8", `unexpected "extra" after "fs xfs"`},
	{"bad persistence", "scenario s\npersistence nvram\n", ParseOptions{}, "2:13", `expected adr or eadr`},
	{"bad commit", "scenario s\ncommit never\n", ParseOptions{}, "2:8", `expected background or fsync-only`},
	{"bad crash", "scenario s\ncrash sometimes\n", ParseOptions{}, "2:7", `expected anywhere, never or after, found "sometimes"`},
	{"crash fences", "scenario s\ncrash fences\n", ParseOptions{}, "2:7", `crash fences is not supported`},
	{"duplicate crash", "scenario s\ncrash never\ncrash never\n", ParseOptions{}, "3:1", `duplicate "crash"`},
	{"unknown keyword", thr + "frobnicate x\n", ParseOptions{}, "6:1", `unknown directive or statement "frobnicate"`},
	{"bad dir dax", hdr + "dir d dax=maybe\n", ParseOptions{}, "5:7", `expected dax=on or dax=off, found "dax=maybe"`},
	{"dir extra", hdr + "dir d dax=on x\n", ParseOptions{}, "5:14", `unexpected "x" after "dir d dax=on"`},
	{"dir named like file", hdr + "dir f\n", ParseOptions{}, "5:5", `dir "f" has the name of file f declared at line 4`},
	{"file named like dir", "scenario s\ndir d\nfile d pages=1\n", ParseOptions{}, "3:6", `file "d" has the name of dir d`},
	{"duplicate dir", "scenario s\ndir d\ndir d\n", ParseOptions{}, "3:5", `duplicate dir "d" (first declared at line 2)`},
	{"too many dirs", "scenario s\n" + repeat("dir d%d\n", 5), ParseOptions{}, "6:1", `too many dirs (at most 4)`},
	{"duplicate file", hdr + "file f pages=1\n", ParseOptions{}, "5:6", `duplicate file "f" (first declared at line 4)`},
	{"file bad name", hdr + "file F pages=1\n", ParseOptions{}, "5:6", `expected a file name, found "F"`},
	{"file no pages", hdr + "file g dax=on\n", ParseOptions{}, "5:14", `expected pages=N, found end of line`},
	{"file too many pages", hdr + "file g pages=9\n", ParseOptions{}, "5:8", `expected pages=N with N in 1..8, found "pages=9"`},
	{"file zero pages", hdr + "file g pages=0\n", ParseOptions{}, "5:8", `N in 1..8`},
	{"file unknown option", hdr + "file g pages=1 color=red\n", ParseOptions{}, "5:16", `expected pages=, max=, dax=, extents= or in=, found "color=red"`},
	{"file bare word", hdr + "file g pages=1 dax\n", ParseOptions{}, "5:16", `expected pages=, max=, dax=, extents= or in=, found "dax"`},
	{"file duplicate option", hdr + "file g pages=1 pages=2\n", ParseOptions{}, "5:16", `duplicate option "pages="`},
	{"file bad extent", hdr + "file g pages=2 extents=hole,bogus\n", ParseOptions{}, "5:29", `expected an extent kind hole, unwritten, written or shared, found "bogus"`},
	{"file extents count", hdr + "file g pages=2 extents=hole,written,hole\n", ParseOptions{}, "5:24", `extents= lists 3 kinds, expected one per page (pages=2)`},
	{"file unknown dir", hdr + "file g pages=1 in=x\n", ParseOptions{}, "5:19", `unknown dir "x": declare it first with "dir x"`},
	{"file dir declared later", hdr + "file g pages=1 in=d\ndir d\n", ParseOptions{}, "5:19", `unknown dir "d"`},
	{"too many files", "scenario s\n" + repeat("file f%d pages=1\n", 5), ParseOptions{}, "6:1", `too many files (at most 4)`},
	{"process no uid", hdr + "process b\n", ParseOptions{}, "5:10", `expected uid=N, found end of line`},
	{"process bad uid", hdr + "process b uid=-1\n", ParseOptions{}, "5:11", `expected uid=N with N a decimal number >= 0, found "uid=-1"`},
	{"process unknown cap", hdr + "process b uid=0 caps=cap_sys_admin\n", ParseOptions{}, "5:22", `unknown capability "cap_sys_admin" (the only known capability is cap_linux_immutable)`},
	{"process bad cap name", hdr + "process b uid=0 caps=cap_linux_immutable,Cap\n", ParseOptions{}, "5:42", `expected a capability name`},
	{"process duplicate cap", hdr + "process b uid=0 caps=cap_linux_immutable,cap_linux_immutable\n", ParseOptions{}, "5:42", `duplicate capability`},
	{"duplicate process", hdr + "process a uid=2\n", ParseOptions{}, "5:9", `duplicate process "a" (first declared at line 3)`},
	{"too many processes", "scenario s\n" + repeat("process p%d uid=0\n", 5), ParseOptions{}, "6:1", `too many processes (at most 4)`},
	{"thread unknown process", hdr + "thread t nobody\n", ParseOptions{}, "5:10", `unknown process "nobody": declare it first with "process nobody uid=N"`},
	{"thread missing process", hdr + "thread t\n", ParseOptions{}, "5:9", `expected a process name, found end of line`},
	{"duplicate thread", thrFD + "thread t a\n", ParseOptions{}, "7:8", `duplicate thread "t" (first declared at line 5)`},
	{"too many threads", hdr + repeat("thread t%d a\nopen f ro as x\n", 9), ParseOptions{}, "21:1", `too many threads (at most 8)`},
	{"empty thread before directive", thr + "check all\n", ParseOptions{}, "5:1", `thread t has no statements`},
	{"empty thread at end", thr, ParseOptions{}, "5:1", `thread t has no statements`},
	{"statement outside thread", hdr + "  close fd\n", ParseOptions{}, "5:3", `statement outside a thread`},
	{"statement after directive", thrFD + "crash never\nclose fd\n", ParseOptions{}, "8:1", `statement outside a thread`},
	{"open bad mode", thr + "open f rx as fd\n", ParseOptions{}, "6:8", `expected ro or rw, found "rx"`},
	{"open unknown file", thr + "open h rw as fd\n", ParseOptions{}, "6:6", `unknown file or dir "h": declare it first with "file h pages=N" or "dir h"`},
	{"open missing as", thr + "open f rw   # c\n", ParseOptions{}, "6:10", `expected sync, dsync or as, found end of line`},
	{"open bad sync", thr + "open f rw fsync as fd\n", ParseOptions{}, "6:11", `expected sync, dsync or as, found "fsync"`},
	{"open sync missing as", thr + "open f rw sync\n", ParseOptions{}, "6:15", `expected as, found end of line`},
	{"open bad binding", thr + "open f rw as FD\n", ParseOptions{}, "6:14", `expected a name to bind, found "FD"`},
	{"open twice", thrFD + "open f ro as fd\n", ParseOptions{}, "7:14", `"fd" is already bound in thread t (at line 6)`},
	{"too many opens", hdr + repeat("thread t%d a\nopen f ro as x\nopen f ro as y\n", 5), ParseOptions{}, "18:1", `too many open statements (at most 8`},
	{"unknown fd", thr + "close fd9\n", ParseOptions{}, "6:7", `unknown binding "fd9": bind it first with "open ... as fd9"`},
	{"unknown map", thr + "msync m\n", ParseOptions{}, "6:7", `unknown binding "m": bind it first with "mmap ... as m"`},
	{"binding is thread-local", thrFD + "thread u a\nfsync fd\n", ParseOptions{}, "8:7", `unknown binding "fd"`},
	{"map used as fd", thrFD + "mmap fd 0-1 shared rw as m\nclose m\n", ParseOptions{}, "8:7", `"m" is a mapping (bound at line 7), expected a file descriptor`},
	{"fd used as map", thrFD + "load fd 0\n", ParseOptions{}, "7:6", `"fd" is a file descriptor (bound at line 6), expected a mapping`},
	{"mmap pages outside", thrFD + "mmap fd 0-2 shared rw as m\n", ParseOptions{}, "7:9", `page 2 is outside file f (pages=2)`},
	{"mmap bad range", thrFD + "mmap fd 1-0 shared rw as m\n", ParseOptions{}, "7:9", `expected PAGES (N or N-M with N <= M), found "1-0"`},
	{"mmap shared private", thrFD + "mmap fd 0 shared,private rw as m\n", ParseOptions{}, "7:11", `shared (or validate) and private exclude each other`},
	{"mmap validate private", thrFD + "mmap fd 0 private,validate rw as m\n", ParseOptions{}, "7:11", `exclude each other`},
	{"mmap no sharing", thrFD + "mmap fd 0 sync,direct rw as m\n", ParseOptions{}, "7:11", `need shared, private or validate`},
	{"mmap bad flag", thrFD + "mmap fd 0 shared,bogus rw as m\n", ParseOptions{}, "7:18", `expected an mmap flag shared, private, validate, sync or direct, found "bogus"`},
	{"mmap empty flag", thrFD + "mmap fd 0 shared,,sync rw as m\n", ParseOptions{}, "7:18", `found ""`},
	{"mmap missing as", thrFD + "mmap fd 0 shared rw\n", ParseOptions{}, "7:20", `expected as, found end of line`},
	{"too many mmaps", thrFD + repeat("mmap fd 0 shared rw as m%d\n", 3) + "thread u a\nopen f ro as fd\n" + repeat("mmap fd 0 shared ro as m%d\n", 2), ParseOptions{}, "13:1", `too many mmap statements in process a (at most 4)`},
	{"too many bindings", thr + repeat("open f ro as x%d\n", 5) + repeat("mmap x0 0 shared ro as m%d\n", 4), ParseOptions{}, "14:24", `too many bindings in thread t (at most 8)`},
	{"load outside mapping", thrFD + "mmap fd 0 shared rw as m\nload m 1\n", ParseOptions{}, "8:8", `page 1 is outside mapping m (pages 0)`},
	{"flush below mapping", thrFD + "mmap fd 1 shared rw as m\nflush m 0\n", ParseOptions{}, "8:9", `page 0 is outside mapping m (pages 1)`},
	{"store bad value", thrFD + "mmap fd 0 shared rw as m\nstore m 0 a\n", ParseOptions{}, "8:11", `expected a VALUE ([A-Z][A-Z0-9]*), found "a"`},
	{"store zero value", thrFD + "mmap fd 0 shared rw as m\nstore m 0 0\n", ParseOptions{}, "8:11", `expected a VALUE`},
	{"store missing value", thrFD + "mmap fd 0 shared rw as m\nstore m 0\n", ParseOptions{}, "8:10", `expected a VALUE, found end of line`},
	{"mincore bad page", thrFD + "mmap fd 0 shared rw as m\nmincore m x\n", ParseOptions{}, "8:11", `expected a page number, found "x"`},
	{"read outside file", thrFD + "read fd 5\n", ParseOptions{}, "7:9", `page 5 is outside file f (pages=2)`},
	{"write missing page", thrFD + "write fd\n", ParseOptions{}, "7:9", `expected a page number, found end of line`},
	{"truncate too big", thrFD + "truncate fd 9\n", ParseOptions{}, "7:13", `expected a size in pages 0..8, found "9"`},
	{"truncate range", thrFD + "truncate fd 0-1\n", ParseOptions{}, "7:13", `expected a size in pages 0..8, found "0-1"`},
	{"punch outside", thrFD + "punch fd 1-3\n", ParseOptions{}, "7:10", `page 3 is outside file f (pages=2)`},
	{"fallocate huge", thrFD + "fallocate fd 99999999999999999999\n", ParseOptions{}, "7:14", `expected PAGES`},
	{"reflink second page", thrFD + "open f ro as fd2\nreflink fd 0 fd2 2\n", ParseOptions{}, "8:18", `page 2 is outside file f (pages=2)`},
	{"reflink missing fd2", thrFD + "reflink fd 0\n", ParseOptions{}, "7:13", `expected a file descriptor, found end of line`},
	{"setflag bad", thrFD + "setflag fd dax=maybe\n", ParseOptions{}, "7:12", `expected dax=on|off or immutable=on|off, found "dax=maybe"`},
	{"setflag unknown flag", thrFD + "setflag fd sync=on\n", ParseOptions{}, "7:12", `expected dax=on|off or immutable=on|off`},
	{"seal bad", thrFD + "seal fd foo\n", ParseOptions{}, "7:9", `expected iomap, found "foo"`},
	{"daxfile bad", thrFD + "daxfile fd yes\n", ParseOptions{}, "7:12", `expected on or off, found "yes"`},
	{"rename unknown dir", thrFD + "rename f x\n", ParseOptions{}, "7:10", `unknown dir "x"`},
	{"evict unknown file", thrFD + "evict g\n", ParseOptions{}, "7:7", `unknown file "g"`},
	{"close extra", thrFD + "close fd extra # c\n", ParseOptions{}, "7:10", `unexpected "extra" after "close fd"`},
	{"too many statements", thrFD + repeat("statx fd # %d\n", 32), ParseOptions{}, "38:1", `too many statements in thread t (at most 32)`},
	{"too many values", manyValues(), ParseOptions{}, "219:12", `too many distinct values (at most 200)`},
	{"expect result index", thrFD + "expect result t:9 ok\n", ParseOptions{}, "7:17", `statement 9 does not exist: thread t has 1 statements`},
	{"expect result thread", thrFD + "expect result zz:1 ok\n", ParseOptions{}, "7:15", `unknown thread "zz" in expect result`},
	{"expect result zero", thrFD + "expect result t:0 ok\n", ParseOptions{}, "7:15", `expected THREAD:N with N >= 1, or THREAD@LABEL, found "t:0"`},
	{"expect result no colon", thrFD + "expect result t ok\n", ParseOptions{}, "7:15", `expected THREAD:N`},
	{"expect result bad", thrFD + "expect result t:1 maybe\n", ParseOptions{}, "7:19", `expected a result`},
	{"expect result missing", thrFD + "expect result t:1\n", ParseOptions{}, "7:18", `expected a result`},
	{"expect bad kind", thrFD + "expect failure\n", ParseOptions{}, "7:8", `expected violation, pass, result or reachable, found "failure"`},
	{"expect violation empty", thrFD + "expect violation\n", ParseOptions{}, "7:17", `expected a property name, found end of line`},
	{"expect unknown property", thrFD + "expect pass nope\n", fullOpts, "7:13", `unknown property "nope" (see 'daxsim properties')`},
	{"expect duplicate property", thrFD + "expect violation x x\n", ParseOptions{}, "7:20", `duplicate property "x"`},
	{"check empty", thrFD + "check\n", ParseOptions{}, "7:6", `expected all or property names, found end of line`},
	{"check all extra", thrFD + "check all x\n", ParseOptions{}, "7:11", `unexpected "x" after "check all"`},
	{"check all not alone", thrFD + "check x all\n", ParseOptions{}, "7:9", `"all" must stand alone`},
	{"check unknown", thrFD + "check nope\n", fullOpts, "7:7", `unknown property "nope"`},
	{"duplicate check", thrFD + "check all\ncheck all\n", ParseOptions{}, "8:1", `duplicate "check"`},
	{"unknown mutant", thrFD + "mutant nope\n", fullOpts, "7:8", `unknown mutant "nope" (see 'daxsim mutants')`},
	{"duplicate mutant", thrFD + "mutant x\nmutant x\n", ParseOptions{}, "8:8", `duplicate mutant "x"`},
	{"first error wins", thrFD + "close zz\nfs btrfs\n", ParseOptions{}, "7:7", `unknown binding "zz"`},

	// The language of issue #10.
	{"mount bad", "scenario s\nmount dax=sometimes\n", ParseOptions{}, "2:7", `expected dax=always, dax=never or dax=inode, found "dax=sometimes"`},
	{"mount twice", "scenario s\nmount dax=never\nmount dax=always\n", ParseOptions{}, "3:1", `duplicate "mount"`},
	{"file absent pages", hdr + "file g absent pages=1\n", ParseOptions{}, "5:15", `expected max= or in=, found "pages=1"`},
	{"file max below pages", "scenario s\nfile f pages=3 max=2\n", ParseOptions{}, "2:16", `max=M with M in 3..8`},
	{"page beyond max", "scenario s\nproposal p\nprocess a uid=1\nfile f pages=1 max=2\nthread t a\nopen f rw as fd\nwrite fd 2 A\n", ParseOptions{}, "7:10", `page 2 is outside file f (pages=1, max=2)`},
	{"create unknown", thr + "create h as fd\n", ParseOptions{}, "6:8", `unknown file "h"`},
	{"create no as", thr + "create f fd\n", ParseOptions{}, "6:10", `expected as, found "fd"`},
	{"unlink dir", "scenario s\nproposal p\nprocess a uid=1\ndir d\nthread t a\nunlink d\n", ParseOptions{}, "6:8", `unknown file "d"`},
	{"dir open rw", "scenario s\nproposal p\nprocess a uid=1\ndir d\nthread t a\nopen d rw as fd\n", ParseOptions{}, "6:8", `expected ro, found "rw"`},
	{"dir fd read", "scenario s\nproposal p\nprocess a uid=1\ndir d\nfile f pages=1\nthread t a\nopen d ro as fd\nfsync fd\n", ParseOptions{}, "8:7", `"fd" is a directory (dir d): only close, setflag dax= and statx take it`},
	{"label bad", thrFD + "@Flip close fd\n", ParseOptions{}, "7:1", `expected @LABEL`},
	{"label duplicate", thrFD + "@a close fd\n@a statx fd\n", ParseOptions{}, "8:1", `duplicate label @a in thread t`},
	{"label outside thread", hdr + "@a close fd\n", ParseOptions{}, "5:1", `a labelled statement outside a thread`},
	{"label not statement", thrFD + "@a expect pass\n", ParseOptions{}, "7:4", `expected a statement after @a, found "expect"`},
	{"expect unknown label", thrFD + "expect result t@nope ok\n", ParseOptions{}, "7:16", `thread t has no statement labelled @nope`},
	{"expect result set bad", thrFD + "expect result t:1 ok|what\n", ParseOptions{}, "7:22", `expected a result`},
	{"expect result set dup", thrFD + "expect result t:1 ok|ok\n", ParseOptions{}, "7:22", `duplicate result "ok"`},
	{"reachable one result", thrFD + "expect reachable t:1 ok|EBUSY\n", ParseOptions{}, "7:22", `expect reachable takes one result`},
	{"after own thread", thrFD + "close fd after t:1\n", ParseOptions{}, "7:16", `a statement cannot wait for its own thread (t:1)`},
	{"after unknown thread", thrFD + "close fd after u:1\n", ParseOptions{}, "7:16", `unknown thread "u" in an after clause`},
	{"after cycle", hdr + "thread t a\nopen f rw as fd after u:1\nthread u a\nopen f rw as fd after t:1\n", ParseOptions{}, "6:1", `the after clauses form a cycle`},
	{"after bad ref", thrFD + "close fd after now\n", ParseOptions{}, "7:16", `expected THREAD:N with N >= 1, or THREAD@LABEL, found "now"`},
	{"setup after thread", thrFD + "setup a\nopen f rw as g\n", ParseOptions{}, "7:1", `the setup block must come before the first thread`},
	{"setup unknown process", hdr + "setup b\n", ParseOptions{}, "5:7", `unknown process "b"`},
	{"thread named setup", hdr + "thread setup a\n", ParseOptions{}, "5:8", `"setup" names a block`},
	{"setup after clause", hdr + "setup a\nopen f rw as fd after t:1\nthread t a\nclose fd\n", ParseOptions{}, "6:17", `a setup or after-crash block runs in order`},
	{"after crash write", thrFD + "after crash a\nopen f rw as g\nwrite g 0 A\n", ParseOptions{}, "9:1", `"write" cannot run after a crash`},
	{"after crash only crash", thrFD + "after sunrise a\n", ParseOptions{}, "7:7", `expected crash, found "sunrise"`},
	{"crash after bad", thrFD + "crash after t:5\n", ParseOptions{}, "7:15", `statement 5 does not exist: thread t has 1 statements`},
	{"crash after unknown", thrFD + "crash after crash:1\n", ParseOptions{}, "7:13", `unknown thread "crash" in crash after`},
	{"msync flags exclusive", "scenario s\nproposal p\nprocess a uid=1\nfile f pages=1\nthread t a\nopen f rw as fd\nmmap fd 0 shared rw as m\nmsync m sync,async\n", ParseOptions{}, "8:9", `sync and async exclude each other`},
	{"msync bad flag", "scenario s\nproposal p\nprocess a uid=1\nfile f pages=1\nthread t a\nopen f rw as fd\nmmap fd 0 shared rw as m\nmsync m later\n", ParseOptions{}, "8:9", `expected an msync flag sync, async or invalidate, found "later"`},
	{"msync pages outside", "scenario s\nproposal p\nprocess a uid=1\nfile f pages=2\nthread t a\nopen f rw as fd\nmmap fd 0 shared rw as m\nmsync m 1\n", ParseOptions{}, "8:9", `pages 1 are outside mapping m (pages 0)`},
	{"value like errno", thrFD + "write fd 0 EBUSY\n", ParseOptions{}, "7:12", `VALUE "EBUSY" reads like a result`},
	{"value like signal", thrFD + "write fd 0 SIGFOO\n", ParseOptions{}, "7:12", `VALUE "SIGFOO" reads like a result`},
	{"value like errno shape", thrFD + "write fd 0 EWHATEVER\n", ParseOptions{}, "7:12", `reads like a result`},

	// Bounded inputs (issue #12).
	{"name too long", "scenario " + strings.Repeat("a", 65) + "\n", ParseOptions{}, "1:10", `expected a scenario name of at most 64 characters, found one of 65`},
	{"value too long", thrFD + "write fd 0 " + strings.Repeat("A", 65) + "\n", ParseOptions{}, "7:12", `expected a VALUE of at most 64 characters`},
	{"bom and crlf line numbers", "\ufeffscenario s\r\nproposal p\r\nfs btrfs\r\n", ParseOptions{}, "3:4", `expected xfs or ext4, found "btrfs"`},
	{"cr only line numbers", "scenario s\rproposal p\rfs btrfs\r", ParseOptions{}, "3:4", `expected xfs or ext4, found "btrfs"`},
}

func TestParseErrors(t *testing.T) {
	if len(badCases) < 30 {
		t.Fatalf("only %d malformed cases", len(badCases))
	}
	for _, c := range badCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.scn", []byte(c.src), c.opt)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v (%T), want *Error", err, err)
			}
			if got := fmt.Sprintf("%d:%d", e.Pos.Line, e.Pos.Col); got != c.pos || e.Pos.File != "bad.scn" {
				t.Errorf("position %s:%s, want bad.scn:%s (%v)", e.Pos.File, got, c.pos, err)
			}
			if !strings.Contains(e.Msg, c.msg) {
				t.Errorf("message %q does not contain %q", e.Msg, c.msg)
			}
			if !strings.HasPrefix(err.Error(), "bad.scn:"+c.pos+": ") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestParseFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.scn")
	if err := os.WriteFile(path, []byte(fullSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := ParseFile(path, fullOpts)
	if err != nil || sc.Path != path || sc.Name != "full-test" {
		t.Fatalf("ParseFile: %v, %+v", err, sc)
	}
	_, err = ParseFile(filepath.Join(t.TempDir(), "missing.scn"), ParseOptions{})
	var e *Error
	if err == nil || errors.As(err, &e) {
		t.Fatalf("missing file: got %v, want a plain I/O error", err)
	}
}

func TestParseCRLFAndTabs(t *testing.T) {
	src := "scenario s\r\n\tproposal\tp\r\nprocess a uid=1\r\nfile f pages=1\r\nthread t a\r\n\topen f ro as x \t# c\r\n"
	sc, err := Parse("crlf.scn", []byte(src), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := sc.Threads[0].Stmts[0]; s.Text != "open f ro as x" || s.Pos.Col != 2 {
		t.Errorf("stmt = %+v", s)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(fullSrc)
	for _, c := range badCases {
		if len(c.src) < 2000 {
			f.Add(c.src)
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		sc, err := Parse("fuzz.scn", []byte(src), fullOpts)
		if err == nil {
			if sc == nil || sc.Name == "" || sc.Proposal == "" || len(sc.Threads) == 0 {
				t.Fatalf("incomplete scenario without error: %+v", sc)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v is %T, want *Error", err, err)
		}
		norm := strings.TrimPrefix(src, "\ufeff")
		norm = strings.ReplaceAll(strings.ReplaceAll(norm, "\r\n", "\n"), "\r", "\n")
		lines := strings.Split(norm, "\n")
		if e.Pos.Line < 1 || e.Pos.Col < 1 || e.Pos.Line > len(lines) || e.Pos.Col > len(lines[e.Pos.Line-1])+1 {
			t.Fatalf("bad position %v for %q", e.Pos, src)
		}
	})
}

func TestDeviceDirective(t *testing.T) {
	src := "scenario x\nproposal linux\ndevice blocks=3\nfile f pages=1\nprocess p uid=0\nthread t p\n  open f rw as fd\n"
	scn, err := Parse("d.scn", []byte(src), ParseOptions{})
	if err != nil || scn.Blocks != 3 {
		t.Fatalf("device blocks=3: %v, Blocks=%d", err, scn.Blocks)
	}
	for _, c := range []struct{ src, want string }{
		{"scenario x\nproposal linux\ndevice blocks=0\n", "3:15: expected a number of blocks"},
		{"scenario x\nproposal linux\ndevice size=3\n", "3:8: expected blocks="},
		{"scenario x\nproposal linux\ndevice\n", "3:7: expected blocks=N"},
	} {
		_, err := Parse("d.scn", []byte(c.src), ParseOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.src, err, c.want)
		}
	}
}

// TestStatementTable: every statement of model.Ops has a keyword, a syntax, a
// parser here, and is used by a scenario file under testdata/ (so every
// statement is exercised by the regression suite).
func TestStatementTable(t *testing.T) {
	used := map[model.Op]bool{}
	err := filepath.WalkDir("../testdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".scn") {
			return err
		}
		sc, err := ParseFile(path, ParseOptions{})
		if err != nil {
			return nil // the bad-input files
		}
		for _, th := range sc.Threads {
			for _, s := range th.Stmts {
				used[s.Op] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for op := model.OpOpen; op < model.NumOps; op++ {
		info := model.Ops[op]
		if op == model.OpJbd2 {
			continue // the journal thread's loop: no syntax
		}
		if info.Name == "" || info.Syntax == "" {
			t.Errorf("op %d has no keyword or syntax", op)
		}
		if kw, ok := model.OpByName(info.Name); !ok || stmtFuncs[kw] == nil {
			t.Errorf("op %s has no parser", info.Name)
		}
		if !used[op] {
			t.Errorf("no scenario under testdata/ uses %q", info.Syntax)
		}
	}
}
