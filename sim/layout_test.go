package sim

import (
	"math/rand/v2"
	"testing"

	"github.com/daxsim/daxsim/model"
)

// TestFingerprintIgnoresLayout: a state's fingerprint is the same under every
// layout that holds the words where it differs from the initial state, and
// encoding then decoding a state under a layout gives it back.
func TestFingerprintIgnoresLayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var init model.State
	iw := stateWordsOf(&init)
	for i := range iw {
		if rng.IntN(3) == 0 {
			iw[i] = rng.Uint64()
		}
	}
	seen := map[uint64]model.State{}
	for n := 0; n < 2000; n++ {
		s := init
		w := stateWordsOf(&s)
		diff := make([]bool, stateWords)
		for k := rng.IntN(6); k >= 0; k-- {
			i := rng.IntN(stateWords)
			w[i] ^= uint64(1) << rng.IntN(64) * uint64(1+rng.IntN(3))
			diff[i] = w[i] != iw[i]
		}
		narrow := newLayout(&init, diff)
		wide := append([]bool(nil), diff...)
		for i := range wide {
			if rng.IntN(4) == 0 {
				wide[i] = true
			}
		}
		layouts := []*layout{narrow, newLayout(&init, wide), newLayout(&init, nil)}
		h := layouts[0].fingerprintState(&s)
		for _, l := range layouts {
			if g := l.fingerprintState(&s); g != h {
				t.Fatalf("state %d: fingerprint %x under one layout, %x under another", n, h, g)
			}
			c := make([]uint64, l.size())
			l.encode(c, &s)
			back := init
			l.decode(&back, c)
			if back != s {
				t.Fatalf("state %d: decode(encode(s)) != s", n)
			}
			ref := init
			if !l.intact(&s, &ref) {
				t.Fatalf("state %d: a layout holding every changed word says the state breaks it", n)
			}
		}
		if s != init {
			ref := init
			if newLayout(&init, make([]bool, stateWords)).intact(&s, &ref) {
				t.Fatalf("state %d: the empty layout does not see the changed words", n)
			}
		}
		if prev, ok := seen[h]; ok && prev != s {
			t.Fatalf("two states with fingerprint %x", h)
		}
		seen[h] = s
	}
	if h := newLayout(&init, make([]bool, stateWords)).fingerprintState(&init); h != newLayout(&init, nil).fingerprintState(&init) {
		t.Fatal("the initial state's fingerprint depends on the layout")
	}
}
