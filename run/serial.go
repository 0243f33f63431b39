package run

import "github.com/daxsim/daxsim/model"

// SerialCounts are the cost figures of one serial run of a workload (see
// [SerialRun]).
type SerialCounts struct {
	Faults  int `json:"faults"`  // fault and mkwrite entries
	Commits int `json:"commits"` // journal commits
	Stores  int `json:"stores"`  // stores that returned ok
	Steps   int `json:"steps"`
	// Finished: every scenario thread ran to its end (else some were left
	// blocked with nothing able to move).
	Finished bool `json:"finished"`
}

// serialStepLimit bounds a serial run, against a daemon that would never block.
const serialStepLimit = 100_000

// SerialRun runs the threads of k from init one after the other: thread 0 until it
// finishes or blocks, then thread 1, and so on round-robin; the daemon threads
// (the journal) run only when no scenario thread can move. It stops when every
// scenario thread has finished or nothing can move, and counts fault entries
// (the first step of a DAX fault, a page-cache fault or mkwrite, a COW fault),
// journal commits, and stores that returned ok. init is not changed.
func SerialRun(k *model.Kernel, init *model.State) SerialCounts {
	c, _ := serialRun(k, init)
	return c
}

// SerialTrace is the schedule of SerialRun.
func SerialTrace(k *model.Kernel, init *model.State) []int {
	_, trace := serialRun(k, init)
	return trace
}

func serialRun(k *model.Kernel, init *model.State) (SerialCounts, []int) {
	var c SerialCounts
	var trace []int
	s := *init
	var ev model.Event
	var scen, daemons []int
	for t := range k.Threads {
		if k.Threads[t].Daemon {
			daemons = append(daemons, t)
		} else {
			scen = append(scen, t)
		}
	}
	// run steps thread t until it cannot move and reports whether it moved.
	run := func(t int) bool {
		moved := false
		for c.Steps < serialStepLimit && k.Exec(&s, t, &ev) {
			moved = true
			trace = append(trace, t)
			c.Steps++
			c.count(k, &ev)
		}
		return moved
	}
	for c.Steps < serialStepLimit {
		moved := false
		for _, t := range scen {
			moved = run(t) || moved
		}
		if c.Finished = allDone(k, &s, scen); c.Finished {
			break
		}
		if moved {
			continue
		}
		for _, t := range daemons {
			moved = run(t) || moved
		}
		if !moved {
			break
		}
	}
	return c, trace
}

func allDone(k *model.Kernel, s *model.State, threads []int) bool {
	for _, t := range threads {
		if k.Running(s, t) {
			return false
		}
	}
	return true
}

func (c *SerialCounts) count(k *model.Kernel, ev *model.Event) {
	if ev.Step == 0 {
		switch ev.Path {
		case model.PathDAXFault, model.PathPCFault, model.PathPCMkwrite, model.PathCOWFault:
			c.Faults++
		}
	}
	if k.Threads[ev.Thread].Daemon && ev.Path == model.PathJbd2 && ev.Step == 1 {
		c.Commits++
	}
	if ev.Returned && ev.Result == model.ResOK && k.StmtAt(ev.Thread, ev.PC).Op == model.OpStore {
		c.Stores++
	}
}
