package mutants

import "github.com/daxsim/daxsim/model"

// fault-enospc-sigbus: a DAX write fault that finds no free block gives up with
// SIGBUS, never asking whether a commit would free blocks
// (ext4_should_retry_alloc).
func init() {
	register(&Mutant{Name: "fault-enospc-sigbus",
		What:   "a DAX write fault that finds no free block returns SIGBUS, although blocks freed by the running transaction would be free after a commit",
		Source: "E.12 \"ext4: fix ENOSPC handling in DAX page fault handler\" (Jan Kara) and c0b246259792",
		Breaks: "expect result",
		Apply: func(k *model.Kernel) {
			k.ShouldRetryAlloc = func(*model.State) bool { return false }
			k.DeclareHook(model.HookShouldRetryAlloc, func(*model.Foot, model.Sel) {})
		},
	})
}
