package mutants

import "github.com/daxsim/daxsim/model"

// fault-skips-invalidate-lock: the DAX fault handler does everything its first
// step does except taking invalidate_lock, so truncate and punch do not exclude
// it (ext4 before ea3d7209ca01).
func init() {
	register(&Mutant{Name: "fault-skips-invalidate-lock",
		What:   "the DAX fault handler does not take invalidate_lock shared, so truncate and punch do not exclude it",
		Source: "crash-model 3.8 #8; E.1 ea3d7209ca01 \"ext4: fix races between page faults and hole punching\" (CVE-2015-8839)",
		Breaks: "no-stale-pte",
		Apply: func(k *model.Kernel) {
			k.Replace(model.PathDAXFault, "invalidate-lock", model.Step{
				Fn:    "dax fault handler: filemap_invalidate_lock_shared",
				Jumps: []model.Target{model.At(model.PathDAXFault, "grab-entry")},
				Foot:  func(f *model.Foot) { f.DAXFaultEntered() },
				Do:    func(c *model.Ctx) model.Outcome { return c.DAXFaultEntered() },
			})
		},
	})
}
