package model

import (
	"math/bits"
	"unsafe"
)

// stateWords is the size of a State in 64-bit words.
const stateWords = int(unsafe.Sizeof(State{})) / 8

// Hash is a 64-bit fingerprint of the state's bytes (DESIGN.md: the visited set
// stores fingerprints, as TLC does). The state has no implicit padding
// (TestStateHasNoPadding), so equal states have equal hashes. Two different states
// collide with probability about 2^-64 per pair; with n stored states the chance of
// any collision is about n^2 / 2^65 (1e-7 for 2e6 states).
func (s *State) Hash() uint64 {
	w := (*[stateWords]uint64)(unsafe.Pointer(s))
	const (
		p1 = 0x9E3779B185EBCA87
		p2 = 0xC2B2AE3D27D4EB4F
	)
	a, b := uint64(0x27D4EB2F165667C5), uint64(0x165667B19E3779F9)
	i := 0
	for ; i+1 < stateWords; i += 2 {
		a = bits.RotateLeft64(a+w[i]*p2, 31) * p1
		b = bits.RotateLeft64(b+w[i+1]*p2, 31) * p1
	}
	if i < stateWords {
		a = bits.RotateLeft64(a+w[i]*p2, 31) * p1
	}
	h := bits.RotateLeft64(a, 1) + bits.RotateLeft64(b, 7)
	h ^= h >> 33
	h *= p2
	h ^= h >> 29
	h *= 0x165667B19E3779F9
	h ^= h >> 32
	return h
}
