package proposals

import "github.com/daxsim/daxsim/model"

// pmem-immutable: seed 001 (Dave Chinner, Sep 2016), the six rules:
//
//  1. the file is fully allocated and zeroed before use (no unwritten extents, no
//     holes, no shared extents);
//  2. setting PMEM_IMMUTABLE checks that, and needs CAP_LINUX_IMMUTABLE; it is only
//     meaningful with FS_XFLAG_DAX/S_DAX set ("could only be set on an inode that
//     already has the FS_XFLAG_DAX set");
//  3. inode metadata is then immutable, data is accessed through mmap();
//  4. every non-mmap data modification (write(2)) fails with EPERM;
//  5. every metadata modification (truncate, punch, fallocate, reflink, defrag,
//     the DAX flag) fails with EPERM;
//  6. the flag can only be removed while the file is not mapped (EBUSY), with
//     CAP_LINUX_IMMUTABLE.
//
// Setting it makes the block map durable first; then a store flushed from user
// space through any shared mapping is promised durable. read(2) is allowed (rule 3
// restricts data modification; reads cannot break the contract).
func init() {
	register(&Proposal{
		Name:    "pmem-immutable",
		Rank:    6, // its row in SPEC.md section 4
		Source:  "seed 001 (Dave Chinner, linux-nvdimm, Sep 2016)",
		Summary: "the six PMEM_IMMUTABLE rules (preallocated, metadata immutable, mmap-only)",
		Rules: []string{
			"setflag FD immutable=on: EPERM without CAP_LINUX_IMMUTABLE; EINVAL unless S_DAX and fully allocated; syncs the block map, then sets the flag",
			"setflag FD immutable=off: EBUSY while mapped",
			"while set: write(2) EPERM; truncate, punch, fallocate, reflink, defrag, setflag dax= EPERM",
			"a store flushed through any shared mapping of the file is promised durable",
		},
		Verdicts:  []string{"errors and durability in testdata/scenarios/proposals/pmem-immutable.scn"},
		Overrides: []string{"setflag-immutable", "Gate", "UserFlushPromised"},
		Apply: func(k *model.Kernel) {
			k.Paths[model.PathSetflagImmutable] = sealCall{
				name: "pmem_immutable",
				check: func(c *model.Ctx) model.Result {
					in := &c.S.Inodes[c.St.Inode]
					if in.SDax == 0 || in.DiskDax == 0 || !c.S.FullyAllocated(c.St.Inode) {
						return model.ResEINVAL
					}
					return model.ResOK
				},
				clear: func(c *model.Ctx) model.Result {
					if c.S.Mapped(c.St.Inode) {
						return c.DenyForHolders(model.ResEBUSY, c.St.Inode, true) // rule 6: a mapper blocks it
					}
					c.S.Inodes[c.St.Inode].Immutable = 0
					return model.ResOK
				},
				set: func(c *model.Ctx) { c.S.Inodes[c.St.Inode].Immutable = uint8(c.ProcIndex() + 1) },
				checkFoot: func(f *model.Foot) {
					f.R(model.RCore, model.RFlags)
					f.FullyAllocated()
				},
				clearFoot: func(f *model.Foot) {
					f.Mapped()
					f.DenyForHolders()
					f.W(model.RImm)
				},
				setFoot: func(f *model.Foot) { f.W(model.RImm) },
			}.path()
			k.Gate = frozenGate(model.ResEPERM, model.ResEPERM, model.ResEPERM)
			k.UserFlushPromised = frozenFlushPromised
			declareFrozen(k)
		},
	})
}
