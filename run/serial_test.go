package run

import (
	"testing"

	"github.com/daxsim/daxsim/scenarios"
)

// TestSerialRun counts on a workload whose serial run is known: the DAX write
// fault of the flush-hole store, and under map-sync the commit it waits for.
func TestSerialRun(t *testing.T) {
	src, _ := scenarios.Builtin("flush-hole")
	for _, tc := range []struct {
		proposal string
		want     SerialCounts
	}{
		{"baseline", SerialCounts{Faults: 1, Commits: 0, Stores: 1, Finished: true}},
		{"map-sync", SerialCounts{Faults: 1, Commits: 1, Stores: 1, Finished: true}},
	} {
		scn, err := scenarios.Parse("flush-hole.scn", src, ParseOptions())
		if err != nil {
			t.Fatal(err)
		}
		b, err := scenarios.Build(scn, scenarios.Options{Proposal: tc.proposal})
		if err != nil {
			t.Fatal(err)
		}
		init := b.Init
		got := SerialRun(b.Kernel, &b.Init)
		if b.Init != init {
			t.Errorf("%s: SerialRun changed the initial state", tc.proposal)
		}
		got.Steps = 0
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.proposal, got, tc.want)
		}
	}
}
