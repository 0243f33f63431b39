package checker

import (
	"fmt"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/sim"
)

// no-denial: no process without write access to a file, or the capability the
// proposal requires, makes another process's call fail (ETXTBSY, EPERM, EBUSY).
//
// The kernel rule: MAP_DENYWRITE let any reader block writers and was removed for
// it; Kirill Shutemov asked the same of MAP_DIRECT's ETXTBSY (seed 004), and Dan
// Williams answered that MAP_DIRECT needs write access and an F_MAY_SEAL_IOMAP seal
// set with CAP_LINUX_IMMUTABLE. Checked at every statement that fails because of
// another process's pin or flag: the paths record who holds it and whether it was
// taken with those rights (model.Denial).
func init() {
	register(&Property{
		Name:   "no-denial",
		Rank:   9, // its row in SPEC.md section 5
		Judges: "calls on a file another process holds",
		Rule:   "no process without write access or the needed capability makes another process's call fail",
		Check:  noDenial,
	})
}

func noDenial(Config) sim.Check {
	return sim.Check{
		Step: func(j *sim.Judge, k *model.Kernel, before, _ *model.State, ev *model.Event) {
			d := &ev.Denial
			if !d.Valid {
				// Coverage: every call another process could have made fail,
				// one on a file that process holds open or mapped.
				if ev.Returned && contested(k, before, ev) {
					j.Judged(1)
				}
				return
			}
			j.Judged(1) // and every call that failed because of a pin or flag
			if d.Rightful || d.By < 0 || d.By == k.Threads[ev.Thread].Proc || !j.Fail("denial") {
				return
			}
			stmt := k.StmtAt(ev.Thread, ev.PC)
			j.Explain(fmt.Sprintf("%s (%s) failed with %s because of a pin held by %s, which has no write access or capability for it",
				k.ThreadName(ev.Thread), stmt.Text, k.ResultName(ev.Result), k.ProcName(d.By)))
		},
	}
}

// contested reports whether the statement that returned in ev works on a file
// another process holds in s: has open (a struct file its statements opened)
// or mapped.
func contested(k *model.Kernel, s *model.State, ev *model.Event) bool {
	st := k.StmtAt(ev.Thread, ev.PC)
	if st == nil || st.Inode < 0 {
		return false
	}
	me := k.Threads[ev.Thread].Proc
	for p := range k.Procs {
		if p == me {
			continue
		}
		for _, vma := range s.Procs[p].VMA {
			if vma.File != 0 && int(vma.Inode) == st.Inode+1 {
				return true
			}
		}
	}
	for t := range k.Threads {
		if k.Threads[t].Proc == me {
			continue
		}
		for _, o := range k.Threads[t].Prog {
			if (o.Op == model.OpOpen || o.Op == model.OpCreate) && o.File >= 0 {
				if f := &s.Files[o.File]; f.FdOpen != 0 && int(f.Inode) == st.Inode+1 {
					return true
				}
			}
		}
	}
	return false
}
