package model

import (
	"strings"
	"testing"
	"unsafe"
)

// mustPanic runs f and returns the panic's message, failing the test if f did
// not panic.
func mustPanic(t *testing.T, what string, f func()) string {
	t.Helper()
	var msg string
	func() {
		defer func() {
			if r := recover(); r != nil {
				msg, _ = r.(string)
				if msg == "" {
					msg = "panic"
				}
			}
		}()
		f()
	}()
	if msg == "" {
		t.Fatalf("%s: no panic", what)
	}
	return msg
}

func TestBaselineSeals(t *testing.T) {
	for _, fs := range Filesystems {
		k := NewKernel(fs)
		k.Seal()
		if !k.Sealed() {
			t.Fatal("not sealed")
		}
		mustPanic(t, "editing a sealed kernel", func() { k.Remove(PathFsync, "commit") })
	}
}

// TestSealRefusesUnknownLabel: a jump to a label no step has, a removed step
// that is still jumped to, and a duplicate label are refused when sealing.
func TestSealRefusesUnknownLabel(t *testing.T) {
	k := NewKernel(Ext4)
	k.AddJumps(PathFsync, "start", At(PathFsync, "no-such-step"))
	if msg := mustPanic(t, "jump to an unknown label", k.Seal); !strings.Contains(msg, "no-such-step") {
		t.Errorf("message does not name the label: %s", msg)
	}
	k = NewKernel(Ext4)
	k.Remove(PathFsync, "commit-wait") // "commit" jumps past it
	mustPanic(t, "jump to a removed step", k.Seal)
	k = NewKernel(XFS)
	k.Paths[PathStatx].Steps = append(k.Paths[PathStatx].Steps, k.Paths[PathStatx].Steps[0])
	mustPanic(t, "duplicate label", k.Seal)
}

// TestSealRefusesUnreachableStep: a step nothing leads to is refused.
func TestSealRefusesUnreachableStep(t *testing.T) {
	k := NewKernel(Ext4)
	// The write paths no longer declare the jump to the user copy's first step.
	k.Paths[PathWriteDAX].Steps[2].Jumps = []Target{At(PathUserCopy, "copy"), At(PathWriteDAX, "copy")}
	k.Paths[PathWritePC].Steps[0].Jumps = []Target{At(PathUserCopy, "copy"), At(PathWritePC, "copy")}
	msg := mustPanic(t, "unreachable step", k.Seal)
	if !strings.Contains(msg, "user-copy") || !strings.Contains(msg, "unreachable") {
		t.Errorf("message does not name the step: %s", msg)
	}
}

// TestUndeclaredJumpPanics: at run time a step may only jump where it said.
func TestUndeclaredJumpPanics(t *testing.T) {
	k := NewKernel(Ext4)
	k.Replace(PathStatx, "statx", Step{Fn: "statx that jumps", Do: func(c *Ctx) Outcome { return c.Jump(PathFsync, "done") }})
	k.Threads = []ThreadInfo{{Name: "t", Prog: []Stmt{{Op: OpStatx, Inode: 0, File: 0}}}}
	k.Seal()
	var s State
	var ev Event
	if msg := mustPanic(t, "undeclared jump", func() { k.Exec(&s, 0, &ev) }); !strings.Contains(msg, "without declaring") {
		t.Errorf("message: %s", msg)
	}
}

// TestRegisterViewsDisjointWhereLive: no statement of the baseline can use two
// overlapping views; declaring an overlap (the fault's and the user copy's
// registers share bytes) in paths one statement can reach is refused.
func TestRegisterViewsDisjointWhereLive(t *testing.T) {
	k := NewKernel(XFS)
	k.Paths[PathWriteDAX].Regs |= RegsFault
	msg := mustPanic(t, "overlapping views in one statement", k.Seal)
	if !strings.Contains(msg, "overlap") {
		t.Errorf("message: %s", msg)
	}
	// And the views are where the accessors put them.
	sizes := map[RegView]uintptr{RegsSync: unsafe.Sizeof(SyncRegs{}), RegsFault: unsafe.Sizeof(FaultRegs{}),
		RegsCopy: unsafe.Sizeof(CopyRegs{}), RegsProposal: unsafe.Sizeof(ProposalRegs{}), RegsMutant: unsafe.Sizeof(MutantRegs{})}
	for _, d := range regViews {
		if d.size != sizes[d.view] || d.off+d.size > MaxRegs {
			t.Errorf("view %s: offset %d size %d", d.name, d.off, d.size)
		}
	}
}

// TestUndeclaredViewPanics: a step that reads a view its path did not declare
// panics.
func TestUndeclaredViewPanics(t *testing.T) {
	k := NewKernel(Ext4)
	k.Replace(PathStatx, "statx", Step{Fn: "statx reading the sync registers", Do: func(c *Ctx) Outcome {
		_ = c.Sync().Cursor
		return c.Return(ResOK)
	}})
	k.Threads = []ThreadInfo{{Name: "t", Prog: []Stmt{{Op: OpStatx, Inode: 0, File: 0}}}}
	k.Seal()
	var s State
	var ev Event
	mustPanic(t, "undeclared view", func() { k.Exec(&s, 0, &ev) })
}

// TestEveryOpHasAnEntryPath: each statement of the table starts a path with
// steps in the baseline kernel.
func TestEveryOpHasAnEntryPath(t *testing.T) {
	k := NewKernel(Ext4)
	for op := OpOpen; op < NumOps; op++ {
		info := Ops[op]
		if info.Name == "" || info.Entry == PathNone || len(k.Paths[info.Entry].Steps) == 0 {
			t.Errorf("op %d (%q): no name or no entry path", op, info.Name)
		}
		if op != OpJbd2 && info.Syntax == "" {
			t.Errorf("op %s has no syntax", info.Name)
		}
	}
}
