package mutants

import "github.com/daxsim/daxsim/model"

// direct-readonly-pin: map-direct's ->mmap check lets MAP_DIRECT through
// without PROT_WRITE and without the F_MAY_SEAL_IOMAP seal, so any reader can
// pin the block map.
func init() {
	register(&Mutant{Name: "direct-readonly-pin",
		What:   "mmap(MAP_DIRECT) is allowed without PROT_WRITE and without the F_MAY_SEAL_IOMAP seal (map-direct)",
		Source: "seed 004: Kirill Shutemov's MAP_DENYWRITE objection",
		Breaks: "no-denial",
		Apply: func(k *model.Kernel) {
			check, foot := k.MmapCheck, k.HookFootprint(model.HookMmapCheck)
			k.MmapCheck = func(c *model.Ctx, vm uint8) model.Result {
				return check(c, vm&^model.VMDirect) // the MAP_DIRECT rules are not checked
			}
			if foot != nil {
				k.DeclareHook(model.HookMmapCheck, foot)
			}
		},
	})
}
