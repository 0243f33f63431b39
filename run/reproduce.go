package run

import (
	"fmt"
	"strings"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/model"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// Reproduce says whether trace, on the built scenario, still breaks check the way a
// saved witness did (the same class), and explains the answer in one line.
//
// check is a property name or the name of an "expect result T:N R" check. For a
// property, a fresh sim.Check is made with cfg and fed as the engine would feed
// it: the related traces first (the earlier schedules a lock-order report refers
// to: the check learns from them), then the trace: State on every state, Step and
// Traced on every transition (Traced gets the schedule up to the transition), and
// Stuck on the final state when every running thread is blocked there. It
// reproduces when the check reports class on the trace. An "expect result" or
// "expect reachable" check is the one the run made of that line of the
// scenario.
func Reproduce(b *scenarios.Built, cfg checker.Config, check, class string, trace []int, related [][]int) (bool, string) {
	c, err := checkByName(b, cfg, check)
	if err != nil {
		return false, err.Error()
	}
	for i, rel := range related {
		if _, err := feed(b, &c, rel, false); err != nil {
			return false, fmt.Sprintf("related trace %d does not replay: %v", i+1, err)
		}
	}
	found, err := feed(b, &c, trace, true)
	if err != nil {
		return false, fmt.Sprintf("the trace does not replay: %v", err)
	}
	var others []string
	for _, f := range found {
		if f.class == class {
			return true, fmt.Sprintf("%s (%s) reproduced at %s: %s", check, class, f.where, firstLine(f.msg))
		}
		others = append(others, fmt.Sprintf("%s at %s", f.class, f.where))
	}
	if len(others) == 0 {
		return false, fmt.Sprintf("%s reports nothing on this trace of %d steps", check, len(trace))
	}
	return false, fmt.Sprintf("%s reports %s, not %s", check, strings.Join(others, ", "), class)
}

// checkByName makes a fresh engine check: a property's, or the one a run
// makes of an expect result or reachable line of the scenario.
func checkByName(b *scenarios.Built, cfg checker.Config, check string) (sim.Check, error) {
	if strings.HasPrefix(check, "expect ") {
		for _, rc := range expectResultChecks(b) {
			if rc.check.Name == check {
				return rc.check, nil
			}
		}
		return sim.Check{}, fmt.Errorf("the scenario has no line %q", check)
	}
	p, ok := checker.Lookup(check)
	switch {
	case !ok:
		return sim.Check{}, fmt.Errorf("unknown property %q", check)
	case !p.Checkable():
		return sim.Check{}, fmt.Errorf("property %s cannot be checked (issue %s)", check, p.Issue)
	case p.Crash && !cfg.Crashes():
		return sim.Check{}, fmt.Errorf("property %s is not checked under crash never", check)
	}
	return p.Check(cfg), nil
}

// maxFindingsPerStep bounds how often a Traced check is asked about one transition.
const maxFindingsPerStep = 16

type finding struct {
	class, msg, where string
}

// feed runs check c along trace as the engine does and returns what it reported
// (with stuck: also the Stuck check on the final state).
func feed(b *scenarios.Built, c *sim.Check, trace []int, stuck bool) ([]finding, error) {
	k := b.Kernel
	steps, err := sim.Replay(k, &b.Init, trace)
	if err != nil {
		return nil, err
	}
	var out []finding
	add := func(f sim.Finding, where string) {
		if f.Failed {
			out = append(out, finding{f.Class, f.Msg, where})
		}
	}
	add(c.JudgeState(k, &b.Init), "the initial state")
	for i := range steps {
		st := &steps[i]
		where := fmt.Sprintf("step %d", i+1)
		add(c.JudgeStep(k, &st.Before, &st.After, &st.Event), where)
		if c.Traced != nil {
			prefix := trace[:i+1]
			// The engine keeps one finding per transition, made against everything
			// the check learned in the whole search; the replay has learned less
			// (the related traces only), so a transition may first yield another
			// finding. Asking again gives the next one: lock-order records each
			// new edge before it reports it.
			for n := 0; n < maxFindingsPerStep; n++ {
				f := c.JudgeTraced(k, &st.Before, &st.After, &st.Event, prefix)
				if !f.Failed {
					break
				}
				add(f, where)
			}
		}
		add(c.JudgeState(k, &st.After), "the state after "+where)
	}
	if stuck && c.Stuck != nil {
		final := &b.Init
		if len(steps) > 0 {
			final = &steps[len(steps)-1].After
		}
		if blocked, ok := Blocked(k, final); ok {
			add(c.JudgeStuck(k, final, blocked), "the final state (every running thread blocked)")
		}
	}
	return out, nil
}

// Blocked reports whether s is stuck as the engine judges it (no thread, the
// daemons included, can move, and some scenario thread has not finished), and
// then the blocked event of every running scenario thread.
func Blocked(k *model.Kernel, s *model.State) ([]model.Event, bool) {
	var evs []model.Event
	running := false
	for t := range k.Threads {
		if !k.Running(s, t) {
			continue
		}
		next := *s
		var ev model.Event
		if k.Exec(&next, t, &ev) {
			return nil, false
		}
		if !k.Threads[t].Daemon {
			running = true
			evs = append(evs, ev)
		}
	}
	return evs, running
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
