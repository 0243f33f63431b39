package proposals

import "github.com/daxsim/daxsim/model"

// remap-naive: seed 002 (Jan Kara, "dax, ext4: Synchronous page faults", Jul 2017).
// MAP_SYNC (map-sync) plus a filesystem that remaps blocks under live DAX
// mappings (break reflink, defrag) without first blocking page faults and
// unmapping the range: existing PTEs keep pointing at the old block, which is
// freed. The proposal allows defrag and reflink on DAX files of either fs.
func init() {
	register(&Proposal{
		Name:    "remap-naive",
		Source:  "seed 002 (the remap case in Jan Kara's MAP_SYNC RFC, Jul 2017)",
		Summary: "defrag/reflink break remaps blocks without locking out faults",
		Rules: []string{
			"everything of map-sync",
			"defrag and reflink work on DAX files; they take inode_lock only, then allocate, copy, remap and free in one transaction",
			"faults are not blocked and existing PTEs are not unmapped",
		},
		Verdicts: []string{"no-stale-pte: violation, defrag under a live MAP_SYNC mapping (testdata/scenarios/remap/defrag-naive.scn)"},
		Apply: func(k *model.Kernel) {
			applyMapSync(k)
			k.RemapSupported = func(*model.Ctx) model.Result { return model.ResOK }
			model.RemapNaive(k)
		},
	})
}
