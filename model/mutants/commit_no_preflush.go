package mutants

import "github.com/daxsim/daxsim/model"

// commit-no-preflush: the journal commit writes its commit record without the
// REQ_PREFLUSH that makes the data written before it durable.
func init() {
	register(&Mutant{Name: "commit-no-preflush",
		What:   "the journal commit writes its commit record without the REQ_PREFLUSH that makes earlier data writes durable",
		Source: "crash-model 3.8 #5 (jbd2 ordering)",
		Breaks: "no-lost-block",
		Apply: func(k *model.Kernel) {
			k.Replace(model.PathJbd2, "commit", model.Step{
				Fn:    k.FS.Fn["commit"] + " (no REQ_PREFLUSH)",
				Jumps: []model.Target{model.At(model.PathJbd2, "")},
				Foot: func(f *model.Foot) {
					f.R(model.RJHandles)
					f.CommitTransaction()
				},
				Do: func(c *model.Ctx) model.Outcome {
					if c.S.Journal.Handles != 0 {
						return c.Block(model.LockJournal)
					}
					c.S.CommitTransaction() // no Fence first
					c.Ev.Fence = true
					return c.Jump(model.PathJbd2, "")
				},
			})
		},
	})
}
