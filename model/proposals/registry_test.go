package proposals

import (
	"slices"
	"strings"
	"testing"

	"github.com/daxsim/daxsim/model"
)

// TestOverridesDeclared: what each proposal's own Apply changes (paths and
// hooks, on top of its Uses) is exactly what it declares, on both filesystems,
// so that 'daxsim explain' and the composition check can trust the list.
func TestOverridesDeclared(t *testing.T) {
	for _, fs := range model.Filesystems {
		for _, p := range All() {
			got, err := p.overridesDetected(fs)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(p.Overrides)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s on %s changes %v, declares %v", p.Name, fs, got, want)
			}
		}
	}
}

// TestCompositionConflict: composing two proposals that override the same
// path is an error.
func TestCompositionConflict(t *testing.T) {
	register(&Proposal{Name: "test-two-flips", Uses: []string{"flip-live", "flip-dontcache"}})
	defer delete(registry, "test-two-flips")
	_, err := Kernel("test-two-flips", model.Ext4)
	if err == nil || !strings.Contains(err.Error(), "setflag-dax") {
		t.Fatalf("composing flip-live and flip-dontcache: %v", err)
	}
	if _, err := Kernel("linux", model.XFS); err != nil {
		t.Fatalf("linux = map-sync + flip-dontcache: %v", err)
	}
}

func TestEveryProposalRegistered(t *testing.T) {
	for _, n := range order {
		if _, ok := registry[n]; !ok {
			t.Errorf("%s is in the order but not registered", n)
		}
	}
	if len(registry) != len(order) {
		t.Errorf("%d registered, %d in the order", len(registry), len(order))
	}
}
