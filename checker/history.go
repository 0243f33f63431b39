package checker

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/sim"
)

// The porcupine side of read-your-writes (random mode): the history of one run's
// reads, loads, writes and stores, partitioned by file page, checked for
// linearizability against a register per page (a plain file). Truncate and punch
// are writes of zeroes to the pages they drop. Calls that failed, private
// mappings, write(2)s whose data came from a mapping and reflinked pages are left
// out (their value is not a plain register write the history can state).
// A write that never returned may have happened or not: porcupine gets it with a
// return after every other call. A read that never returned is dropped.

// pageKey names a file page.
type pageKey struct{ inode, page int }

// regInput is one register operation.
type regInput struct {
	key   pageKey
	write bool
	value uint8 // written value, or (for a read) unused
}

// registerModel is a per-page register of data tokens, initially 0; k names
// the tokens in the visualization.
func registerModel(k *model.Kernel) porcupine.Model {
	return porcupine.Model{
		Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
			byKey := map[pageKey][]porcupine.Operation{}
			var keys []pageKey
			for _, op := range h {
				k := op.Input.(regInput).key
				if _, ok := byKey[k]; !ok {
					keys = append(keys, k)
				}
				byKey[k] = append(byKey[k], op)
			}
			sort.Slice(keys, func(i, j int) bool {
				return keys[i].inode < keys[j].inode || keys[i].inode == keys[j].inode && keys[i].page < keys[j].page
			})
			var out [][]porcupine.Operation
			for _, k := range keys {
				out = append(out, byKey[k])
			}
			return out
		},
		Init: func() interface{} { return uint8(0) },
		Step: func(state, input, output interface{}) (bool, interface{}) {
			in := input.(regInput)
			if in.write {
				return true, in.value
			}
			return output.(uint8) == state.(uint8), state
		},
		DescribeOperationMetadata: func(info interface{}) string {
			if s, ok := info.(string); ok {
				return s
			}
			return ""
		},
		DescribeOperation: func(input, output interface{}) string {
			in := input.(regInput)
			page := fmt.Sprintf("%s[%d]", k.FileName(in.key.inode), in.key.page)
			if in.write {
				return fmt.Sprintf("%s := %s", page, k.ValueName(in.value))
			}
			return fmt.Sprintf("%s -> %s", page, k.ValueName(output.(uint8)))
		},
	}
}

// historyOps turns a run's history into register operations.
func historyOps(k *model.Kernel, h *sim.History) []porcupine.Operation {
	excluded := map[pageKey]bool{}
	for _, c := range h.Calls {
		st := k.StmtAt(c.Thread, c.PC)
		if st.Op == model.OpReflink {
			excluded[pageKey{st.Inode2, st.Page2}] = true
			excluded[pageKey{st.Inode, st.Page}] = true
		}
		if st.Op == model.OpWrite && st.FromMap {
			excluded[pageKey{st.Inode, st.Page}] = true
		}
	}
	end := int64(len(h.Trace) + 1)
	var ops []porcupine.Operation
	add := func(c sim.Call, in regInput, out uint8) {
		if excluded[in.key] {
			return
		}
		ret := int64(c.End)
		if c.End < 0 {
			ret = end
		}
		st := k.StmtAt(c.Thread, c.PC)
		meta := fmt.Sprintf("%s %d: %s", k.ThreadName(c.Thread), c.PC+1, st.Text)
		ops = append(ops, porcupine.Operation{ClientId: c.Thread, Input: in, Call: int64(c.Start), Output: out, Return: ret,
			Metadata: meta})
	}
	for _, c := range h.Calls {
		st := k.StmtAt(c.Thread, c.PC)
		ok := c.End >= 0 && c.Result == model.ResOK
		pending := c.End < 0
		key := pageKey{st.Inode, st.Page}
		switch st.Op {
		case model.OpStore:
			if st.Flags&model.VMPrivate == 0 && (ok || pending) {
				add(c, regInput{key: key, write: true, value: st.Val}, 0)
			}
		case model.OpWrite:
			if !st.FromMap && (ok || pending) {
				add(c, regInput{key: key, write: true, value: st.Val}, 0)
			}
		case model.OpLoad, model.OpRead:
			if c.End >= 0 && c.Result >= model.ResValue && (st.Op == model.OpRead || st.Flags&model.VMPrivate == 0) {
				add(c, regInput{key: key}, uint8(c.Result-model.ResValue))
			}
		case model.OpTruncate, model.OpPunch:
			if !ok && !pending {
				continue
			}
			lo, hi := st.Lo, st.Hi
			if st.Op == model.OpTruncate {
				hi = model.MaxPages - 1
			}
			for pg := lo; pg <= hi && pg < model.MaxPages; pg++ {
				add(c, regInput{key: pageKey{st.Inode, pg}, write: true, value: 0}, 0)
			}
		}
	}
	return ops
}

// linearizable checks a run's history with porcupine.
func linearizable(k *model.Kernel, h *sim.History, timeout time.Duration) (porcupine.CheckResult, porcupine.LinearizationInfo) {
	return porcupine.CheckOperationsVerbose(registerModel(k), historyOps(k, h), timeout)
}

// historyCheck is read-your-writes over whole random runs.
func historyCheck(Config) sim.HistoryCheck {
	return sim.HistoryCheck{
		Check: func(j *sim.Judge, k *model.Kernel, h *sim.History) {
			res, _ := linearizable(k, h, time.Second)
			switch res {
			case porcupine.Illegal:
				j.Judged(1) // coverage: the histories judged
				if j.Fail("not-linearizable") {
					j.Explain(fmt.Sprintf("run %d: the history of reads, loads, writes and stores is not linearizable against a plain file (porcupine; -viz FILE draws it)", h.Run))
				}
			case porcupine.Ok:
				j.Judged(1)
			}
			// porcupine.Unknown: timed out, no verdict from this run.
		},
	}
}

// Visualize writes porcupine's HTML view of the history of a schedule: one
// row per thread (labelled with the thread's name and process: porcupine
// numbers its rows), one operation per read, load, write or store. It fails
// when the history has nothing porcupine can draw.
func Visualize(k *model.Kernel, init *model.State, trace []int, w io.Writer) error {
	h := sim.HistoryOf(k, init, trace)
	ops := historyOps(k, h)
	if len(ops) == 0 {
		return fmt.Errorf("the schedule has no read, load, write or store of a shared page to draw")
	}
	_, info := porcupine.CheckOperationsVerbose(registerModel(k), ops, 10*time.Second)
	var notes []porcupine.Annotation
	seen := map[int]bool{}
	for _, op := range ops {
		if !seen[op.ClientId] {
			seen[op.ClientId] = true
			t := op.ClientId
			notes = append(notes, porcupine.Annotation{ClientId: t, Start: 0,
				Description:     fmt.Sprintf("thread %s (process %s)", k.ThreadName(t), k.ProcName(k.Threads[t].Proc)),
				BackgroundColor: "#eef"})
		}
	}
	info.AddAnnotations(notes)
	return porcupine.Visualize(registerModel(k), info, w)
}
