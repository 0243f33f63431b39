package checker

import (
	"os"
	"strings"
	"testing"
)

// TestRegistry: the nine properties in SPEC order (ranks 1..9); the engine
// checks they make carry their names; each property's name is written once,
// in its own file.
func TestRegistry(t *testing.T) {
	ps := All()
	if len(ps) != 9 {
		t.Fatalf("%d properties, want SPEC's 9", len(ps))
	}
	for i, p := range ps {
		if p.Rank != i+1 {
			t.Errorf("%s has rank %d at position %d", p.Name, p.Rank, i+1)
		}
		if q, ok := Lookup(p.Name); !ok || q != p {
			t.Errorf("Lookup(%s) = %v, %v", p.Name, q, ok)
		}
		if p.Checkable() {
			if c := p.Check(Config{}); c.Name != p.Name {
				t.Errorf("%s makes an engine check named %q", p.Name, c.Name)
			}
		}
		if p.History != nil {
			if h := p.History(Config{}); h.Name != p.Name {
				t.Errorf("%s makes a history check named %q", p.Name, h.Name)
			}
		}
		file := strings.ReplaceAll(p.Name, "-", "_") + ".go"
		src, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%s: its file: %v", p.Name, err)
			continue
		}
		if n := strings.Count(string(src), `"`+p.Name+`"`); n != 1 {
			t.Errorf("%s: its name is written %d times in %s, want once", p.Name, n, file)
		}
	}
}
