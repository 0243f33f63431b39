package mutants_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/model/mutants"
	"github.com/daxsim/daxsim/model/proposals"
)

// TestSealEveryCombination builds the kernel of every proposal on every
// filesystem, with no mutant and with each mutant, and seals it: every jump
// resolves, every step is reachable, no statement uses overlapping register
// views. A mutant that names a step a proposal lacks must either check first
// (model.Kernel.Has) or make sealing fail here.
func TestSealEveryCombination(t *testing.T) {
	combos := append([][]string{nil}, func() [][]string {
		var out [][]string
		for _, m := range mutants.Names() {
			out = append(out, []string{m})
		}
		return out
	}()...)
	for _, fs := range model.Filesystems {
		for _, p := range proposals.Names() {
			for _, ms := range combos {
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("%s on %s with mutants %v: %v", p, fs, ms, r)
						}
					}()
					k, err := proposals.Kernel(p, fs)
					if err != nil {
						t.Fatal(err)
					}
					if err := mutants.Apply(k, ms); err != nil {
						t.Fatal(err)
					}
					k.Seal()
					if !k.Sealed() {
						t.Errorf("%s on %s: not sealed", p, fs)
					}
				}()
			}
		}
	}
}

// TestMutantsChangeTheirKernel: each mutant changes the kernel of the proposal
// its catching scenario (testdata/mutants/NAME.scn) runs under: a mutant that
// edited nothing there would prove nothing.
func TestMutantsChangeTheirKernel(t *testing.T) {
	for _, fs := range model.Filesystems {
		for _, m := range mutants.All() {
			src, err := os.ReadFile(filepath.Join("../../testdata/mutants", m.Name+".scn"))
			if err != nil {
				t.Fatal(err)
			}
			prop := regexp.MustCompile(`(?m)^proposal\s+(\S+)`).FindSubmatch(src)
			if prop == nil {
				t.Fatalf("%s.scn has no proposal line", m.Name)
			}
			clean, _ := proposals.Kernel(string(prop[1]), fs)
			want := model.Fingerprint(clean)
			k, _ := proposals.Kernel(string(prop[1]), fs)
			if err := mutants.Apply(k, []string{m.Name}); err != nil {
				t.Fatal(err)
			}
			got := model.Fingerprint(k)
			same := true
			for name := range want {
				same = same && got[name] == want[name]
			}
			if same {
				t.Errorf("mutant %s changes nothing in %s on %s", m.Name, prop[1], fs)
			}
		}
	}
}

func TestApplyRefusesUnknown(t *testing.T) {
	k, _ := proposals.Kernel("linux", model.Ext4)
	if err := mutants.Apply(k, []string{"no-such-bug"}); err == nil {
		t.Fatal("an unknown mutant was applied")
	}
}
