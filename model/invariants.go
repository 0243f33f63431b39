package model

import "fmt"

// CheckInvariants recomputes the bookkeeping the kernel paths keep
// incrementally and compares it with what the state says (the "real vs
// cached" checks of gVisor's mm tests): lock holders against the threads'
// held masks, journal handles, inode and file reference counts, the proposal's
// own references, in-core and mapping consistency, block allocation. It
// returns the first disagreement.
//
// Built with the tag invariants, every step is followed by this check
// (invariants_on.go); 'make test' runs the scenario suite so once.
func (k *Kernel) CheckInvariants(s *State) error {
	if err := k.checkLocks(s); err != nil {
		return err
	}
	if err := k.checkRefs(s); err != nil {
		return err
	}
	return k.checkBlocks(s)
}

func (k *Kernel) checkLocks(s *State) error {
	readers := map[LockID]int{}
	handles := 0
	for t := range s.Threads {
		for _, l := range s.HeldLocks(t) {
			class, n := l.Class()
			switch class {
			case ClassEntry:
				if got := s.Inodes[n/MaxPages].XA[n%MaxPages].Locked; got != uint8(t+1) {
					return fmt.Errorf("thread %s holds %s, whose holder is thread %d", k.ThreadName(t), k.LockName(l), int(got)-1)
				}
			case ClassJournal:
				handles++
			case ClassCommit:
				return fmt.Errorf("thread %s holds %s, which is only waited for", k.ThreadName(t), k.LockName(l))
			case ClassMmap, ClassIRwsem, ClassInvalidate:
				if s.rwsem(l).Writer != uint8(t+1) {
					readers[l]++
				}
			}
		}
	}
	if int(s.Journal.Handles) != handles {
		return fmt.Errorf("the journal counts %d handles, threads hold %d", s.Journal.Handles, handles)
	}
	var locks []LockID
	for p := range s.Procs {
		locks = append(locks, LockMmap(p))
	}
	for i := range s.Inodes {
		locks = append(locks, LockIRwsem(i), LockInvalidate(i))
		for pg, e := range s.Inodes[i].XA {
			if e.Locked == 0 {
				continue
			}
			if int(e.Locked) > len(s.Threads) || s.Threads[e.Locked-1].Held&(1<<LockEntry(i, pg)) == 0 {
				return fmt.Errorf("%s is locked by thread %d, which does not hold it", k.LockName(LockEntry(i, pg)), e.Locked-1)
			}
		}
	}
	for _, l := range locks {
		r := s.rwsem(l)
		if int(r.Readers) != readers[l] {
			return fmt.Errorf("%s counts %d readers, %d threads hold it for read", k.LockName(l), r.Readers, readers[l])
		}
		if r.Writer != 0 && (r.Readers != 0 || s.Threads[r.Writer-1].Held&(1<<l) == 0) {
			return fmt.Errorf("%s is written by thread %d, which does not hold it (or it has readers too)", k.LockName(l), r.Writer-1)
		}
	}
	return nil
}

func (k *Kernel) checkRefs(s *State) error {
	var fileRefs [MaxOpen]int
	var inodeRefs [MaxFiles]int
	var mapped [MaxFiles]bool
	for p := range s.Procs {
		for v := range s.Procs[p].VMA {
			vma := &s.Procs[p].VMA[v]
			if vma.File == 0 {
				for pg, pte := range s.Procs[p].PTE[v] {
					if pte.Kind != PTENone {
						return fmt.Errorf("%s: unmapped VMA slot %s has a PTE at page %d", k.ProcName(p), k.VMAName(p, v), pg)
					}
				}
				continue
			}
			fileRefs[vma.File-1]++
			mapped[vma.Inode-1] = true
			if s.Files[vma.File-1].Inode != vma.Inode {
				return fmt.Errorf("%s: VMA %s maps inode %d through a file of inode %d", k.ProcName(p), k.VMAName(p, v),
					vma.Inode-1, int(s.Files[vma.File-1].Inode)-1)
			}
		}
	}
	for j := range s.Files {
		f := &s.Files[j]
		if f.Dir != 0 {
			if f.Inode != 0 || fileRefs[j] != 0 || int(f.Refs) != int(f.FdOpen) {
				return fmt.Errorf("file slot %d of dir %s: inode %d, %d mappings, %d references", j,
					k.DirName(int(f.Dir)-1), int(f.Inode)-1, fileRefs[j], f.Refs)
			}
			continue
		}
		if f.Inode == 0 {
			if f.Refs != 0 || fileRefs[j] != 0 {
				return fmt.Errorf("file slot %d is free but referenced", j)
			}
			continue
		}
		if want := int(f.FdOpen) + fileRefs[j]; int(f.Refs) != want {
			return fmt.Errorf("file slot %d (%s) counts %d references; its descriptor and VMAs make %d",
				j, k.FileName(int(f.Inode)-1), f.Refs, want)
		}
		inodeRefs[f.Inode-1]++
	}
	for i := range s.Inodes {
		in := &s.Inodes[i]
		want := inodeRefs[i]
		if k.ExtraInodeRefs != nil {
			want += k.ExtraInodeRefs(s, i)
		}
		if int(in.Refs) != want {
			return fmt.Errorf("inode %s counts %d references; its open files and the proposal make %d", k.FileName(i), in.Refs, want)
		}
		if in.InCore == 0 {
			if in.Refs != 0 || mapped[i] || !s.MappingEmpty(i) {
				return fmt.Errorf("inode %s is not in core but is referenced, mapped or has xarray entries", k.FileName(i))
			}
		}
	}
	return nil
}

func (k *Kernel) checkBlocks(s *State) error {
	for i := range s.Inodes {
		in := &s.Inodes[i]
		for pg := 0; pg < MaxPages; pg++ {
			if b := int(in.Block[pg]) - 1; b >= 0 && s.Blocks[b].Used == 0 {
				return fmt.Errorf("%s page %d maps block b%d, which is free", k.FileName(i), pg, b)
			}
			if (in.Block[pg] == 0) != (in.Ext[pg] == ExtHole) {
				return fmt.Errorf("%s page %d: block %d with extent %s", k.FileName(i), pg, int(in.Block[pg])-1, ExtentName(in.Ext[pg]))
			}
			if b := int(in.DBlock[pg]) - 1; b >= 0 && s.Blocks[b].DUsed == 0 {
				return fmt.Errorf("%s page %d maps block b%d in the committed map, which is free on disk", k.FileName(i), pg, b)
			}
		}
	}
	return nil
}
