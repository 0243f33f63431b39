package proposals

import "github.com/daxsim/daxsim/model"

// immutable-metadata: seed 001 (Darrick Wong's variant, Sep 2016): "an 'immutable
// metadata' flag where any timestamp, xattr, or block mapping update just returns
// EPERM. There wouldn't be any checks as in (1); if you left a hole in the file
// prior to setting the flag then you won't be filling it unless you clear the
// flag." Writes into allocated blocks stay allowed (data, not metadata); a write
// fault on a hole fails (Dave Chinner: "a write page fault into a hole would need a
// segv", here SIGBUS). The block map is made durable when the flag is set, so a
// store flushed through a shared mapping is promised durable.
func init() {
	register(&Proposal{
		Name:    "immutable-metadata",
		Rank:    7, // its row in SPEC.md section 4
		Source:  "seed 001 (Darrick Wong / Dave Chinner, Sep 2016)",
		Summary: "only metadata frozen; no preallocation check; write faults on holes fail",
		Rules: []string{
			"setflag FD immutable=on: EPERM without CAP_LINUX_IMMUTABLE; no allocation check; syncs the block map, then sets the flag",
			"while set: write(2) into a hole, truncate, punch, fallocate, reflink, defrag, setflag dax= fail with EPERM",
			"a write fault on a hole or unwritten extent gets SIGBUS",
			"a store flushed through any shared mapping of the file is promised durable",
		},
		Verdicts:  []string{"SIGBUS on a hole, EPERM on layout changes (testdata/scenarios/proposals/immutable-metadata.scn)"},
		Overrides: []string{"setflag-immutable", "Gate", "UserFlushPromised"},
		Apply: func(k *model.Kernel) {
			k.Paths[model.PathSetflagImmutable] = sealCall{
				name:  "immutable_metadata",
				check: func(c *model.Ctx) model.Result { return model.ResOK },
				clear: func(c *model.Ctx) model.Result {
					c.S.Inodes[c.St.Inode].Immutable = 0
					return model.ResOK
				},
				set:       func(c *model.Ctx) { c.S.Inodes[c.St.Inode].Immutable = uint8(c.ProcIndex() + 1) },
				checkFoot: func(*model.Foot) {},
				clearFoot: func(f *model.Foot) { f.W(model.RImm) },
				setFoot:   func(f *model.Foot) { f.W(model.RImm) },
			}.path()
			k.Gate = frozenGate(model.ResEPERM, model.ResOK, model.ResEPERM)
			k.UserFlushPromised = frozenFlushPromised
			declareFrozen(k)
		},
	})
}
