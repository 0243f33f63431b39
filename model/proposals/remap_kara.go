package proposals

import "github.com/daxsim/daxsim/model"

// remap-kara: seed 002 (Jan Kara, Jul 2017): remap a file offset to a different
// block under DAX mappings by "1) block page faults, 2) fdatasync() the remapped
// range, 3) unmap_mapping_range(), 4) remap blocks, 5) unblock page faults", as
// punch hole already does. MAP_SYNC (map-sync) plus that protocol for defrag and
// reflink on DAX files of either fs (XFS got DAX reflink this way in 5.19).
func init() {
	register(&Proposal{
		Name:    "remap-kara",
		Rank:    16, // its row in SPEC.md section 4
		Source:  "seed 002 (Jan Kara, Jul 2017); XFS DAX reflink in 5.19 (ea6c49b784f0)",
		Summary: "block faults, fdatasync, unmap, remap, unblock",
		Rules: []string{
			"everything of map-sync",
			"defrag: inode_lock, invalidate_lock exclusive, fdatasync the page, unmap it and delete its entry, then remap in a transaction",
			"reflink: both inodes locked in order, the source page written back and write-protected, the destination unmapped, then the block shared; a later write copies it (CoW)",
		},
		Verdicts:  []string{"no-stale-pte, no-lost-block, flush-is-durable: pass, defrag under a live MAP_SYNC mapping (testdata/scenarios/remap/defrag-kara.scn)"},
		Uses:      []string{"map-sync"},
		Overrides: []string{"RemapSupported"},
		Apply: func(k *model.Kernel) {
			// The baseline's defrag and reflink paths are Jan Kara's protocol
			// already; this proposal lets them run on DAX files of either fs.
			k.RemapSupported = func(*model.Ctx) model.Result { return model.ResOK }
			k.DeclareHook(model.HookRemapSupported, func(*model.Foot, model.Sel) {})
		},
	})
}
