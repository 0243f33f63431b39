package checker

import (
	"fmt"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/sim"
)

// no-stale-pte: no PTE maps a block that is not, at that moment, the block of that
// file offset (freed, reallocated or remapped), nor a page-cache page or zero page
// the file no longer holds there.
//
// The kernel rule: every block-map change (truncate, punch, collapse, reflink,
// defrag, CoW) first locks out faults with invalidate_lock (XFS MMAPLOCK, ext4
// i_mmap_sem) and unmaps the range (unmap_mapping_range, truncate_pagecache_range)
// before it changes the map ("block faults, flush, unmap, remap, unblock", Jan
// Kara, seed 002; reference/linux-dax.md B.5, E.1). Checked on every state.
func init() {
	register(&Property{
		Name:   "no-stale-pte",
		Rank:   4, // its row in SPEC.md section 5
		Judges: "PTEs of file mappings",
		Rule:   "no PTE maps a block that is not, at that moment, the block of that file offset",
		Check:  noStalePTE,
		// Every VMA and PTE, the block maps, the bitmap, the entries' kinds
		// and the blocks' tags.
		Observes: func(Config) model.Visibility {
			return model.Observe(model.RVMA, model.RPTE, model.RMap, model.RBUsed, model.RXA, model.RData)
		},
	})
}

func noStalePTE(Config) sim.Check {
	return sim.Check{State: stalePTE}
}

// stalePTE judges every PTE of a file mapping (coverage: the PTEs that map
// something, over the states).
func stalePTE(j *sim.Judge, k *model.Kernel, s *model.State) {
	for p := range k.Procs {
		pr := &s.Procs[p]
		for v := range pr.VMA {
			vma := &pr.VMA[v]
			if vma.File == 0 {
				continue
			}
			i := int(vma.Inode) - 1
			in := &s.Inodes[i]
			for pg := int(vma.Lo); pg <= int(vma.Hi); pg++ {
				pte := pr.PTE[v][pg]
				if pte.Kind != model.PTENone {
					j.Judged(1)
				}
				where := func() string {
					return fmt.Sprintf("%s: the PTE of %s page %d (mapping %s)", k.ProcName(p), k.FileName(i), pg, k.VMAName(p, v))
				}
				switch pte.Kind {
				case model.PTEDAX:
					b := int(pte.Val) - 1
					mapped := in.Block[pg] == pte.Val && (in.Ext[pg] == model.ExtWritten || in.Ext[pg] == model.ExtShared)
					if !mapped || s.Blocks[b].Used == 0 {
						if j.Fail("stale-block") {
							j.Explain(fmt.Sprintf("%s maps block b%d, but the page is now %s%s", where(), b,
								extentText(in.Block[pg], in.Ext[pg]), freedText(s, b)))
						}
						return
					}
				case model.PTEPage:
					if in.XA[pg].Kind != model.EntryPage {
						if j.Fail("stale-page") {
							j.Explain(fmt.Sprintf("%s maps a page-cache page the file no longer holds (xarray: %s)", where(), in.XA[pg].Kind))
						}
						return
					}
				case model.PTEZero:
					// A fault allocates the block (zeroed) before dax_insert_entry
					// unmaps the zero page; the zero page is stale only once the
					// block holds data.
					written := in.Ext[pg] == model.ExtWritten || in.Ext[pg] == model.ExtShared
					if written && s.Blocks[in.Block[pg]-1].Tag != 0 {
						if j.Fail("stale-zero-page") {
							j.Explain(fmt.Sprintf("%s maps the zero page over %s, which holds data",
								where(), extentText(in.Block[pg], in.Ext[pg])))
						}
						return
					}
				}
			}
		}
	}
}

func freedText(s *model.State, b int) string {
	if s.Blocks[b].Used == 0 {
		return fmt.Sprintf("; b%d is free", b)
	}
	return ""
}
