package proposals

import (
	"os"
	"regexp"
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
	registry["test-two-flips"] = &Proposal{Name: "test-two-flips", Uses: []string{"flip-live", "flip-dontcache"}}
	defer delete(registry, "test-two-flips")
	_, err := Kernel("test-two-flips", model.Ext4)
	if err == nil || !strings.Contains(err.Error(), "setflag-dax") {
		t.Fatalf("composing flip-live and flip-dontcache: %v", err)
	}
	if _, err := Kernel("linux", model.XFS); err != nil {
		t.Fatalf("linux = map-sync + flip-dontcache: %v", err)
	}
}

// TestEveryProposalRegistered: SPEC's 18 proposals in its order (ranks
// 1..18), each registered by its own file (which holds its name once: no
// list repeats it).
func TestEveryProposalRegistered(t *testing.T) {
	ps := All()
	if len(ps) != 18 || len(registry) != 18 {
		t.Fatalf("%d proposals in order, %d registered; SPEC has 18", len(ps), len(registry))
	}
	for i, p := range ps {
		if p.Rank != i+1 {
			t.Errorf("%s has rank %d at position %d", p.Name, p.Rank, i+1)
		}
		file := strings.ReplaceAll(p.Name, "-", "_") + ".go"
		src, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%s: its file: %v", p.Name, err)
			continue
		}
		reg := regexp.MustCompile(`register\(&Proposal\{\s+Name:\s+"` + regexp.QuoteMeta(p.Name) + `"`)
		if !reg.Match(src) || strings.Count(string(src), "register(") != 1 {
			t.Errorf("%s: %s does not register it, or registers more", p.Name, file)
		}
	}
}
