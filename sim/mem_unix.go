//go:build unix

package sim

import "syscall"

// bigAlloc maps n zeroed bytes (nil when the system refuses).
func bigAlloc(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil
	}
	return b
}

// bigFree unmaps a buffer of bigAlloc.
func bigFree(b []byte) { syscall.Munmap(b) }
