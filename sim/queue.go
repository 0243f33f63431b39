package sim

import "unsafe"

// queue is a sequence of fixed-size records of words (compact states with their
// state number), stored in chunks mapped as the sequence grows and unmapped (or
// kept for the next level) as it is consumed: the BFS frontier and the DFS stack.
// A chunk never moves, so growing costs no copy.
type queue struct {
	mem    *budget
	stride int // words per record
	shift  uint
	per    int      // records per chunk (1 << shift)
	chunks [][]byte // nil once dropped
	n      int      // records
	pool   *[][]byte
}

func words32(buf []byte) []uint32 {
	return unsafe.Slice((*uint32)(unsafe.Pointer(&buf[0])), len(buf)/4)
}

// newQueue makes a queue of records of stride words; pool, shared by the queues
// of one search, holds chunks to reuse.
func newQueue(mem *budget, stride int, pool *[][]byte) *queue {
	q := &queue{mem: mem, stride: stride, pool: pool}
	q.shift = chunkShift(stride)
	q.per = 1 << q.shift
	return q
}

// chunkShift is log2 of the records per chunk for records of stride words: about
// 64 KiB a chunk (at least 16 records), so that small searches and small budgets
// take little, large ones many chunks (a chunk is mapped once and reused from
// level to level through the pool).
func chunkShift(stride int) uint {
	shift := uint(4)
	for (1<<shift)*stride*8 < 64<<10 {
		shift++
	}
	return shift
}

func (q *queue) chunkBytes() int { return q.per * q.stride * 8 }

// reserve makes room for n records in all; false when the budget refuses.
func (q *queue) reserve(n int) bool {
	for len(q.chunks)*q.per < n {
		var c []byte
		for p := *q.pool; len(p) > 0 && c == nil; p = *q.pool {
			c, *q.pool = p[len(p)-1], p[:len(p)-1]
			if len(c) != q.chunkBytes() { // a chunk of another layout's queue
				q.mem.free(c)
				c = nil
			}
		}
		if c == nil {
			if c = q.mem.alloc(q.chunkBytes()); c == nil {
				return false
			}
		}
		q.chunks = append(q.chunks, c)
	}
	return true
}

// at is record i (reserved, not dropped).
func (q *queue) at(i int) []uint64 {
	c := q.chunks[i>>q.shift]
	off := (i & (q.per - 1)) * q.stride * 8
	return unsafe.Slice((*uint64)(unsafe.Pointer(&c[off])), q.stride)
}

// push appends a record and returns it to be filled; false when the budget
// refuses.
func (q *queue) push() ([]uint64, bool) {
	if !q.reserve(q.n + 1) {
		return nil, false
	}
	q.n++
	return q.at(q.n - 1), true
}

// pop removes the last record; its words stay valid until the next push.
func (q *queue) pop() []uint64 {
	q.n--
	return q.at(q.n)
}

// trim releases the chunks past the one after the end (a stack that shrank).
func (q *queue) trim() {
	for len(q.chunks) > (q.n>>q.shift)+2 {
		q.give(q.chunks[len(q.chunks)-1])
		q.chunks = q.chunks[:len(q.chunks)-1]
	}
}

// dropBefore releases the chunks that hold only records before i.
func (q *queue) dropBefore(i int) {
	for c := 0; c < i>>q.shift && c < len(q.chunks); c++ {
		if q.chunks[c] != nil {
			q.give(q.chunks[c])
			q.chunks[c] = nil
		}
	}
}

// poolChunks is how many spare chunks the pool keeps.
const poolChunks = 8

// give returns a chunk to the pool, unmapping it when the pool is well stocked.
func (q *queue) give(c []byte) {
	if len(*q.pool) < poolChunks {
		*q.pool = append(*q.pool, c)
		return
	}
	q.mem.free(c)
}

// reset empties the queue, keeping its chunks in the pool.
func (q *queue) reset() {
	for _, c := range q.chunks {
		if c != nil {
			q.give(c)
		}
	}
	q.chunks, q.n = q.chunks[:0], 0
}

func (q *queue) free() {
	for _, c := range q.chunks {
		q.mem.free(c) // nil for the dropped ones
	}
	q.chunks, q.n = nil, 0
}

func freePool(mem *budget, pool *[][]byte) {
	for _, c := range *pool {
		mem.free(c)
	}
	*pool = nil
}
