package checker

import (
	"fmt"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/sim"
)

// aops-consistent: a fault or mkwrite must run through vm_ops and address_space
// operations of one kind, the kind the inode's S_DAX selects, and find or create
// xarray entries of that kind; an inode never holds page-cache pages and DAX entries
// at once.
//
// The kernel rule: a VMA's vm_ops are chosen at mmap time from S_DAX
// (ext4_file_mmap, xfs_file_mmap) and the fault handlers they lead to
// (ext4_dax_huge_fault vs filemap_fault/ext4_page_mkwrite) call through
// inode->i_mapping->a_ops and assume entries of their own kind
// (reference/linux-dax.md A.2, E.11; seed 003). Changing S_DAX and the a_ops while a
// fault is between two calls, or while a VMA with the old vm_ops exists, is what
// crashed kernels before 4.14.
//
// Where it is checked: at every call a fault makes through the ops (the model
// records each as a model.Use), because that is where the kernel goes wrong. A swap
// that no later call observes is harmless and not reported. Three classes:
//
//   - ops-swapped-under-fault: the a_ops changed between two calls of one running
//     fault (the seed 003 TOCTOU: populate, swap, ->page_mkwrite);
//   - stale-vm_ops: a fault ran through vm_ops of the other kind than the inode's
//     a_ops/S_DAX (a VMA made before the flip);
//   - entry-kind: a fault found an xarray entry of the other kind.
//
// And, on every state, mixed-entries: an in-core inode holds both kinds of entry.
func init() {
	register(&Property{
		Name:   "aops-consistent",
		Rank:   1, // its row in SPEC.md section 5
		Judges: "ops calls and xarray states",
		Rule:   "faults and mkwrite run with vm_ops, a_ops, S_DAX and xarray entries of one kind",
		Check:  aopsConsistent,
		// mixed-entries holds while no inode has entries of both kinds: a
		// step that only adds entries, or changes one within its kind,
		// keeps a failing state failing, so only removals and changes of
		// kind (XADrop) are visible to it.
		Observes: func(Config) model.Visibility { return model.Observe(model.RXADrop) },
	})
}

func aopsConsistent(Config) sim.Check {
	return sim.Check{
		Step: func(j *sim.Judge, k *model.Kernel, before, after *model.State, ev *model.Event) {
			if !ev.Use.Valid {
				return
			}
			j.Judged(1)
			useConsistent(j, k, &ev.Use)
		},
		State: mixedEntries,
	}
}

// useConsistent judges one use (coverage: the uses judged).
func useConsistent(j *sim.Judge, k *model.Kernel, u *model.Use) {
	cur := model.KindOf(u.SDax)
	where := func() string { return fmt.Sprintf("%s on %s page %d", u.Call, k.FileName(u.Inode), u.Page) }
	switch {
	case u.Started != model.KindNone && u.Started != u.Aops:
		if j.Fail("ops-swapped-under-fault") {
			j.Explain(fmt.Sprintf(
				"%s ran through %s vm_ops, but the a_ops were swapped from %s to %s while the fault was running (S_DAX=%d, entry %s)",
				where(), u.VMOps, u.Started, u.Aops, u.SDax, u.Entry))
		}
	case u.VMOps != u.Aops || u.VMOps != cur:
		if j.Fail("stale-vm_ops") {
			j.Explain(fmt.Sprintf(
				"%s ran through %s vm_ops chosen at mmap time, but the inode's a_ops are %s (S_DAX=%d, entry %s)",
				where(), u.VMOps, u.Aops, u.SDax, u.Entry))
		}
	case u.Entry.Kind() != model.KindNone && u.Entry.Kind() != cur:
		if j.Fail("entry-kind") {
			j.Explain(fmt.Sprintf("%s found a %s entry in an inode with S_DAX=%d", where(), u.Entry, u.SDax))
		}
	}
}

// mixedEntries judges every inode that holds xarray entries (coverage: those
// inodes, over the states).
func mixedEntries(j *sim.Judge, k *model.Kernel, s *model.State) {
	for i := range k.Files {
		var dax, pc bool
		for _, e := range s.Inodes[i].XA {
			switch e.Kind.Kind() {
			case model.KindDAX:
				dax = true
			case model.KindPageCache:
				pc = true
			}
		}
		if dax || pc {
			j.Judged(1)
		}
		if dax && pc {
			if j.Fail("mixed-entries") {
				j.Explain(fmt.Sprintf("inode %s holds page-cache pages and DAX entries at once", k.FileName(i)))
			}
			return
		}
	}
}
