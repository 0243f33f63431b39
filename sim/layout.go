package sim

import (
	"bytes"
	"math/bits"
	"unsafe"

	"github.com/daxsim/daxsim/model"
)

// The compact encoding. A state is 1,928 bytes, but a scenario's threads change
// only a small part of it (the slots of the objects it names, a few registers, the
// blocks its files occupy, the journal): typically 20-60 of its 241 words. The
// engine stores, fingerprints and queues states as the words of State that some
// step of this search has changed (its layout); every other word keeps the
// initial state's value. Expansion decodes a compact state into a full State
// buffer whose other words already hold the initial state's (a scatter of those
// words, with no allocation), and encoding is the gather back.
//
// The layout is learnt: it starts empty, and every successor is checked against
// it (intact: its words outside the layout must still equal the initial
// state's). A step that writes elsewhere widens the layout by the words it
// changed, and the search re-encodes its frontier and redoes the batch. The
// fingerprint of a state does not depend on the layout (see fingerprint), so every
// fingerprint stored stays valid and the search finds the same states, witnesses
// and counts whatever the layout; the layout costs time and memory only.

// stateWords is the size of model.State in words.
const stateWords = int(unsafe.Sizeof(model.State{})) / 8

// layout is the set of State words a search stores.
type layout struct {
	idx  []int32     // the words stored, ascending
	keys [][2]uint64 // their wordKeys
	init model.State
	full bool   // every word is stored: nothing to check
	base uint64 // the initial state's sum of word hashes (see fingerprint)
}

// newLayout builds the layout of the words in (nil: every word).
func newLayout(init *model.State, in []bool) *layout {
	l := &layout{init: *init}
	l.full = true
	for w := 0; w < stateWords; w++ {
		if in == nil || in[w] {
			l.idx = append(l.idx, int32(w))
			l.keys = append(l.keys, wordKeys[w])
			continue
		}
		l.full = false
	}
	iw := stateWordsOf(&l.init)
	for _, x := range l.idx {
		l.base += wordHash(int(x), iw[x])
	}
	return l
}

// size is the number of words of a compact state.
func (l *layout) size() int { return len(l.idx) }

func stateWordsOf(s *model.State) *[stateWords]uint64 {
	return (*[stateWords]uint64)(unsafe.Pointer(s))
}

func stateBytesOf(s *model.State) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(s)), unsafe.Sizeof(*s))
}

// encode writes the compact form of s into dst (len(dst) >= l.size()).
func (l *layout) encode(dst []uint64, s *model.State) {
	w := stateWordsOf(s)
	dst = dst[:len(l.idx)]
	for i, x := range l.idx {
		dst[i] = w[x]
	}
}

// decode writes the compact state src into s, whose words outside the layout
// must hold init's values.
func (l *layout) decode(s *model.State, src []uint64) {
	w := stateWordsOf(s)
	src = src[:len(l.idx)]
	for i, x := range l.idx {
		w[x] = src[i]
	}
}

// restore copies the layout's words of src into dst (dst's other words hold
// init's values, as src's do).
func (l *layout) restore(dst, src *model.State) {
	if l.full {
		*dst = *src
		return
	}
	d, s := stateWordsOf(dst), stateWordsOf(src)
	for _, x := range l.idx {
		d[x] = s[x]
	}
}

// intact reports whether the words of s outside the layout still hold init's
// values. ref is a scratch state holding init's values outside the layout.
func (l *layout) intact(s, ref *model.State) bool {
	if l.full {
		return true
	}
	l.restore(ref, s)
	return bytes.Equal(stateBytesOf(ref), stateBytesOf(s))
}

// fingerprintState is the 64-bit hash of s (which holds init's words outside
// the layout): the sum over the state's words of a per-word hash of (word index,
// value), minus the same sum over the initial state. A word that holds the initial state's value adds nothing, so the
// fingerprint of a state does not depend on the layout that stores it (as long as
// the layout holds every word that differs from the initial state): widening the
// layout in the middle of a search keeps every stored fingerprint valid. Never 0,
// the empty slot of fpset.
func (l *layout) fingerprintState(s *model.State) uint64 {
	w := stateWordsOf(s)
	keys := l.keys[:len(l.idx)]
	var h, g uint64
	i := 0
	for ; i+1 < len(l.idx); i += 2 {
		a, b := w[l.idx[i]], w[l.idx[i+1]]
		h += mum(a^keys[i][0], a^keys[i][1])
		g += mum(b^keys[i+1][0], b^keys[i+1][1])
	}
	if i < len(l.idx) {
		a := w[l.idx[i]]
		h += mum(a^keys[i][0], a^keys[i][1])
	}
	h = mum((h+g)-l.base^fpSeed0, fpSeed1)
	if h == 0 {
		h = 1
	}
	return h
}

const (
	fpSeed0 = 0xa0761d6478bd642f
	fpSeed1 = 0xe7037ed1a0b428db
)

// wordKeys are two random-looking constants per state word (splitmix64).
var wordKeys [stateWords][2]uint64

func init() {
	x := uint64(0x9e3779b97f4a7c15)
	next := func() uint64 {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		return z ^ z>>31
	}
	for i := range wordKeys {
		wordKeys[i] = [2]uint64{next(), next()}
	}
}

// wordHash mixes a word with its index (wyhash's mum of two keyed copies).
func wordHash(i int, v uint64) uint64 {
	k := &wordKeys[i]
	return mum(v^k[0], v^k[1])
}

func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// widen returns the layout with, in addition, every word where s differs from the
// initial state (s broke the layout: !l.intact(s)).
func (l *layout) widen(s *model.State) *layout {
	var in [stateWords]bool
	for _, x := range l.idx {
		in[x] = true
	}
	w, iw := stateWordsOf(s), stateWordsOf(&l.init)
	for i := range in {
		if w[i] != iw[i] {
			in[i] = true
		}
	}
	return newLayout(&l.init, in[:])
}

// union is the layout of the words of l and o.
func (l *layout) union(o *layout) *layout {
	in := make([]bool, stateWords)
	for _, x := range l.idx {
		in[x] = true
	}
	for _, x := range o.idx {
		in[x] = true
	}
	return newLayout(&l.init, in)
}
