package model

import (
	"fmt"
	"reflect"
	"strings"
)

// Kernel paths are lists of labelled steps. A step continues at the next step of
// its path, at a step it names by label (a jump), or ends the statement; it never
// names a step by number. The labels are resolved once, when the kernel is sealed
// ([Kernel.Seal]) after the proposal and the mutants have edited the paths, and
// sealing refuses a kernel with a jump to an unknown label, a step no entry
// reaches, or two register views that one statement can use at once.

// PathID names a kernel path.
type PathID uint8

// The kernel paths. A proposal replaces entries of [Kernel.Paths].
const (
	PathNone PathID = iota
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
	PathCreate
	PathUnlink
	NumPaths
)

var pathNames = [NumPaths]string{
	PathNone: "none", PathOpen: "open", PathClose: "close", PathMmap: "mmap", PathMunmap: "munmap",
	PathLoad: "load", PathStore: "store", PathDAXFault: "dax-fault", PathPCFault: "pagecache-fault",
	PathPCMkwrite: "pagecache-mkwrite", PathCOWFault: "cow-fault", PathSetflagDax: "setflag-dax",
	PathStatx: "statx", PathEvict: "evict", PathRename: "rename", PathJbd2: "jbd2",
	PathDAXSyncFault: "dax-sync-fault", PathFsync: "fsync", PathFlush: "flush", PathRead: "read",
	PathWrite: "write", PathWriteDAX: "write-dax", PathWritePC: "write-pagecache", PathTruncate: "truncate",
	PathFallocate: "fallocate", PathDefrag: "defrag", PathReflink: "reflink",
	PathSetflagImmutable: "setflag-immutable", PathDaxfile: "daxfile", PathSeal: "seal",
	PathMincore: "mincore", PathUserCopy: "user-copy", PathCreate: "create", PathUnlink: "unlink",
}

// String is the path's stable name (what proposals say they override).
func (p PathID) String() string {
	if p < NumPaths {
		return pathNames[p]
	}
	if p == PathSelf {
		return "self"
	}
	return fmt.Sprintf("path%d", p)
}

// PathSelf in a [Target] is the path of the step that names it (for step
// builders shared by several paths, such as [DownWrite]).
const PathSelf PathID = 255

// Path is a kernel path: a sequence of atomic steps.
type Path struct {
	Name  string
	Steps []Step
	// Regs are the register views its steps use (see regs.go).
	Regs RegView
}

// StepFunc is what a step does (Step.Do).
type StepFunc = func(c *Ctx) Outcome

// Step is one atomic step. Do reads and writes the state through the Ctx; when it
// returns Block it must have changed nothing.
type Step struct {
	Label string // unique in its path: what jumps, proposals and mutants name it by
	Fn    string // the kernel function it models, for counterexamples
	Do    func(c *Ctx) Outcome
	// Jumps are the steps Do may continue at other than the next one of its path
	// and itself ([Ctx.Again]); it may also return, block or retry the user
	// access ([RetryJumps]). A jump Do makes that is not declared here panics.
	Jumps []Target
	// Foot declares what Do may read and write, for partial-order reduction
	// (footprint.go); nil declares nothing, which means everything.
	Foot func(f *Foot)

	to     []uint16        // resolved Jumps: path<<8 | step, set by Seal
	extra  []func(f *Foot) // what declared wrappers add to Foot
	opaque bool            // wrapped without a declaration: touches everything
}

// Target names a step: the step labelled Label of Path, or the path's first
// step when Label is empty; with Past, the step after that one.
type Target struct {
	Path  PathID
	Label string
	Past  bool
}

// At is the step labelled label of path p ("" for its first step).
func At(p PathID, label string) Target { return Target{Path: p, Label: label} }

// Past is the step after the one labelled label of path p.
func Past(p PathID, label string) Target { return Target{Path: p, Label: label, Past: true} }

func (t Target) String() string {
	s := t.Path.String()
	if t.Path == PathSelf {
		s = "this path"
	}
	if t.Label != "" {
		s += ":" + t.Label
	}
	if t.Past {
		s = "past " + s
	}
	return s
}

// Index is the position of the step labelled label in p, or -1.
func (p *Path) Index(label string) int {
	for i := range p.Steps {
		if p.Steps[i].Label == label {
			return i
		}
	}
	return -1
}

// Has reports whether path p has a step labelled label.
func (k *Kernel) Has(p PathID, label string) bool { return k.Paths[p].Index(label) >= 0 }

// step returns the step labelled label of path p, panicking when there is none.
func (k *Kernel) step(p PathID, label string) *Step {
	i := k.Paths[p].Index(label)
	if i < 0 {
		panic(fmt.Sprintf("model: path %s has no step %q", k.Paths[p].Name, label))
	}
	return &k.Paths[p].Steps[i]
}

// Replace puts s in place of the step labelled label of path p. It keeps the
// label; s declares its own jumps.
func (k *Kernel) Replace(p PathID, label string, s Step) {
	k.mustEdit()
	st := k.step(p, label)
	s.Label = label
	*st = s
}

// Wrap replaces the Do of the step labelled label of path p with w(Do). The
// step's footprint becomes unknown (everything): use [Kernel.WrapTouching] to
// declare what the wrapper adds instead.
func (k *Kernel) Wrap(p PathID, label string, w func(do StepFunc) StepFunc) {
	k.WrapTouching(p, label, nil, w)
}

// WrapTouching is Wrap with a declaration of what the wrapper may read and
// write besides what the wrapped step declares (nil: unknown, everything).
func (k *Kernel) WrapTouching(p PathID, label string, extra func(f *Foot), w func(do StepFunc) StepFunc) {
	k.mustEdit()
	k.step(p, label).wrap(extra, w)
}

func (st *Step) wrap(extra func(f *Foot), w func(do StepFunc) StepFunc) {
	st.Do = w(st.Do)
	if extra == nil {
		st.opaque = true
		return
	}
	st.extra = append(st.extra[:len(st.extra):len(st.extra)], extra)
}

// WrapLabel wraps the step labelled label in every path that has one, and
// reports how many it wrapped. Their footprints become unknown.
func (k *Kernel) WrapLabel(label string, w func(do StepFunc) StepFunc) int {
	n := 0
	for p := range k.Paths {
		if k.Has(PathID(p), label) {
			k.Wrap(PathID(p), label, w)
			n++
		}
	}
	return n
}

// WrapPath wraps every step of path p; their footprints become unknown.
func (k *Kernel) WrapPath(p PathID, w func(do StepFunc) StepFunc) {
	k.WrapPathTouching(p, nil, w)
}

// WrapPathTouching is WrapPath with a declaration of what the wrapper adds to
// every step (nil: unknown).
func (k *Kernel) WrapPathTouching(p PathID, extra func(f *Foot), w func(do StepFunc) StepFunc) {
	k.mustEdit()
	for i := range k.Paths[p].Steps {
		k.Paths[p].Steps[i].wrap(extra, w)
	}
}

// AddJumps declares more jumps of the step labelled label of path p (for a
// wrapper whose Do can continue where the original's could not).
func (k *Kernel) AddJumps(p PathID, label string, t ...Target) {
	k.mustEdit()
	st := k.step(p, label)
	st.Jumps = append(append([]Target(nil), st.Jumps...), t...)
}

// Remove deletes the steps of path p that have these labels (labels it does
// not have are ignored). Jumps to a removed step no longer resolve: sealing
// says so.
func (k *Kernel) Remove(p PathID, labels ...string) {
	k.mustEdit()
	path := &k.Paths[p]
	var keep []Step
	for _, s := range path.Steps {
		drop := false
		for _, l := range labels {
			drop = drop || s.Label == l
		}
		if !drop {
			keep = append(keep, s)
		}
	}
	path.Steps = keep
}

func (k *Kernel) mustEdit() {
	if k.sealed {
		panic("model: the kernel is sealed; paths cannot change")
	}
}

// Seal resolves every jump, checks that every step of every path is reachable
// from a statement's entry path and that no statement can use two overlapping
// register views, and freezes the paths. It panics on a kernel that breaks
// these rules: that is a bug in a path, a proposal or a mutant, found before
// anything runs.
func (k *Kernel) Seal() {
	if k.sealed {
		return
	}
	// Copy every path's steps, so that the sealed kernel shares no step (and no
	// resolved jump table) with the step builders' slices.
	for p := range k.Paths {
		k.Paths[p].Steps = append([]Step(nil), k.Paths[p].Steps...)
	}
	for p := range k.Paths {
		path := &k.Paths[p]
		seen := map[string]bool{}
		for i := range path.Steps {
			st := &path.Steps[i]
			if st.Label == "" || seen[st.Label] {
				panic(fmt.Sprintf("model: path %s step %d: empty or duplicate label %q", path.Name, i, st.Label))
			}
			seen[st.Label] = true
			st.to = make([]uint16, len(st.Jumps))
			for j, t := range st.Jumps {
				q, idx, ok := k.resolve(PathID(p), t)
				if !ok {
					panic(fmt.Sprintf("model: path %s step %q jumps to %v, which does not exist", path.Name, st.Label, t))
				}
				st.to[j] = uint16(q)<<8 | uint16(idx)
			}
		}
	}
	k.checkReachable()
	k.checkRegisterViews()
	k.sealed = true
}

// resolve finds the path and step index of t seen from path from.
func (k *Kernel) resolve(from PathID, t Target) (PathID, int, bool) {
	p := t.Path
	if p == PathSelf {
		p = from
	}
	if int(p) >= len(k.Paths) || len(k.Paths[p].Steps) == 0 {
		return 0, 0, false
	}
	i := 0
	if t.Label != "" {
		i = k.Paths[p].Index(t.Label)
	}
	if i < 0 {
		return 0, 0, false
	}
	if t.Past {
		i++
	}
	return p, i, i < len(k.Paths[p].Steps)
}

// entries lists the paths statements start in.
func (k *Kernel) entries() []PathID {
	var out []PathID
	seen := map[PathID]bool{}
	for op := range Ops {
		if p := Ops[op].Entry; p != PathNone && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// closure is every (path, step) reachable from path p's first step, as a set of
// path<<8|step, and the paths among them.
func (k *Kernel) closure(p PathID) (map[uint16]bool, []PathID) {
	seen := map[uint16]bool{}
	var paths []PathID
	inPaths := map[PathID]bool{}
	stack := []uint16{uint16(p) << 8}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		q, i := PathID(n>>8), int(n&0xff)
		if !inPaths[q] {
			inPaths[q] = true
			paths = append(paths, q)
		}
		st := &k.Paths[q].Steps[i]
		if i+1 < len(k.Paths[q].Steps) {
			stack = append(stack, n+1)
		}
		stack = append(stack, st.to...)
	}
	return seen, paths
}

func (k *Kernel) checkReachable() {
	reached := map[uint16]bool{}
	for _, p := range k.entries() {
		if len(k.Paths[p].Steps) == 0 {
			panic(fmt.Sprintf("model: the entry path %d of a statement has no steps", p))
		}
		seen, _ := k.closure(p)
		for n := range seen {
			reached[n] = true
		}
	}
	for p := range k.Paths {
		for i, st := range k.Paths[p].Steps {
			if !reached[uint16(p)<<8|uint16(i)] {
				panic(fmt.Sprintf("model: path %s step %q is unreachable from every statement", k.Paths[p].Name, st.Label))
			}
		}
	}
}

// jumpTo resolves a jump of the step at (from path, step) to target t; it
// panics when the step did not declare it.
func (k *Kernel) jumpTo(st *Step, from PathID, t Target) (PathID, uint8) {
	for j, d := range st.Jumps {
		if d == t || (d.Path == PathSelf && t.Path == from && d.Label == t.Label && d.Past == t.Past) {
			n := st.to[j]
			return PathID(n >> 8), uint8(n)
		}
	}
	panic(fmt.Sprintf("model: path %s step %q jumps to %v without declaring it in Jumps", k.Paths[from].Name, st.Label, t))
}

// RetryJumps are the jumps of a step that ends a fault by retrying the user
// access ([Ctx.Retry]).
var RetryJumps = []Target{At(PathLoad, ""), At(PathStore, ""), At(PathFlush, "")}

// Jumps joins lists of targets.
func Jumps(lists ...[]Target) []Target {
	var out []Target
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// DescribePaths lists every path of the kernel with its steps, for 'daxsim
// explain' and tests.
func (k *Kernel) DescribePaths() string {
	var b strings.Builder
	for p := range k.Paths {
		path := &k.Paths[p]
		if len(path.Steps) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s:\n", path.Name)
		for _, st := range path.Steps {
			fmt.Fprintf(&b, "  %-20s %s\n", st.Label, st.Fn)
		}
	}
	return b.String()
}

// Fingerprint identifies each path and hook of k by what it runs: for a path,
// its steps' labels, functions and code; for a hook, its code. Two kernels
// whose fingerprints agree on a name run the same code there (up to the values
// closures captured), which is how a proposal's declared overrides are checked
// against what it changes.
func Fingerprint(k *Kernel) map[string]string {
	out := map[string]string{}
	for p := range k.Paths {
		path := &k.Paths[p]
		var b strings.Builder
		fmt.Fprintf(&b, "%s %d", path.Name, path.Regs)
		for _, st := range path.Steps {
			fmt.Fprintf(&b, "|%s %s %x %v", st.Label, st.Fn, reflect.ValueOf(st.Do).Pointer(), st.Jumps)
		}
		out[PathID(p).String()] = b.String()
	}
	h := reflect.ValueOf(&k.Hooks).Elem()
	for i := 0; i < h.NumField(); i++ {
		out[h.Type().Field(i).Name] = fmt.Sprintf("%x", h.Field(i).Pointer())
	}
	return out
}
