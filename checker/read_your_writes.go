package checker

import (
	"fmt"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/sim"
)

// read-your-writes: without a crash, every read(2) and load returns the data of a
// write or store to that page that is not older than the last one that had
// completed: the page behaves as a linearizable register (a plain file).
//
// The kernel rule: a completed write(2) or store is visible to every later read
// through any path: the page cache or a DAX mapping, across a flip of the DAX flag
// and the eviction it forces (xfstests generic/608 and 88149082bb8e, where eviction
// dropped dirty page-cache data), across write(2) racing a fault (E.6) and
// simultaneous faults (E.2).
//
// Exhaustive mode checks the register condition at every read and load: each data
// version is tagged, and the version returned must be at least the version of the
// last completed store or write data copy to the page (truncate and punch reset
// it). Versions are totally ordered per page, so a read that passes is explained by
// a linearization; a failing one has none. Random mode also checks each run's
// whole history with porcupine (History: history.go).
func init() {
	register(&Property{
		Name:    "read-your-writes",
		Rank:    7, // its row in SPEC.md section 5
		Judges:  "reads and loads",
		Rule:    "without a crash, reads, loads, writes and stores are linearizable against a plain file",
		Check:   readYourWrites,
		History: historyCheck,
	})
}

func readYourWrites(Config) sim.Check {
	return sim.Check{
		Step: func(j *sim.Judge, k *model.Kernel, before, _ *model.State, ev *model.Event) {
			d := &ev.Data
			if !d.Valid || !d.VerKnown {
				return
			}
			j.Judged(1) // coverage: the reads and loads judged
			done := before.Inodes[d.Inode].DoneVer[d.Page]
			if d.Ver >= done || !j.Fail("stale-read") {
				return
			}
			stmt := k.StmtAt(ev.Thread, ev.PC)
			j.Explain(fmt.Sprintf("%s (%s) returned version %d of %s page %d (%s), but version %d had been written and completed before",
				k.ThreadName(ev.Thread), stmt.Text, d.Ver, k.FileName(d.Inode), d.Page, k.ResultName(ev.Result), done))
		},
	}
}
