package checker

import (
	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/sim"
)

// flush-is-durable: the "PMEM programming model" of seed 001: data stored through
// a shared writable DAX mapping and flushed from user space (clwb + sfence) reads
// back after a crash, without fsync or msync.
//
// The kernel rule it tests is the one the proposals argue about: the flush makes
// the data durable in its block, but the block is reachable after a crash only if
// the metadata mapping it there (an allocation, an unwritten-extent conversion, a
// remap) is committed. MAP_SYNC (seed 002) commits it before the PTE becomes
// writable; PMEM_IMMUTABLE, daxfile and MAP_DIRECT freeze the block map; the
// baseline does neither, so applications must fsync. The obligation is made at
// every user flush through a writable DAX PTE of a shared mapping, whatever
// the proposal promises, and checked like no-lost-block on every crash image.
func init() {
	register(&Property{
		Name:     "flush-is-durable",
		Rank:     3, // its row in SPEC.md section 5
		Judges:   "flushed stores at crash points",
		Rule:     "data stored through a shared writable DAX mapping and flushed from user space survives a crash without fsync",
		Check:    flushIsDurable,
		Crash:    true,
		Observes: obligationsObserved,
	})
}

func flushIsDurable(cfg Config) sim.Check {
	return sim.Check{
		State: func(j *sim.Judge, k *model.Kernel, s *model.State) {
			obligation(j, k, s, func(in *model.Inode) *[model.MaxPages]uint8 { return &in.FProm }, "flushed from user space")
		},
	}
}
