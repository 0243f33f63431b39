//go:build !invariants

package model

// checkInvariants is a no-op without the invariants build tag; with it
// (invariants_on.go) every step is followed by [Kernel.CheckInvariants].
func checkInvariants(*Kernel, *State) {}
