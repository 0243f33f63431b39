package run

import (
	"testing"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/scenarios"
)

// TestCanonicalUnique: exchanging the threads of a class in a state never
// changes its representative, over the states of the benchmark at N=3.
func TestCanonicalUnique(t *testing.T) {
	scn, err := scenarios.Parse("p3", []byte(perfScenario(4, "flip-dontcache")), scenarios.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := scenarios.Build(scn, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	k := b.Kernel
	y := symmetryFor(b)
	var states []model.State
	// The states: a depth-first walk of our own.
	seen := map[model.State]bool{}
	stack := []model.State{b.Init}
	var ev model.Event
	for len(stack) > 0 && len(states) < 50000 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[s] {
			continue
		}
		seen[s] = true
		states = append(states, s)
		for th := range k.Threads {
			n := s
			if k.Exec(&n, th, &ev) {
				stack = append(stack, n)
			}
		}
	}
	bad := 0
	for _, s := range states {
		c1 := s
		y.Canonicalize(k, &c1)
		for _, class := range y.Classes() {
			var p model.Perm
			for i := range p {
				p[i] = uint8(i)
			}
			p[class[0]], p[class[1]] = uint8(class[1]), uint8(class[0])
			x := s
			y.Exchange(k, &x, p)
			y.Canonicalize(k, &x)
			if x != c1 {
				bad++
				if bad < 3 {
					t.Errorf("exchanging %v changes the representative", class[:2])
				}
			}
		}
	}
	t.Logf("%d states, %d with a non-unique representative", len(states), bad)
}
