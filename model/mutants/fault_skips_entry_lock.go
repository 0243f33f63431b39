package mutants

import "github.com/daxsim/daxsim/model"

// fault-skips-entry-lock: grab_mapping_entry neither waits for nor takes the
// entry lock (DAX before the entry locking of 4.7).
func init() {
	register(&Mutant{Name: "fault-skips-entry-lock",
		What:   "grab_mapping_entry does not lock the entry: a read fault that saw a hole maps the zero page over a block a write fault just mapped",
		Source: "E.3 ac401cc78242 \"dax: New fault locking\" (4.7)",
		Breaks: "no-stale-pte",
		Apply: func(k *model.Kernel) {
			k.Replace(model.PathDAXFault, "grab-entry", model.Step{Fn: "dax_iomap_pte_fault: grab_mapping_entry", Do: grabUnlocked,
				Foot: func(f *model.Foot) {
					f.GrabEntry()
					f.EntryGrabbed()
				}})
		},
	})
}

// grabUnlocked is grab_mapping_entry without the entry lock.
func grabUnlocked(c *model.Ctx) model.Outcome {
	if r, ok := c.GrabEntry(); !ok {
		return c.Return(r)
	}
	return c.EntryGrabbed()
}
