package sim

// fpset is the visited set: 64-bit fingerprints of compact states (TLC's
// approach: the states themselves are not kept), in one open-addressing table with
// linear probing and no values. The table is split into fpParts partitions of
// equal size by the top bits of the fingerprint, and a probe wraps around within
// its partition, so that BFS workers insert into disjoint partitions at once;
// within a partition the slot is given by the low bits. A slot holds a
// fingerprint or 0 (empty: fingerprint never returns 0).
//
// The table grows only between batches, by room: the caller says how many
// fingerprints a batch may add at most (n), and the table makes sure that every
// partition can take its share with a wide margin (2n/fpParts + 256: the
// fingerprints are uniform), so inserts never wait for a resize, and the sizes
// do not depend on which worker inserts when. Growth doubles every partition; it
// takes place when the fullest partition would pass 3/4, or, when the memory
// budget does not allow it, the table is filled up to 15/16. A partition that
// fills up to 15/16 all the same (an unlucky batch) puts the rest in a small
// overflow map until the next growth: never a lost state, never an endless
// probe.
//
// Two states with the same fingerprint are taken for one: with n states stored the
// chance of any such collision is about n^2/2^65 (1e-5 for 2e7 states).
type fpset struct {
	mem   *budget
	buf   []byte
	slots []uint64
	shift uint   // log2 of the slots per partition
	mask  uint64 // slots per partition - 1
	n     [fpParts]int
	over  [fpParts]map[uint64]struct{} // overflow of a full partition (rare)
}

const (
	fpPartBits = 6
	fpParts    = 1 << fpPartBits
	fpMinShift = 7 // 128 slots, 1 KiB, per partition to start with

	growLoadNum, growLoadDen = 3, 4
	maxLoadNum, maxLoadDen   = 15, 16
)

func partOf(h uint64) int { return int(h >> (64 - fpPartBits)) }

// newFPSet makes an empty set; nil when the budget refuses even that.
func newFPSet(mem *budget) *fpset {
	s := &fpset{mem: mem}
	if !s.resize(fpMinShift, nil) {
		return nil
	}
	return s
}

func (s *fpset) free() {
	s.mem.free(s.buf)
	s.buf, s.slots = nil, nil
}

// len is the number of fingerprints stored.
func (s *fpset) len() int {
	n := 0
	for p, c := range s.n {
		n += c + len(s.over[p])
	}
	return n
}

// full is the most fingerprints a partition's slots take.
func (s *fpset) full() int { return s.perPart() * maxLoadNum / maxLoadDen }

func (s *fpset) bytes() int64 { return int64(len(s.buf)) }

func (s *fpset) perPart() int { return 1 << s.shift }

// contains reports whether h is in the set. Safe to call from several goroutines
// while nothing inserts.
func (s *fpset) contains(h uint64) bool {
	p := partOf(h)
	base := uint64(p) << s.shift
	for i := h & s.mask; ; i = (i + 1) & s.mask {
		switch s.slots[base+i] {
		case h:
			return true
		case 0:
			if s.over[p] != nil {
				_, ok := s.over[p][h]
				return ok
			}
			return false
		}
	}
}

// insert adds h and reports whether it was new. The partition must have room
// (room). Goroutines may insert at once into different partitions.
func (s *fpset) insert(h uint64) bool {
	p := partOf(h)
	base := uint64(p) << s.shift
	for i := h & s.mask; ; i = (i + 1) & s.mask {
		switch s.slots[base+i] {
		case h:
			return false
		case 0:
			if s.n[p] >= s.full() {
				if s.over[p] == nil {
					s.over[p] = map[uint64]struct{}{}
				}
				if _, ok := s.over[p][h]; ok {
					return false
				}
				s.over[p][h] = struct{}{}
				return true
			}
			s.slots[base+i] = h
			s.n[p]++
			return true
		}
	}
}

// fullest is the count of the fullest partition (with its overflow).
func (s *fpset) fullest() int {
	m := 0
	for p, c := range s.n {
		m = max(m, c+len(s.over[p]))
	}
	return m
}

// room makes sure every partition can take add more fingerprints, growing the
// table when fits says the memory of the new table (with the old one, while it
// is rehashed) fits the budget; it returns how many it can take for sure (add, or
// fewer when it could not grow). par runs the rehash of the partitions (par(n, f)
// calls f(0..n-1), on several goroutines or not).
func (s *fpset) room(add int, par func(n int, f func(i int)), fits func(tableBytes int64) bool) int {
	full := s.fullest()
	per := s.perPart()
	share := 2*add/fpParts + 256 // a partition's share of add, with a wide margin
	if (full+share)*growLoadDen <= per*growLoadNum {
		return add
	}
	shift := s.shift
	for (full+share)*growLoadDen > (1<<shift)*growLoadNum {
		shift++
	}
	bytes := int64(fpParts) << shift * 8
	if fits(s.bytes()+bytes) && s.resize(shift, func(old []uint64, oldShift uint) {
		par(fpParts, func(p int) { s.rehash(p, old, oldShift) })
	}) {
		return add
	}
	// Without growing: as many as leave the fullest partition at most 15/16
	// full with its share.
	for add > 0 && full+2*add/fpParts+256 > per*maxLoadNum/maxLoadDen {
		add /= 2
	}
	return add
}

// resize maps a table of 1<<shift slots per partition and fills it with move
// (nil: an empty table); the old table is unmapped after.
func (s *fpset) resize(shift uint, move func(old []uint64, oldShift uint)) bool {
	buf := s.mem.alloc(fpParts << shift * 8)
	if buf == nil {
		return false
	}
	old, oldBuf, oldShift := s.slots, s.buf, s.shift
	s.buf, s.slots, s.shift, s.mask = buf, words(buf), shift, 1<<shift-1
	if move != nil {
		move(old, oldShift)
	}
	s.mem.free(oldBuf)
	return true
}

// rehash moves partition p of the old table, and its overflow, into the current
// one.
func (s *fpset) rehash(p int, old []uint64, oldShift uint) {
	base := uint64(p) << s.shift
	put := func(h uint64) {
		for i := h & s.mask; ; i = (i + 1) & s.mask {
			if s.slots[base+i] == 0 {
				s.slots[base+i] = h
				return
			}
		}
	}
	if old != nil {
		for _, h := range old[p<<oldShift : (p+1)<<oldShift] {
			if h != 0 {
				put(h)
			}
		}
	}
	for h := range s.over[p] {
		put(h)
	}
	s.n[p] += len(s.over[p])
	s.over[p] = nil
}
