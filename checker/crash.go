package checker

import (
	"fmt"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/sim"
)

// Crash images (reference/crash-model.md 3.3-3.6). A crash in state s leaves:
//
//   - the metadata of the committed transactions (the D* fields: the running
//     transaction is lost whole, the journal collapse of 3.6);
//   - for each block, content somewhere between its durable lower bound and its
//     visible upper bound (per-line prefix semantics).
//
// Recovery replays the committed transactions; a file page then reads through the
// committed block map. An obligation on a page (a promised data version) holds in
// every image iff the recovered page maps a block whose durable lower bound is that
// page's data at the promised version or later: every content between the bounds
// was written after the lower bound, so the lower bound is the image to check (the
// "relevant-line" reduction of 3.6, exact for this property).

// obligationsObserved is what the obligation checks look at: the crash
// point, the promises, the committed block map and size, the durable content
// of every block, and the reflink origins.
func obligationsObserved(Config) model.Visibility {
	return model.Observe(model.RCut, model.RProm, model.RDMeta, model.RBDur, model.RClone)
}

// obligation checks the promises prom (one version per page, 0 for none) of every
// file against the image a crash in s leaves (coverage: the promises judged, over
// the crash points). what names the promise in messages.
func obligation(j *sim.Judge, k *model.Kernel, s *model.State, prom func(in *model.Inode) *[model.MaxPages]uint8, what string) {
	if !k.CrashPoint(s) {
		return // "crash after T:N": the power is cut only after that statement
	}
	for i := range k.Files {
		in := &s.Inodes[i]
		p := prom(in)
		for pg := 0; pg < model.MaxPages; pg++ {
			if p[pg] == 0 {
				continue
			}
			j.Judged(1)
			if checkPage(j, k, s, i, pg, p[pg], what) {
				return
			}
		}
	}
}

// checkPage judges one promise and reports whether it is broken.
func checkPage(j *sim.Judge, k *model.Kernel, s *model.State, i, pg int, ver uint8, what string) bool {
	in := &s.Inodes[i]
	if in.PromZero&(1<<pg) != 0 {
		// A truncate or punch of the page was issued after the promised
		// version: the page may read back as zeroes or absent, and, when the
		// truncate is not durable yet, as data it dropped from the page cache
		// before writeback. The obligation is released (crash-model 3.4's X,
		// widened for a truncate that races the sync).
		return false
	}
	b, ext, inSize := s.Recovered(i, pg)
	var class string
	w := -1
	switch {
	case !inSize || b < 0 || ext == model.ExtHole || ext == model.ExtUnwritten:
		class = "lost-block"
	default:
		bl := &s.Blocks[b]
		switch {
		case bl.MTag == model.Tag(i, pg) && bl.MVer >= ver:
			return false
		case bl.MTag != 0 && bl.MTag == in.Origin[pg] && in.CloneVer[pg] >= ver:
			return false // the data a reflink shared
		}
		class = "lost-write"
		if x, ok := blockOfVersion(s, i, pg, ver); ok && x != b {
			class, w = "misdirected", x
		}
	}
	if j.Fail(class) {
		j.Explain(pageMessage(k, s, i, pg, ver, what, b, ext, inSize, w))
	}
	return true
}

// pageMessage explains a broken promise (checkPage): w is the block the promised
// data went to when it is not the recovered block b (-1: none).
func pageMessage(k *model.Kernel, s *model.State, i, pg int, ver uint8, what string, b int, ext uint8, inSize bool, w int) string {
	in := &s.Inodes[i]
	name := fmt.Sprintf("%s page %d", k.FileName(i), pg)
	promised := fmt.Sprintf("version %d", ver)
	if v, ok := valueOfVersion(s, i, pg, ver); ok {
		promised += fmt.Sprintf(" (%s)", k.ValueName(v))
	}
	replay := "no transaction is committed"
	if t := s.Journal.Tid; t > 2 {
		replay = fmt.Sprintf("recovery replays transactions 1-%d", t-1)
	} else if t == 2 {
		replay = "recovery replays transaction 1"
	}
	head := fmt.Sprintf("a crash here loses %s of %s (%s): %s, and finds ", promised, name, what, replay)
	switch {
	case !inSize:
		return head + fmt.Sprintf("i_size %d pages: the page is beyond the committed end of file", in.DSize)
	case b < 0 || ext == model.ExtHole || ext == model.ExtUnwritten:
		state := "a hole"
		if ext == model.ExtUnwritten {
			state = "an unwritten extent"
		}
		return head + fmt.Sprintf("%s there: the block allocated for it is not in a committed transaction (in memory: %s)",
			state, extentText(in.Block[pg], in.Ext[pg]))
	}
	bl := &s.Blocks[b]
	if w >= 0 {
		return head + fmt.Sprintf("block b%d (holding %s), while the promised data went to block b%d%s",
			b, contentText(k, bl.MTag, bl.MVer, bl.MVal), w, freedText(s, w))
	}
	return head + fmt.Sprintf("block b%d, whose content on media is %s, older than the promised data",
		b, contentText(k, bl.MTag, bl.MVer, bl.MVal))
}

// blockOfVersion finds a block whose durable content is that data version.
func blockOfVersion(s *model.State, i, pg int, ver uint8) (int, bool) {
	tag := model.Tag(i, pg)
	for b := range s.Blocks {
		if bl := &s.Blocks[b]; bl.MTag == tag && bl.MVer >= ver {
			return b, true
		}
	}
	return 0, false
}

// valueOfVersion finds the token of a data version if a block still shows it.
func valueOfVersion(s *model.State, i, pg int, ver uint8) (uint8, bool) {
	tag := model.Tag(i, pg)
	for b := range s.Blocks {
		bl := &s.Blocks[b]
		if bl.Tag == tag && bl.Ver == ver {
			return bl.Val, true
		}
		if bl.MTag == tag && bl.MVer == ver {
			return bl.MVal, true
		}
	}
	return 0, false
}

func extentText(block, ext uint8) string {
	if block == 0 {
		return "hole"
	}
	return fmt.Sprintf("block b%d, %s", block-1, [...]string{"hole", "unwritten", "written", "shared"}[ext])
}

func contentText(k *model.Kernel, tag, ver, val uint8) string {
	if tag == 0 {
		return "zeroes"
	}
	return fmt.Sprintf("%s page %d version %d (%s)", k.FileName(model.TagInode(tag)), model.TagPage(tag), ver, k.ValueName(val))
}

// CrashImages counts the distinct crash images of state s that the crash
// properties distinguish: the committed metadata is one image (journal collapse),
// and each block that a recovered file maps contributes its lower and its upper
// bound when they differ. The properties check the worst of them directly, so
// this is what eager enumeration would cost (reported by the benchmarks).
func CrashImages(k *model.Kernel, s *model.State) int {
	n := 1
	seen := map[int]bool{}
	for i := range k.Files {
		for pg := 0; pg < model.MaxPages; pg++ {
			b, ext, inSize := s.Recovered(i, pg)
			if !inSize || b < 0 || seen[b] || (ext != model.ExtWritten && ext != model.ExtShared) {
				continue
			}
			seen[b] = true
			if bl := &s.Blocks[b]; bl.MTag != bl.Tag || bl.MVer != bl.Ver || bl.MVal != bl.Val {
				n *= 2
			}
		}
	}
	return n
}
