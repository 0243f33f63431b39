// Package run checks a built scenario: it explores it (with thread symmetry and
// partial-order reduction, falling back to random schedules after a limit),
// judges the properties (package checker) and the expect lines, and gives the
// exit status (SPEC.md section 2). It also replays a saved counterexample
// against its check (Reproduce) and runs a scenario's threads serially
// (SerialRun). Package report renders what a run found.
package run
