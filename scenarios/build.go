package scenarios

import (
	"fmt"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/model/mutants"
	"github.com/daxsim/daxsim/model/proposals"
)

// Built is a scenario ready to explore: the kernel of its proposal with the thread
// programs, and the initial state.
type Built struct {
	Scn    *Scenario
	Kernel *model.Kernel
	Init   model.State
	// AfterCrash is the after-crash block's program, run on what recovery
	// leaves at each crash point (nil: none). Its process is AfterCrashProc.
	AfterCrash     []model.Stmt
	AfterCrashProc int
	// Opt is what the scenario was built with beyond its file (the command
	// line's -proposal, -mutant and -crash): a command that reproduces a
	// verdict repeats it.
	Opt Options

	// The setup block's bindings, which the threads of its process inherit.
	setupFDs, setupInodes, setupMaps map[string]int
}

// Options change how a scenario is built.
type Options struct {
	Proposal string   // when not empty, replaces the file's proposal line
	Mutants  []string // added to the file's mutant lines
	Crash    string   // when not empty, replaces the file's crash line
}

// Build turns a parsed scenario into a kernel and an initial state. Everything the
// model cannot run yet (a proposal, a statement, an extent kind) and an unknown
// mutant is an *Error at its position.
func Build(scn *Scenario, opt Options) (*Built, error) {
	name, pos := scn.Proposal, scn.ProposalPos
	if opt.Proposal != "" {
		name = opt.Proposal
	}
	fs, ok := model.FSByName(scn.FS)
	if !ok {
		return nil, &Error{Pos: Pos{File: scn.Path, Line: 1, Col: 1}, Msg: fmt.Sprintf("unknown filesystem %q", scn.FS)}
	}
	k, err := proposals.Kernel(name, fs)
	if err != nil {
		return nil, &Error{Pos: pos, Msg: err.Error()}
	}
	names := append(append([]string(nil), scn.Mutants...), opt.Mutants...)
	for j, m := range names {
		if _, ok := mutants.Lookup(m); !ok {
			p := Pos{File: scn.Path, Line: 1, Col: 1}
			if j < len(scn.MutantPos) {
				p = scn.MutantPos[j]
			}
			return nil, &Error{Pos: p, Msg: fmt.Sprintf("unknown mutant %q (see 'daxsim mutants')", m)}
		}
	}
	if err := mutants.Apply(k, names); err != nil {
		return nil, &Error{Pos: pos, Msg: err.Error()}
	}
	k.Seal()
	if opt.Crash != "" {
		scn.Crash = opt.Crash // a crash line of its own replaces "crash after T:N" too
	}
	b := &Built{Scn: scn, Kernel: k, Opt: opt}
	k.Values = []string{"0"}
	k.Background = scn.Commit != "fsync-only"
	k.EADR = scn.Persistence == "eadr"
	k.Mount = uint8(indexOf(model.MountNames[:], scn.Mount))
	b.Init.Journal.Tid = 1
	for _, d := range scn.Dirs {
		k.Dirs = append(k.Dirs, d.Name)
	}
	for i, d := range scn.Dirs {
		b.Init.DirDax[i] = b2u(d.DAX)
		b.Init.DDirDax[i] = b2u(d.DAX)
	}
	for _, p := range scn.Procs {
		k.Procs = append(k.Procs, p.Name)
		k.ProcCaps = append(k.ProcCaps, contains(p.Caps, "cap_linux_immutable"))
		k.ProcUIDs = append(k.ProcUIDs, uint32(p.UID))
	}
	if n := scn.Blocks; n > 0 {
		// A smaller device: the blocks past its end are allocated for good.
		for blk := n; blk < model.MaxBlocks; blk++ {
			b.Init.Blocks[blk].Used, b.Init.Blocks[blk].DUsed = 1, 1
		}
	}
	for i := range scn.Files {
		if err := b.addFile(i); err != nil {
			return nil, err
		}
	}
	// Every store, write, truncate and punch starts a data version of a page;
	// versions are bytes in the state.
	writes := 0
	for _, th := range scn.Threads {
		for _, s := range th.Stmts {
			switch s.Op {
			case model.OpStore, model.OpWrite, model.OpTruncate, model.OpPunch, model.OpReflink:
				if writes++; writes > model.MaxVersions {
					return nil, &Error{Pos: s.Pos, Msg: fmt.Sprintf("more than %d data-changing statements: the model counts data versions in a byte", model.MaxVersions)}
				}
			}
		}
	}
	var slots slotAllocator
	for i := range scn.Threads {
		info, err := b.program(&scn.Threads[i], &slots)
		if err != nil {
			return nil, err
		}
		k.Threads = append(k.Threads, info)
	}
	b.orderAfterSetup()
	if scn.Crash == "after" {
		ref := scn.CrashAfter
		k.CrashAfter = model.StmtRef{Valid: true, Thread: b.threadIndex(ref.Thread), PC: ref.Index - 1}
	}
	if th := scn.AfterCrash; th != nil {
		info, err := b.program(th, &slots)
		if err != nil {
			return nil, err
		}
		b.AfterCrash, b.AfterCrashProc = info.Prog, info.Proc
	}
	// The journal thread (kjournald2 / the XFS CIL push) runs beside the scenario's.
	k.Threads = append(k.Threads, model.ThreadInfo{Name: "jbd2", Proc: -1, Daemon: true,
		Prog: []model.Stmt{{Op: model.OpJbd2, Text: "commit loop", Inode: -1, File: -1, VMA: -1, Dir: -1, File2: -1}}})
	for _, e := range scn.Expects {
		for _, r := range e.Results {
			if _, known := k.ParseResult(r); !known {
				k.ParseResultOrIntern(r)
			}
		}
	}
	return b, nil
}

// orderAfterSetup makes every thread's first statement wait for the setup
// block's last: the setup runs to completion before the threads start.
func (b *Built) orderAfterSetup() {
	k := b.Kernel
	if len(b.Scn.Threads) == 0 || !b.Scn.Threads[0].Setup {
		return
	}
	last := model.StmtRef{Valid: true, Thread: 0, PC: len(k.Threads[0].Prog) - 1}
	for t := 1; t < len(k.Threads); t++ {
		if p := k.Threads[t].Prog; len(p) > 0 && !k.Threads[t].Daemon {
			p[0].After = append(p[0].After, last)
		}
	}
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func (b *Built) addFile(i int) error {
	f := &b.Scn.Files[i]
	k := b.Kernel
	k.Files = append(k.Files, f.Name)
	in := &b.Init.Inodes[i]
	in.DiskDax, in.DDiskDax = b2u(f.DAX), b2u(f.DAX)
	in.Size, in.DSize = uint8(f.Pages), uint8(f.Pages)
	if f.In != "" {
		in.Parent = uint8(indexOf(k.Dirs, f.In) + 1)
	}
	if f.Absent {
		return nil
	}
	in.Nlink, in.DNlink = 1, 1
	for pg, ext := range f.Extents {
		in.Ext[pg] = ext
		if ext == model.ExtHole {
			continue
		}
		blk, ok := b.Init.AllocBlock(i)
		if !ok {
			return &Error{Pos: f.Pos, Msg: "out of pmem blocks"}
		}
		if ext == model.ExtShared {
			// A clone outside the scenario shares the block: writes copy it,
			// and freeing this file's extent leaves it allocated.
			b.Init.Blocks[blk].External = 1
			in.Reflink, in.DReflink = 1, 1 // the clone set XFS_DIFLAG2_REFLINK
		}
		in.Block[pg] = uint8(blk + 1)
		in.DBlock[pg], in.DExt[pg] = in.Block[pg], in.Ext[pg]
	}
	return nil
}

func indexOf(names []string, n string) int {
	for i, s := range names {
		if s == n {
			return i
		}
	}
	return -1
}

// slotAllocator hands out struct file slots (one per open statement in the file)
// and VMA slots (one per mmap statement of a process) in source order.
type slotAllocator struct {
	files int
	vmas  [model.MaxProcs]int
}

// program builds thread th's program, assigning its file and VMA slots. The
// threads of the setup block's process start with its bindings.
func (b *Built) program(th *Thread, slots *slotAllocator) (model.ThreadInfo, error) {
	k := b.Kernel
	proc := indexOf(k.Procs, th.Process)
	info := model.ThreadInfo{Name: th.Name, Proc: proc}
	fds := map[string]int{} // FD binding -> struct file slot
	fdInode := map[string]int{}
	maps := map[string]int{} // MAP binding -> VMA slot
	if th.Setup {
		b.setupFDs, b.setupInodes, b.setupMaps = fds, fdInode, maps
	} else if len(b.Scn.Threads) > 0 && b.Scn.Threads[0].Setup && b.Scn.Threads[0].Process == th.Process {
		maps0 := []map[string]int{b.setupFDs, b.setupInodes, b.setupMaps}
		for j, m := range []map[string]int{fds, fdInode, maps} {
			for n, v := range maps0[j] {
				m[n] = v
			}
		}
	}
	for _, s := range th.Stmts {
		st := model.Stmt{Op: s.Op, Text: s.Text, Line: s.Pos.Line, Inode: indexOf(k.Files, s.File),
			Write: s.Write, Page: s.Page, Page2: s.Page2, Lo: s.Pages.Lo, Hi: s.Pages.Hi, On: s.On,
			Dir: indexOf(k.Dirs, s.Dir), File: -1, VMA: -1, File2: -1}
		switch s.Sync {
		case "sync":
			st.Sync = 1
		case "dsync":
			st.Sync = 2
		}
		if s.FD != "" {
			st.File = fds[s.FD]
		}
		if s.FD2 != "" {
			st.File2 = fds[s.FD2]
			st.Inode2 = fdInode[s.FD2]
		}
		if s.Map != "" {
			st.VMA = maps[s.Map]
		}
		st.FromMap = s.Op == model.OpWrite && s.Map != ""
		if s.Value != "" {
			st.Val = k.ParseResultOrIntern(s.Value)
		}
		for _, f := range s.Flags {
			if s.Op == model.OpMsync {
				st.Flags |= msyncFlag(f)
			} else {
				st.Flags |= mmapFlag(f)
			}
		}
		for _, a := range s.After {
			st.After = append(st.After, model.StmtRef{Valid: true, Thread: b.threadIndex(a.Thread), PC: a.Index - 1})
		}
		switch s.Op {
		case model.OpOpen, model.OpCreate:
			st.File = slots.files
			fds[s.Bind] = slots.files
			fdInode[s.Bind] = st.Inode
			slots.files++
		case model.OpMmap:
			st.VMA = slots.vmas[proc]
			maps[s.Bind] = slots.vmas[proc]
			k.VMANames[proc][slots.vmas[proc]] = s.Bind
			slots.vmas[proc]++
		}
		info.Prog = append(info.Prog, st)
	}
	return info, nil
}

// threadIndex is the index of the scenario's thread name in the kernel's
// threads (the scenario's threads come first, in order).
func (b *Built) threadIndex(name string) int {
	for i := range b.Scn.Threads {
		if b.Scn.Threads[i].Name == name {
			return i
		}
	}
	return -1
}

func msyncFlag(f string) uint8 {
	switch f {
	case "sync":
		return model.MSSync
	case "async":
		return model.MSAsync
	case "invalidate":
		return model.MSInvalidate
	}
	return 0
}

func mmapFlag(f string) uint8 {
	switch f {
	case "shared":
		return model.VMShared
	case "private":
		return model.VMPrivate
	case "validate":
		return model.VMValidate | model.VMShared
	case "sync":
		return model.VMSync
	case "direct":
		return model.VMDirect
	}
	return 0
}
