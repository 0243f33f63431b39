// Package compare is the proposal x property matrix of 'daxsim compare': every
// workload of a suite checked under every proposal (package run), the verdicts
// folded per proposal and property with the cost of each proposal, and the
// matrix's renderings (text, markdown, JSON, HTML).
package compare
