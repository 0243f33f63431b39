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
		Rank:    15, // its row in SPEC.md section 4
		Source:  "seed 002 (the remap case in Jan Kara's MAP_SYNC RFC, Jul 2017)",
		Summary: "defrag/reflink break remaps blocks without locking out faults",
		Rules: []string{
			"everything of map-sync",
			"defrag and reflink work on DAX files; they take inode_lock only, then allocate, copy, remap and free in one transaction",
			"faults are not blocked and existing PTEs are not unmapped",
		},
		Verdicts:  []string{"no-stale-pte: violation, defrag under a live MAP_SYNC mapping (testdata/scenarios/remap/defrag-naive.scn)"},
		Uses:      []string{"map-sync"},
		Overrides: []string{"RemapSupported", "defrag", "reflink"},
		Apply: func(k *model.Kernel) {
			k.RemapSupported = func(*model.Ctx) model.Result { return model.ResOK }
			k.DeclareHook(model.HookRemapSupported, func(*model.Foot, model.Sel) {})
			k.Paths[model.PathDefrag] = model.Path{Name: "defrag-naive", Steps: append(append([]model.Step{
				{Label: "check", Fn: "defrag ioctl", Do: model.RemapCheck, Foot: model.RemapCheckFoot}},
				model.DownWrite("inode-lock", "inode_lock", model.IRwsemOf)...),
				model.Step{Label: "remap", Fn: "remap: allocate, copy, map, free (transaction)", Foot: func(f *model.Foot) {
					f.DefragMove()
					f.W(model.RIRwW)
				}, Do: func(c *model.Ctx) model.Outcome {
					r, ok := c.DefragMove()
					if !ok {
						return c.Block(model.LockJournal)
					}
					c.UpWrite(model.IRwsemOf(c))
					return c.Return(r)
				}})}
			k.Paths[model.PathReflink] = model.Path{Name: "reflink-naive", Steps: []model.Step{
				{Label: "check", Fn: "ioctl(FICLONERANGE)", Do: model.RemapCheck, Foot: model.RemapCheckFoot},
				{Label: "share", Fn: "remap: share the block (transaction)", Foot: func(f *model.Foot) { f.ReflinkShare() }, Do: func(c *model.Ctx) model.Outcome {
					if !c.ReflinkShare() {
						return c.Block(model.LockJournal)
					}
					return c.Return(model.ResOK)
				}},
			}}
		},
	})
}
