//go:build !unix

package sim

func bigAlloc(n int) []byte { return make([]byte, n) }

func bigFree([]byte) {}
