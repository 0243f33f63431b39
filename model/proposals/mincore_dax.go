package proposals

import "github.com/daxsim/daxsim/model"

// mincore-dax: seed 001 (Dan Williams, Sep 2016): "extensions to mincore to have
// flags for DAX". The baseline kernel plus a mincore() that reports whether the
// page is mapped through DAX. Dave Chinner's reply is the point the model makes:
// "need fsync/msync" is a dynamic state of an inode, not a static property, so an
// application that skips fsync because mincore says DAX still loses data.
func init() {
	register(&Proposal{
		Name:    "mincore-dax",
		Rank:    17, // its row in SPEC.md section 4
		Source:  "seed 001 (Dan Williams / Dave Chinner, Sep 2016)",
		Summary: "a static \"is this DAX\" query answered by mincore()",
		Rules: []string{
			"everything of baseline",
			"mincore MAP PAGE returns dax when the mapping's vm_ops are DAX, else nodax",
		},
		Verdicts:  []string{"mincore says dax, and flush-is-durable is still violated (testdata/scenarios/proposals/mincore-dax.scn)"},
		Overrides: []string{"mincore"},
		Apply: func(k *model.Kernel) {
			k.Paths[model.PathMincore] = model.Path{Name: "mincore-dax", Steps: []model.Step{
				{Label: "mincore", Fn: "mincore: DAX bit from the VMA", Do: mincoreDAX, Foot: model.MincoreFoot}}}
		},
	})
}

// mincoreDAX is the proposed mincore DAX bit: set when the mapping is DAX.
func mincoreDAX(c *model.Ctx) model.Outcome {
	v, ok := c.MappedVMA()
	if !ok {
		return c.Return(model.ResENOMEM)
	}
	if v.Ops == model.KindDAX {
		return c.Return(model.ResDax)
	}
	return c.Return(model.ResNodax)
}
