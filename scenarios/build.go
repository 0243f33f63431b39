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
		scn.Crash = opt.Crash
	}
	b := &Built{Scn: scn, Kernel: k}
	k.Values = []string{"0"}
	k.Background = scn.Commit != "fsync-only"
	k.EADR = scn.Persistence == "eadr"
	b.Init.Journal.Tid = 1
	for _, d := range scn.Dirs {
		k.Dirs = append(k.Dirs, d.Name)
	}
	for i, d := range scn.Dirs {
		b.Init.DirDax[i] = b2u(d.DAX)
	}
	for _, p := range scn.Procs {
		k.Procs = append(k.Procs, p.Name)
		k.ProcCaps = append(k.ProcCaps, contains(p.Caps, "cap_linux_immutable"))
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
	for _, th := range scn.Threads {
		if err := b.addThread(th, &slots); err != nil {
			return nil, err
		}
	}
	// The journal thread (kjournald2 / the XFS CIL push) runs beside the scenario's.
	k.Threads = append(k.Threads, model.ThreadInfo{Name: "jbd2", Proc: -1, Daemon: true,
		Prog: []model.Stmt{{Op: model.OpJbd2, Text: "commit loop", Inode: -1, File: -1, VMA: -1, Dir: -1, File2: -1}}})
	for _, e := range scn.Expects {
		if _, known := k.ParseResult(e.Result); e.Kind == ExpectResult && !known {
			k.ParseResultOrIntern(e.Result)
		}
	}
	return b, nil
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
	in.DiskDax = b2u(f.DAX)
	in.Size, in.DSize = uint8(f.Pages), uint8(f.Pages)
	if f.In != "" {
		in.Parent = uint8(indexOf(k.Dirs, f.In) + 1)
	}
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

func (b *Built) addThread(th Thread, slots *slotAllocator) error {
	k := b.Kernel
	proc := indexOf(k.Procs, th.Process)
	info := model.ThreadInfo{Name: th.Name, Proc: proc}
	fds := map[string]int{} // FD binding -> struct file slot
	fdInode := map[string]int{}
	maps := map[string]int{} // MAP binding -> VMA slot
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
			st.Flags |= mmapFlag(f)
		}
		switch s.Op {
		case model.OpOpen:
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
	k.Threads = append(k.Threads, info)
	return nil
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
