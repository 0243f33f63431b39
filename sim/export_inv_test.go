package sim

// InvariantsBuild says the tests run with -tags invariants (which allocate).
const InvariantsBuild = checkWork
