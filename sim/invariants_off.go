//go:build !invariants

package sim

const checkWork = false
