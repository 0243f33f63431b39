//go:build invariants

package sim

// checkWork makes every step start from a work state equal to the state it
// expands, and a step that cannot run leave it unchanged ('go test -tags
// invariants'): the engine restores only the layout's words before a step.
const checkWork = true
