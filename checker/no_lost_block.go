package checker

import (
	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/sim"
)

// no-lost-block: after any crash and recovery, every durability obligation the
// kernel promised holds: the data reads back at its file offset.
//
// The kernel rules (reference/crash-model.md 3.4): fsync, fdatasync and msync
// returning 0, and an O_SYNC / O_DSYNC write returning, promise the data of the
// range as it was when the call was made (vfs_fsync_range; for DAX,
// dax_writeback_mapping_range flushes the dirty entries and the journal commit makes
// the block map durable); a proposal may promise more (MAP_SYNC: a store flushed
// from user space through a VM_SYNC mapping; a pinned block map: through any shared
// mapping), declared by its UserFlushPromised hook. The promise allows any later
// data, and zeroes or absence after a later truncate or punch of the page.
//
// Checked on the crash image of every reachable state ("crash anywhere"; after
// one statement with "crash after"; "crash never" checks nothing). Classes: lost-block (the page is a hole, unwritten or beyond
// i_size after recovery), lost-write (the right block, older data on media),
// misdirected (a block with other data).
func init() {
	register(&Property{
		Name:     "no-lost-block",
		Rank:     2, // its row in SPEC.md section 5
		Judges:   "fsync, msync and sync-fault promises at crash points",
		Rule:     "after any crash and recovery, every durability obligation the kernel promised holds",
		Check:    noLostBlock,
		Crash:    true,
		Observes: obligationsObserved,
	})
}

func noLostBlock(cfg Config) sim.Check {
	return sim.Check{
		State: func(j *sim.Judge, k *model.Kernel, s *model.State) {
			obligation(j, k, s, func(in *model.Inode) *[model.MaxPages]uint8 { return &in.Prom }, "promised by the kernel")
		},
	}
}
