package proposals

import "github.com/daxsim/daxsim/model"

// What the proposals that freeze a file's block map share (daxfile,
// pmem-immutable, immutable-metadata): the path of the call that sets or clears
// the flag, the gate that refuses block-map changes while it is set, and the
// durability promise it makes.

// sealCall describes the call that sets or clears a block-map freeze
// (daxfile(), setflag immutable=).
type sealCall struct {
	name string // the call, in kernel function names
	// check says whether the flag may be set (ResOK) on the statement's inode.
	check func(c *model.Ctx) model.Result
	// clear clears the flag ("off") and returns the call's result.
	clear func(c *model.Ctx) model.Result
	// prealloc: setting the flag first allocates every hole and unwritten page.
	prealloc bool
	// set sets the flag once the block map is durable.
	set func(c *model.Ctx)
	// What check, clear and set read and write, besides the statement's
	// inode lock (their footprints).
	checkFoot, clearFoot, setFoot func(f *model.Foot)
}

// path is the call: the descriptor and capability check, inode_lock, the check
// (on) or clear (off), the preallocation, a metadata sync so that the frozen
// map is durable before the flag takes effect (model.SealSyncSteps), then set.
func (sc sealCall) path() model.Path {
	steps := []model.Step{{Label: "fdget", Fn: sc.name + ": fdget, capable(CAP_LINUX_IMMUTABLE)", Foot: model.FdCheckFoot, Do: func(c *model.Ctx) model.Outcome {
		if c.S.Files[c.St.File].FdOpen == 0 {
			return c.Return(model.ResEBADF)
		}
		if !c.HasCap() {
			return c.Return(model.ResEPERM)
		}
		return c.Next()
	}}}
	steps = append(steps, model.DownWrite("inode-lock", sc.name+": inode_lock", model.IRwsemOf)...)
	steps = append(steps, model.Step{Label: "check", Fn: sc.name + ": check, preallocate", Foot: func(f *model.Foot) {
		if !f.St.On {
			sc.clearFoot(f)
		} else {
			sc.checkFoot(f)
			if sc.prealloc {
				f.R(model.RJLocked)
				f.AllocateAll()
			}
		}
		f.W(model.RIRwW)
	}, Do: func(c *model.Ctx) model.Outcome {
		if !c.St.On {
			r := sc.clear(c)
			c.UpWrite(model.IRwsemOf(c))
			return c.Return(r)
		}
		if r := sc.check(c); r != model.ResOK {
			c.UpWrite(model.IRwsemOf(c))
			return c.Return(r)
		}
		if sc.prealloc {
			if c.S.Journal.Locked != 0 {
				return c.Block(model.LockJournal)
			}
			if !c.S.AllocateAll(c.St.Inode) {
				c.UpWrite(model.IRwsemOf(c))
				return c.Return(model.ResENOSPC)
			}
		}
		return c.Next()
	}})
	steps = append(steps, model.SealSyncSteps(sc.name)...)
	steps = append(steps, model.Step{Label: "set", Fn: sc.name + ": set the flag", Foot: func(f *model.Foot) {
		sc.setFoot(f)
		f.W(model.RIRwW)
	}, Do: func(c *model.Ctx) model.Outcome {
		sc.set(c)
		c.UpWrite(model.IRwsemOf(c))
		return c.Return(model.ResOK)
	}})
	return model.Path{Name: sc.name, Steps: steps, Regs: model.RegsSync}
}

// frozenGate refuses changes to an inode whose block map is frozen (Immutable:
// the setter's process + 1): data writes get write, allocating writes alloc,
// layout changes layout, faults needing allocation SIGBUS. The flag was set by
// a holder of CAP_LINUX_IMMUTABLE, so the refusal is rightful, and recorded as
// the setter's.
func frozenGate(layout, write, alloc model.Result) func(c *model.Ctx, op model.GateOp, i, lo, hi int) model.Result {
	return func(c *model.Ctx, op model.GateOp, i, lo, hi int) model.Result {
		if c.S.Inodes[i].Immutable == 0 {
			return model.ResOK
		}
		r := layout
		switch op {
		case model.GateWrite:
			r = write
		case model.GateWriteAlloc:
			r = alloc
		case model.GateFaultAlloc:
			r = model.ResSIGBUS
		}
		if r == model.ResOK {
			return r
		}
		return c.Deny(r, int(c.S.Inodes[i].Immutable)-1, true)
	}
}

// frozenGateFoot: the gate reads the inode's freeze.
func frozenGateFoot(f *model.Foot, at model.Sel) { f.R(model.RImm.At(at)) }

// frozenFlushPromised: a flush through a shared mapping of a frozen inode is
// promised durable.
func frozenFlushPromised(c *model.Ctx, v *model.VMA) bool {
	return v.Flags&model.VMShared != 0 && c.S.Inodes[c.St.Inode].Immutable != 0
}

func frozenFlushPromisedFoot(f *model.Foot, _ model.Sel) { f.R(model.RVMA, model.RImm) }

// declareFrozen declares the hooks a block-map freeze sets.
func declareFrozen(k *model.Kernel) {
	k.DeclareHook(model.HookGate, frozenGateFoot)
	k.DeclareHook(model.HookUserFlushPromised, frozenFlushPromisedFoot)
}
