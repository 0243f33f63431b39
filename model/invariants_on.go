//go:build invariants

package model

// checkInvariants runs [Kernel.CheckInvariants] after every step and panics
// on the first broken invariant ('go test -tags invariants').
func checkInvariants(k *Kernel, s *State) {
	if err := k.CheckInvariants(s); err != nil {
		panic("model: " + err.Error())
	}
}
