package model

import "errors"

// CheckInvariants recomputes the bookkeeping the kernel paths keep
// incrementally and compares (the "real vs cached" checks of gVisor's mm
// tests). It is filled in below.
func (k *Kernel) CheckInvariants(s *State) error {
	return errors.ErrUnsupported
}
