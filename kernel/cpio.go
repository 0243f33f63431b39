package kernel

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"
)

// cpioArchive builds an initramfs archive in the "newc" format the kernel
// unpacks (init/initramfs.c; Documentation/driver-api/early-userspace/
// buffer-format.rst). Entries are written in a deterministic order, parent
// directories first, with mtime 0, so the same inputs give the same bytes.
// Several archives may be concatenated: the kernel unpacks each in turn, which
// is how a job is appended to the cached guest archive.
type cpioArchive struct {
	entries map[string]cpioEntry
}

type cpioEntry struct {
	mode   uint32 // file type and permission bits
	data   []byte // regular files: the contents; symlinks: the target
	rmajor uint32 // device nodes
	rminor uint32
}

const (
	cpioDir     = 0o040000
	cpioReg     = 0o100000
	cpioSymlink = 0o120000
	cpioChar    = 0o020000
)

func newCpio() *cpioArchive { return &cpioArchive{entries: map[string]cpioEntry{}} }

func (a *cpioArchive) dirs(p string) {
	for d := path.Dir(p); d != "." && d != "/" && d != ""; d = path.Dir(d) {
		if _, ok := a.entries[d]; !ok {
			a.entries[d] = cpioEntry{mode: cpioDir | 0o755}
		}
	}
}

func clean(p string) string { return strings.TrimPrefix(path.Clean("/"+p), "/") }

// File adds a regular file (parents are made as needed).
func (a *cpioArchive) File(p string, perm uint32, data []byte) {
	p = clean(p)
	a.dirs(p)
	a.entries[p] = cpioEntry{mode: cpioReg | perm, data: data}
}

// Dir adds a directory.
func (a *cpioArchive) Dir(p string, perm uint32) {
	p = clean(p)
	a.dirs(p)
	a.entries[p] = cpioEntry{mode: cpioDir | perm}
}

// Symlink adds a symbolic link to target.
func (a *cpioArchive) Symlink(p, target string) {
	p = clean(p)
	a.dirs(p)
	a.entries[p] = cpioEntry{mode: cpioSymlink | 0o777, data: []byte(target)}
}

// CharDev adds a character device node (the kernel needs /dev/console in the
// archive to give init a console before devtmpfs is mounted).
func (a *cpioArchive) CharDev(p string, perm, major, minor uint32) {
	p = clean(p)
	a.dirs(p)
	a.entries[p] = cpioEntry{mode: cpioChar | perm, rmajor: major, rminor: minor}
}

// Bytes renders the archive, trailer included.
func (a *cpioArchive) Bytes() []byte {
	names := make([]string, 0, len(a.entries))
	for n := range a.entries {
		names = append(names, n)
	}
	// Parents sort before their children: compare path by path element.
	sort.Slice(names, func(i, j int) bool {
		return strings.ReplaceAll(names[i], "/", "\x00") < strings.ReplaceAll(names[j], "/", "\x00")
	})
	var b bytes.Buffer
	for i, n := range names {
		e := a.entries[n]
		writeCpio(&b, uint32(i+1), n, e)
	}
	writeCpio(&b, 0, "TRAILER!!!", cpioEntry{})
	return b.Bytes()
}

func writeCpio(b *bytes.Buffer, ino uint32, name string, e cpioEntry) {
	nlink := uint32(1)
	if e.mode&0o170000 == cpioDir {
		nlink = 2
	}
	fmt.Fprintf(b, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		ino, e.mode, 0, 0, nlink, 0, len(e.data), 0, 0, e.rmajor, e.rminor, len(name)+1, 0)
	b.WriteString(name)
	b.WriteByte(0)
	pad4(b)
	b.Write(e.data)
	pad4(b)
}

func pad4(b *bytes.Buffer) {
	for b.Len()%4 != 0 {
		b.WriteByte(0)
	}
}
