package proposals

import "github.com/daxsim/daxsim/model"

// map-direct: seed 004 (Dan Williams, MAP_DIRECT v5-v9, Aug-Oct 2017). On top of
// MAP_SYNC (map-sync):
//
//   - fcntl(F_MAY_SEAL_IOMAP) marks the struct file as allowed to mmap(MAP_DIRECT);
//     it needs CAP_LINUX_IMMUTABLE (EPERM), and the permission travels with the fd;
//   - mmap(MAP_DIRECT) needs PROT_WRITE (EACCES), the sealed file (EPERM) and a DAX
//     inode (EOPNOTSUPP); MAP_PRIVATE is treated as MAP_SHARED; the mapping pins the
//     block map of its range for its lifetime, and the mmap makes that block map
//     durable before the mapping exists (modeled: an fdatasync of the file);
//   - block-map changes in a pinned range (allocation, conversion, breaking a shared
//     extent, truncate, punch, defrag, reflink) fail with ETXTBSY; a store needing
//     allocation gets SIGBUS (Kirill Shutemov asked for SIGBUS over SIGSEGV);
//   - a store flushed from user space through a MAP_DIRECT (or MAP_SYNC) mapping is
//     promised durable.
//
// no-denial asks Kirill Shutemov's question: can a process without write access
// make another's call fail? MAP_DIRECT needs PROT_WRITE on a file opened for write,
// so the answer here is no.
func init() {
	register(&Proposal{
		Name:    "map-direct",
		Rank:    8, // its row in SPEC.md section 4
		Source:  "seed 004 (Dan Williams / Kirill Shutemov, linux-mm, Aug 2017)",
		Summary: "mmap(MAP_DIRECT) needs PROT_WRITE and an F_MAY_SEAL_IOMAP-sealed file; the block map is pinned while mapped (ETXTBSY, SIGBUS)",
		Rules: []string{
			"everything of map-sync",
			"seal FD iomap: EPERM without CAP_LINUX_IMMUTABLE",
			"mmap MAP_DIRECT: EACCES without PROT_WRITE, EPERM without the seal, EOPNOTSUPP on a non-DAX file; MAP_PRIVATE becomes MAP_SHARED",
			"block-map changes in a pinned range fail with ETXTBSY; a store needing allocation gets SIGBUS",
			"a store flushed through a MAP_DIRECT mapping is promised durable",
		},
		Verdicts:  []string{"errors in testdata/scenarios/proposals/map-direct.scn; no-denial passes"},
		Uses:      []string{"map-sync"},
		Overrides: []string{"MmapFlags", "MmapCheck", "seal", "mmap", "Gate", "UserFlushPromised"},
		Apply: func(k *model.Kernel) {
			validate := MmapFlagsValidate(model.VMSync | model.VMDirect)
			k.MmapFlags = func(c *model.Ctx, flags uint8) (uint8, model.Result) {
				vm, r := validate(c, flags)
				if vm&model.VMDirect != 0 && vm&model.VMPrivate != 0 {
					vm = vm&^model.VMPrivate | model.VMShared
				}
				return vm, r
			}
			k.MmapCheck = func(c *model.Ctx, vm uint8) model.Result {
				if vm&model.VMDirect != 0 {
					switch {
					case !c.St.Write:
						return model.ResEACCES
					case c.FileOf().Sealed == 0:
						return model.ResEPERM
					case c.S.Inodes[c.St.Inode].SDax == 0:
						return model.ResEOPNOTSUPP
					}
				}
				return mmapCheckSync(c, vm)
			}
			k.DeclareHook(model.HookMmapFlags, func(*model.Foot, model.Sel) {})
			k.DeclareHook(model.HookMmapCheck, func(f *model.Foot, at model.Sel) {
				f.R(model.RFile, model.RCore)
			})
			k.Paths[model.PathSeal] = model.Path{Name: "seal", Steps: []model.Step{{Label: "fcntl", Fn: "fcntl(F_MAY_SEAL_IOMAP)",
				Foot: func(f *model.Foot) { f.RW(model.RFile) },
				Do: func(c *model.Ctx) model.Outcome {
					f := c.FileOf()
					switch {
					case f.FdOpen == 0:
						return c.Return(model.ResEBADF)
					case !c.HasCap():
						return c.Return(model.ResEPERM)
					}
					f.Sealed = 1
					return c.Return(model.ResOK)
				}}}}
			k.Paths[model.PathMmap] = directMmapPath(k.Paths[model.PathMmap])
			k.Gate = func(c *model.Ctx, op model.GateOp, i, lo, hi int) model.Result {
				if op == model.GateWrite {
					return model.ResOK
				}
				p, rightful, pinned := directPin(c.S, i, lo, hi)
				switch {
				case !pinned:
					return model.ResOK
				case op == model.GateFaultAlloc:
					return model.ResSIGBUS
				}
				return c.Deny(model.ResETXTBSY, p, rightful)
			}
			k.UserFlushPromised = func(c *model.Ctx, v *model.VMA) bool {
				return v.Flags&(model.VMSync|model.VMDirect) != 0
			}
			// directPin looks at every VMA and the struct file it maps.
			k.DeclareHook(model.HookGate, func(f *model.Foot, _ model.Sel) { f.R(model.RVMA.All(), model.RFile.All()) })
			k.DeclareHook(model.HookUserFlushPromised, vmaFlagsFoot)
		},
	})
}

// directMmapPath puts a metadata sync in front of mmap when MAP_DIRECT is asked
// for, so that the block map the mapping pins is durable (the mutant
// seal-before-durable removes it).
func directMmapPath(mmap model.Path) model.Path {
	sync := model.SealSyncSteps("mmap(MAP_DIRECT)")
	first, last := sync[0], sync[len(sync)-1].Label
	sync[0].Jumps = []model.Target{model.Past(model.PathSelf, last)}
	sync[0].Do = func(c *model.Ctx) model.Outcome {
		if c.St.Flags&model.VMDirect == 0 {
			return c.JumpPast(model.PathSelf, last)
		}
		return first.Do(c)
	}
	// Only an mmap with MAP_DIRECT runs the sync: the others jump past it.
	for i := range sync {
		foot := sync[i].Foot
		sync[i].Foot = func(f *model.Foot) {
			if f.St.Flags&model.VMDirect != 0 {
				foot(f)
			}
		}
	}
	return model.Path{Name: "mmap-direct", Steps: append(sync, mmap.Steps...), Regs: mmap.Regs | model.RegsSync}
}

// directPin finds a MAP_DIRECT VMA of any process mapping a page of lo..hi of
// inode i; it reports the process and whether the pin was taken with the rights
// MAP_DIRECT requires (a writable mapping of a file opened for write and sealed).
func directPin(s *model.State, i, lo, hi int) (proc int, rightful, ok bool) {
	for p := range s.Procs {
		for v := range s.Procs[p].VMA {
			vma := &s.Procs[p].VMA[v]
			if vma.File == 0 || int(vma.Inode) != i+1 || vma.Flags&model.VMDirect == 0 {
				continue
			}
			if int(vma.Hi) < lo || int(vma.Lo) > hi {
				continue
			}
			f := &s.Files[vma.File-1]
			return p, vma.Write != 0 && f.Write != 0 && f.Sealed != 0, true
		}
	}
	return -1, false, false
}
