package checker

import (
	"fmt"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/sim"
)

// no-data-leak: no read or load returns data that belongs to another file or to a
// freed block, and no crash image shows a file another file's data.
//
// The kernel rules: blocks are zeroed before they are mapped (ext4 "use pre-zeroed
// blocks for DAX page faults" ba5843f51d46, XFS_BMAPI_ZERO), and no PTE survives
// the freeing of its block (E.1, CVE-2015-8839; E.10). Checked at every load and
// read (the data's tag names whose data it is), and on the crash image of every
// state (both bounds of every block a recovered file maps).
func init() {
	register(&Property{
		Name:   "no-data-leak",
		Rank:   8, // its row in SPEC.md section 5
		Judges: "reads, loads and crash images",
		Rule:   "no read or load returns data of another file or of a freed block",
		Check:  noDataLeak,
		// The crash images: the crash point, the committed block map, both
		// bounds of every block, the reflink origins.
		Observes: func(cfg Config) model.Visibility {
			if !cfg.Crashes() {
				return model.Visibility{}
			}
			return model.Observe(model.RCut, model.RDMeta, model.RBDur, model.RData, model.RClone)
		},
	})
}

func noDataLeak(cfg Config) sim.Check {
	c := sim.Check{
		Step: func(j *sim.Judge, k *model.Kernel, _, _ *model.State, ev *model.Event) {
			d := &ev.Data
			if !d.Valid {
				return
			}
			j.Judged(1) // coverage: the reads and loads judged (and the crash images below)
			switch {
			case d.Tag != 0 && model.TagInode(d.Tag) != d.Inode && !d.Cloned:
				if j.Fail("leak") {
					stmt := k.StmtAt(ev.Thread, ev.PC)
					j.Explain(fmt.Sprintf("%s (%s) returned data of %s page %d", k.ThreadName(ev.Thread), stmt.Text,
						k.FileName(model.TagInode(d.Tag)), model.TagPage(d.Tag)))
				}
			case d.Freed:
				if j.Fail("freed-block") {
					stmt := k.StmtAt(ev.Thread, ev.PC)
					j.Explain(fmt.Sprintf("%s (%s) read a freed block", k.ThreadName(ev.Thread), stmt.Text))
				}
			}
		},
	}
	if cfg.Crashes() {
		c.State = crashLeak
	}
	return c
}

func crashLeak(j *sim.Judge, k *model.Kernel, s *model.State) {
	if !k.CrashPoint(s) {
		return
	}
	for i := range k.Files {
		for pg := 0; pg < model.MaxPages; pg++ {
			b, ext, inSize := s.Recovered(i, pg)
			if !inSize || b < 0 || (ext != model.ExtWritten && ext != model.ExtShared) {
				continue
			}
			j.Judged(1)
			bl := &s.Blocks[b]
			for _, tag := range [2]uint8{bl.MTag, bl.Tag} {
				if tag != 0 && model.TagInode(tag) != i && tag != s.Inodes[i].Origin[pg] {
					if j.Fail("crash-leak") {
						j.Explain(fmt.Sprintf("after a crash here %s page %d maps block b%d, which may hold %s",
							k.FileName(i), pg, b, contentText(k, tag, bl.Ver, bl.Val)))
					}
					return
				}
			}
		}
	}
}
