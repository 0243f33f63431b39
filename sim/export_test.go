package sim

import "github.com/daxsim/daxsim/model"

// ExploreWholeState is Explore with the whole state as the compact layout from
// the start (no layout to learn): the reference the learnt layout is compared
// with.
func ExploreWholeState(k *model.Kernel, init *model.State, checks []Check, opt Options) *Result {
	s := newSearch(k, init, checks, opt)
	defer s.free()
	whole := newLayout(init, nil)
	s.lay = whole
	for _, x := range s.xs {
		x.lay = whole
	}
	if opt.DFS {
		s.res.Search = "dfs"
		s.dfs()
	} else {
		s.bfs()
	}
	return s.finish()
}

// FPSet is the visited set for tests.
type FPSet struct {
	s     *fpset
	limit int64
}

// NewFPSet makes a visited set that may grow to limit bytes (0: no limit).
func NewFPSet(limit int64) *FPSet { return &FPSet{s: newFPSet(&budget{}), limit: limit} }

func (f *FPSet) Insert(h uint64) bool   { return f.s.insert(h) }
func (f *FPSet) Contains(h uint64) bool { return f.s.contains(h) }
func (f *FPSet) Len() int               { return f.s.len() }
func (f *FPSet) Free()                  { f.s.free() }

// Room is fpset.room with sequential rehashing.
func (f *FPSet) Room(n int) int {
	return f.s.room(n, func(n int, g func(int)) {
		for i := 0; i < n; i++ {
			g(i)
		}
	}, func(b int64) bool { return f.limit == 0 || b <= f.limit })
}

// Overflowing reports whether some partition spilled into its overflow map.
func (f *FPSet) Overflowing() bool {
	for _, m := range f.s.over {
		if len(m) > 0 {
			return true
		}
	}
	return false
}
