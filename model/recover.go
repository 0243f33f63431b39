package model

// Recovery: what a machine finds after a power cut in state s and a reboot
// (reference/crash-model.md 3.3-3.6). The committed metadata is replayed
// whole (the running transaction is lost: the journal collapse of 3.6), the
// page cache, mappings, processes and locks are gone, and each block holds
// some content between its durable lower bound and its visible upper bound.
//
// The model keeps only the two bounds of a block's line, not the versions
// stored in between, so an image is built from one bound for every block:
// Recover(s, false) the oldest content that may survive, Recover(s, true) the
// newest. A read after a crash may return either (and, on real hardware,
// a version stored in between: the allowed sets of an after-crash block
// leave those out). An emulated NVDIMM (QEMU) loses no cache line: it shows
// the newest.

// Recover returns the state a reboot after a crash in s starts from, with
// every block's newest (upper) or oldest durable (lower) content.
func (k *Kernel) Recover(s *State, upper bool) State {
	var r State
	r.Journal.Tid = 1
	r.DirDax, r.DDirDax = s.DDirDax, s.DDirDax
	for i := range s.Inodes {
		in, out := &s.Inodes[i], &r.Inodes[i]
		out.DiskDax, out.DDiskDax, out.Parent, out.Owner, out.Immutable = in.DDiskDax, in.DDiskDax, in.Parent, in.Owner, in.Immutable
		out.Reflink, out.DReflink = in.DReflink, in.DReflink
		out.Nlink, out.DNlink = in.DNlink, in.DNlink
		out.Size, out.DSize = in.DSize, in.DSize
		out.Block, out.DBlock = in.DBlock, in.DBlock
		out.Ext, out.DExt = in.DExt, in.DExt
		out.Origin, out.CloneVer = in.Origin, in.CloneVer
		if in.DNlink == 0 {
			// An unlinked (or never committed) file: orphan recovery frees it.
			out.Size, out.DSize = 0, 0
			out.Block, out.DBlock, out.Ext, out.DExt = [MaxPages]uint8{}, [MaxPages]uint8{}, [MaxPages]uint8{}, [MaxPages]uint8{}
		}
	}
	for b := range s.Blocks {
		bl, out := &s.Blocks[b], &r.Blocks[b]
		out.Used, out.DUsed, out.Owner, out.External = bl.DUsed, bl.DUsed, bl.Owner, bl.External
		out.Val, out.Tag, out.Ver = bl.MVal, bl.MTag, bl.MVer
		if upper || k.EADR {
			out.Val, out.Tag, out.Ver = bl.Val, bl.Tag, bl.Ver
		}
		out.MVal, out.MTag, out.MVer = out.Val, out.Tag, out.Ver
	}
	for i := range r.Inodes {
		in := &r.Inodes[i]
		for pg := range in.Block {
			if b := int(in.Block[pg]) - 1; b >= 0 && r.Blocks[b].Used == 0 {
				in.Block[pg], in.DBlock[pg], in.Ext[pg], in.DExt[pg] = 0, 0, ExtHole, ExtHole
			}
		}
	}
	return r
}

// AfterCrash runs prog, the statements of an after-crash block of process
// proc, on the images a crash in s leaves, and returns for each statement the
// results it may have (in the order found, without repeats).
func (k *Kernel) AfterCrash(s *State, prog []Stmt, proc int) [][]Result {
	out := make([][]Result, len(prog))
	rk := *k
	rk.CrashAfter = StmtRef{}
	rk.Threads = []ThreadInfo{{Name: "crash", Proc: proc, Prog: prog}}
	for _, upper := range []bool{false, true} {
		r := k.Recover(s, upper)
		var ev Event
		for step := 0; rk.Running(&r, 0) && step < 10_000; step++ {
			if !rk.Exec(&r, 0, &ev) {
				break // an after-crash statement never blocks: nothing else runs
			}
			if ev.Returned {
				pc := ev.PC
				if !containsResult(out[pc], ev.Result) {
					out[pc] = append(out[pc], ev.Result)
				}
			}
		}
	}
	return out
}

func containsResult(rs []Result, r Result) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}
