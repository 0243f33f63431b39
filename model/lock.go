package model

import (
	"fmt"
	"math/bits"
	"strings"
)

// LockID names one lock instance; it is the bit index in [Thread.Held].
type LockID uint8

// Lock ID ranges.
const (
	lockMmapBase       LockID = 0                             // mmap_lock of process p
	lockIRwsemBase     LockID = lockMmapBase + MaxProcs       // i_rwsem of inode i
	lockInvalidateBase LockID = lockIRwsemBase + MaxFiles     // invalidate_lock of inode i
	lockEntryBase      LockID = lockInvalidateBase + MaxFiles // DAX entry / page lock of (inode, page)
	// LockJournal is a journal handle (jbd2 handle_t, an XFS transaction): held
	// from start to stop; a commit waits for every handle of its transaction.
	LockJournal LockID = lockEntryBase + MaxFiles*MaxPages
	// LockCommit is the completion of a journal commit (jbd2_log_wait_commit,
	// xfs_log_force): waited for, never held.
	LockCommit LockID = LockJournal + 1
	// LockSbWrite and LockSbPagefault are the superblock freeze protection
	// (sb_start_write for write(2), truncate, fallocate and the ioctls;
	// sb_start_pagefault for write faults): percpu rwsems held for read. No
	// statement freezes the filesystem, so they never block; they are held for
	// lock-order, where they sit first in the documented orders (ext4 super.c).
	LockSbWrite     LockID = LockCommit + 1
	LockSbPagefault LockID = LockSbWrite + 1
	lockEnd         LockID = LockSbPagefault + 1 // first unused bit (< 64: TestLockIDsFit)

	// markerLocks are the freeze-protection bits, dropped when a statement ends.
	markerLocks uint64 = 1<<LockSbWrite | 1<<LockSbPagefault
	NoLock      LockID = 255 // "not waiting on a lock"
)

// LockMmap is mm->mmap_lock of process p.
func LockMmap(p int) LockID { return lockMmapBase + LockID(p) }

// LockIRwsem is inode->i_rwsem of inode i.
func LockIRwsem(i int) LockID { return lockIRwsemBase + LockID(i) }

// LockInvalidate is mapping->invalidate_lock of inode i.
func LockInvalidate(i int) LockID { return lockInvalidateBase + LockID(i) }

// LockEntry is the entry lock (DAX_LOCKED or PG_locked) of page pg of inode i.
func LockEntry(i, pg int) LockID { return lockEntryBase + LockID(i*MaxPages+pg) }

// LockClass is the lockdep class of a lock: its kind without the instance.
type LockClass uint8

const (
	ClassMmap LockClass = iota
	ClassIRwsem
	ClassInvalidate
	ClassEntry
	ClassJournal
	ClassCommit
	ClassSbWrite
	ClassSbPagefault
	NumLockClasses
)

var lockClassNames = [...]string{"mmap_lock", "i_rwsem", "invalidate_lock", "dax_entry_lock", "jbd2_handle", "jbd2_commit",
	"sb_writers", "sb_pagefault"}

func (c LockClass) String() string { return lockClassNames[c] }

// Class returns the lock's class and its instance (process, inode, or inode*MaxPages+page).
func (l LockID) Class() (LockClass, int) {
	switch {
	case l < lockIRwsemBase:
		return ClassMmap, int(l - lockMmapBase)
	case l < lockInvalidateBase:
		return ClassIRwsem, int(l - lockIRwsemBase)
	case l < lockEntryBase:
		return ClassInvalidate, int(l - lockInvalidateBase)
	case l < LockJournal:
		return ClassEntry, int(l - lockEntryBase)
	case l == LockJournal:
		return ClassJournal, 0
	case l == LockCommit:
		return ClassCommit, 0
	case l == LockSbWrite:
		return ClassSbWrite, 0
	}
	return ClassSbPagefault, 0
}

// rwsem returns the rwsem of l, or nil for entry locks.
func (s *State) rwsem(l LockID) *RWSem {
	c, n := l.Class()
	switch c {
	case ClassMmap:
		return &s.Procs[n].MmapLock
	case ClassIRwsem:
		return &s.Inodes[n].IRwsem
	case ClassInvalidate:
		return &s.Inodes[n].Invalidate
	}
	return nil
}

// tryDownRead takes a rwsem for read if no writer holds it or waits for it
// (writer preference, as in kernel/locking/rwsem.c).
func (s *State) tryDownRead(t int, l LockID) bool {
	r := s.rwsem(l)
	if r.Writer != 0 || r.WWait != 0 {
		return false
	}
	r.Readers++
	s.Threads[t].Held |= 1 << l
	return true
}

func (s *State) upRead(t int, l LockID) {
	r := s.rwsem(l)
	if r.Readers == 0 || s.Threads[t].Held&(1<<l) == 0 {
		panic(fmt.Sprintf("model: thread %d releases %v for read without holding it", t, l))
	}
	r.Readers--
	s.Threads[t].Held &^= 1 << l
}

// tryDownWrite takes a rwsem for write if it is free. waiting says whether the
// caller registered itself as a waiting writer (and so is allowed past WWait).
func (s *State) tryDownWrite(t int, l LockID, waiting bool) bool {
	r := s.rwsem(l)
	if r.Writer != 0 || r.Readers != 0 || (!waiting && r.WWait != 0) {
		return false
	}
	if waiting {
		r.WWait--
	}
	r.Writer = uint8(t + 1)
	s.Threads[t].Held |= 1 << l
	return true
}

func (s *State) upWrite(t int, l LockID) {
	r := s.rwsem(l)
	if r.Writer != uint8(t+1) {
		panic(fmt.Sprintf("model: thread %d releases %v for write without holding it", t, l))
	}
	r.Writer = 0
	s.Threads[t].Held &^= 1 << l
}

func (s *State) tryLockEntry(t, ino, pg int) bool {
	e := &s.Inodes[ino].XA[pg]
	if e.Locked != 0 {
		return false
	}
	e.Locked = uint8(t + 1)
	s.Threads[t].Held |= 1 << LockEntry(ino, pg)
	return true
}

func (s *State) unlockEntry(t, ino, pg int) {
	e := &s.Inodes[ino].XA[pg]
	if e.Locked != uint8(t+1) {
		panic(fmt.Sprintf("model: thread %d unlocks entry %d:%d it does not hold", t, ino, pg))
	}
	e.Locked = 0
	s.Threads[t].Held &^= 1 << LockEntry(ino, pg)
}

// HeldLocks lists the locks thread t holds, lowest ID first.
func (s *State) HeldLocks(t int) []LockID {
	var out []LockID
	for m := s.Threads[t].Held; m != 0; m &= m - 1 {
		out = append(out, LockID(bits.TrailingZeros64(m)))
	}
	return out
}

// LockName names a lock instance for reports, e.g. "invalidate_lock(f)" or
// "dax_entry_lock(f:0)", using the scenario's names.
func (k *Kernel) LockName(l LockID) string {
	c, n := l.Class()
	switch c {
	case ClassMmap:
		return fmt.Sprintf("%v(%s)", c, k.ProcName(n))
	case ClassEntry:
		return fmt.Sprintf("%v(%s:%d)", c, k.FileName(n/MaxPages), n%MaxPages)
	case ClassJournal, ClassCommit, ClassSbWrite, ClassSbPagefault:
		return k.ClassName(c)
	}
	return fmt.Sprintf("%v(%s)", c, k.FileName(n))
}

// ClassName names lock class c as the kernel's filesystem calls it (the
// journal's classes are jbd2's on ext4, the log's on XFS).
func (k *Kernel) ClassName(c LockClass) string {
	switch c {
	case ClassJournal:
		return k.FS.Classes[0]
	case ClassCommit:
		return k.FS.Classes[1]
	}
	return c.String()
}

// DescribeHeld is the locks thread t holds, with their mode for rwsems, e.g.
// "mmap_lock(app)/R invalidate_lock(f)/R"; "-" when none.
func (k *Kernel) DescribeHeld(s *State, t int) string {
	var b strings.Builder
	for _, l := range s.HeldLocks(t) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k.LockName(l))
		if r := s.rwsem(l); r != nil {
			if r.Writer == uint8(t+1) {
				b.WriteString("/W")
			} else {
				b.WriteString("/R")
			}
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}
