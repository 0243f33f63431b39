package mutants

import "github.com/daxsim/daxsim/model"

// seal-before-durable: the paths that freeze or pin a block map (daxfile,
// setflag immutable=, mmap MAP_DIRECT) lose their metadata sync: the seal takes
// effect before the block map it promises is committed.
func init() {
	register(&Mutant{Name: "seal-before-durable",
		What:   "a block-map seal (PMEM_IMMUTABLE, S_DAXFILE, MAP_DIRECT) takes effect before the preallocation and the block map are committed",
		Source: "crash-model 3.8 #7 (the proposals' own contract)",
		Breaks: "no-lost-block",
		Apply: func(k *model.Kernel) {
			for p := range k.Paths {
				k.Remove(model.PathID(p), model.SealSyncLabels...)
			}
		},
	})
}
