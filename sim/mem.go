package sim

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"
)

// Memory. The search keeps three structures that grow with the space: the
// visited set (fpset), the search tree (tree) and the frontier or DFS stack
// (queue). They live outside the Go heap, in buffers mapped from the operating
// system (bigAlloc), so that the process's resident memory is what the engine
// counts, a buffer freed is returned at once, and a mapping the system refuses
// (an address-space limit) is a clean stop rather than the runtime's fatal "out
// of memory".
//
// The budget (Options.MaxMemory) is enforced on a projection, before each batch
// (search.fits): the visited set at its size after any growth (with the old table
// while it is rehashed), the tree and the frontier as if every state of the batch
// gave a new state for every thread, plus the rounding of their chunks. The
// projection depends on the search only, never on the workers or on when their
// buffers were mapped, so a search stops at the same batch whatever -workers is.

// budget counts the bytes mapped for the search structures.
type budget struct {
	used atomic.Int64
	peak atomic.Int64
	// refused is set when the system refused a mapping: the search stops.
	refused atomic.Bool
}

// alloc maps n bytes; nil (and refused set) when the system refuses.
func (b *budget) alloc(n int) []byte {
	if n == 0 {
		return nil
	}
	buf := bigAlloc(n)
	if buf == nil {
		b.refused.Store(true)
		return nil
	}
	u := b.used.Add(int64(n))
	for {
		p := b.peak.Load()
		if u <= p || b.peak.CompareAndSwap(p, u) {
			break
		}
	}
	return buf
}

// free unmaps a buffer from alloc.
func (b *budget) free(buf []byte) {
	if buf == nil {
		return
	}
	b.used.Add(-int64(cap(buf)))
	bigFree(buf[:cap(buf)])
}

// words views a byte buffer (8-aligned: mapped memory is page-aligned) as words.
func words(buf []byte) []uint64 {
	if len(buf) == 0 {
		return nil
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(&buf[0])), len(buf)/8)
}

// DefaultMaxMemory is the memory budget of a search when none is given: half of
// the machine's physical memory, or less when the process may use less (a cgroup
// memory limit, an address-space limit as set by 'ulimit -v'). 0 when none of them
// can be read.
func DefaultMaxMemory() int64 {
	best := int64(0)
	take := func(n int64) {
		if n > 0 && (best == 0 || n < best) {
			best = n
		}
	}
	take(physicalMemory() / 2)
	take(cgroupMemory() / 2)
	// An address-space limit counts virtual memory: the Go runtime reserves a
	// good deal of it that it never touches, so half of what is left.
	if as := addressSpaceLimit(); as > 0 {
		take((as - virtualSize()) / 2)
	}
	return best
}

// ParseBytes reads a byte count: a number with an optional K, M, G or T suffix
// (powers of 1024; "4G", "512M", "1.5G", "1000000").
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToUpper(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := 1.0
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult != 1 {
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || v*mult > 1<<62 {
		return 0, fmt.Errorf("bad byte count %q (want a number with an optional K, M, G or T suffix)", s)
	}
	return int64(v * mult), nil
}

// FormatBytes writes a byte count the way ParseBytes reads it, exactly when it is
// a whole number of K, M, G or T, else with one decimal.
func FormatBytes(n int64) string {
	units := []struct {
		s string
		v int64
	}{{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}}
	for _, u := range units {
		if n >= u.v {
			if n%u.v == 0 {
				return fmt.Sprintf("%d%s", n/u.v, u.s)
			}
			return fmt.Sprintf("%.1f%s", float64(n)/float64(u.v), u.s)
		}
	}
	return strconv.FormatInt(n, 10)
}
