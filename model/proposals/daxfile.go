package proposals

import "github.com/daxsim/daxsim/model"

// daxfile: seed 000 (Dan Williams' "[RFC PATCH 0/2] daxfile" and "fs, xfs: block map
// immutable files", Jun-Aug 2017; reference/linux-dax.md A.4). daxfile(fd, on)
// needs CAP_LINUX_IMMUTABLE and a DAX inode; it allocates and zeroes the whole file,
// makes that block map durable, sets S_DAXFILE (S_IOMAP_IMMUTABLE) and keeps a
// reference to the file while the flag is set ("the syscall intentionally leaks a
// reference", Lutomirski). While it is set the block map cannot change: truncate,
// punch, fallocate, reflink, defrag, a size-changing write and a DAX flag change
// fail with ETXTBSY, a fault needing allocation gets SIGBUS. A store flushed from
// user space through any shared mapping is then promised durable.
func init() {
	register(&Proposal{
		Name:    "daxfile",
		Rank:    5, // its row in SPEC.md section 4
		Source:  "seed 000 (Dan Williams, Andy Lutomirski, Jun 2017)",
		Summary: "daxfile()/S_DAXFILE pins the block map, holding a file reference, CAP_LINUX_IMMUTABLE",
		Rules: []string{
			"daxfile FD on: EPERM without CAP_LINUX_IMMUTABLE, EINVAL unless the inode is DAX; preallocates, syncs, sets S_DAXFILE, holds a reference",
			"daxfile FD off: clears S_DAXFILE and drops the reference",
			"while set: block-map changes fail ETXTBSY, faults needing allocation get SIGBUS",
			"a store flushed through any shared mapping of an S_DAXFILE inode is promised durable",
		},
		Verdicts:  []string{"errors and durability in testdata/scenarios/proposals/daxfile.scn"},
		Overrides: []string{"daxfile", "Gate", "UserFlushPromised", "ExtraInodeRefs"},
		Apply: func(k *model.Kernel) {
			k.Paths[model.PathDaxfile] = sealCall{
				name: "daxfile",
				check: func(c *model.Ctx) model.Result {
					if c.S.Inodes[c.St.Inode].SDax == 0 {
						return model.ResEINVAL
					}
					return model.ResOK
				},
				clear: func(c *model.Ctx) model.Result {
					in := &c.S.Inodes[c.St.Inode]
					if in.Immutable != 0 {
						in.Immutable = 0
						c.DropInodeRef(c.St.Inode)
					}
					return model.ResOK
				},
				checkFoot: func(f *model.Foot) { f.R(model.RCore) },
				clearFoot: func(f *model.Foot) {
					f.RW(model.RImm)
					f.DropInodeRef()
				},
				setFoot: func(f *model.Foot) {
					f.RW(model.RImm)
					f.TakeInodeRef()
				},
				prealloc: true,
				set: func(c *model.Ctx) {
					in := &c.S.Inodes[c.St.Inode]
					if in.Immutable == 0 {
						in.Immutable = uint8(c.ProcIndex() + 1)
						c.S.TakeInodeRef(c.St.Inode)
					}
				},
			}.path()
			k.ExtraInodeRefs = func(s *model.State, i int) int {
				if s.Inodes[i].Immutable != 0 {
					return 1
				}
				return 0
			}
			k.Gate = frozenGate(model.ResETXTBSY, model.ResOK, model.ResETXTBSY)
			k.UserFlushPromised = frozenFlushPromised
			declareFrozen(k)
		},
	})
}
