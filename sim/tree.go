package sim

// tree is the search tree: for every stored state, by its number (the order in
// which the search found it), the state it was first reached from and the thread
// that took the step. A witness's schedule is rebuilt from it. 5 bytes a state, in
// chunks of treeChunkLen states mapped as needed (no copy when it grows).
type tree struct {
	mem    *budget
	chunks []treeChunk
	n      int // states numbered so far
}

const (
	treeChunkBits = 14
	treeChunkLen  = 1 << treeChunkBits
	noParent      = ^uint32(0)
)

type treeChunk struct {
	buf    []byte
	parent []uint32
	thread []uint8
}

// reserve makes room for n states in all; false when the budget refuses.
func (t *tree) reserve(n int) bool {
	for len(t.chunks)*treeChunkLen < n {
		buf := t.mem.alloc(treeChunkLen * 5)
		if buf == nil {
			return false
		}
		t.chunks = append(t.chunks, treeChunk{buf: buf, parent: words32(buf[:treeChunkLen*4]), thread: buf[treeChunkLen*4:]})
	}
	return true
}

// set records state id (reserved) as reached from parent by thread.
func (t *tree) set(id int, parent uint32, thread int) {
	c := &t.chunks[id>>treeChunkBits]
	c.parent[id&(treeChunkLen-1)] = parent
	c.thread[id&(treeChunkLen-1)] = uint8(thread)
}

func (t *tree) parent(id int) (uint32, int) {
	c := &t.chunks[id>>treeChunkBits]
	return c.parent[id&(treeChunkLen-1)], int(c.thread[id&(treeChunkLen-1)])
}

// trace is the schedule from the initial state to state id, then thread (-1:
// none).
func (t *tree) trace(id int, thread int) []int {
	n := 0
	for x := uint32(id); ; n++ {
		p, _ := t.parent(int(x))
		if p == noParent {
			break
		}
		x = p
	}
	if thread >= 0 {
		n++
	}
	out := make([]int, n)
	i := n - 1
	if thread >= 0 {
		out[i] = thread
		i--
	}
	for x := uint32(id); ; i-- {
		p, th := t.parent(int(x))
		if p == noParent {
			break
		}
		out[i] = th
		x = p
	}
	return out
}

func (t *tree) bytes() int64 { return int64(len(t.chunks)) * treeChunkLen * 5 }

func (t *tree) free() {
	for _, c := range t.chunks {
		t.mem.free(c.buf)
	}
	t.chunks = nil
}
