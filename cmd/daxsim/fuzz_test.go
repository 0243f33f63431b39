package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/report"
	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/scenarios"
	"github.com/daxsim/daxsim/sim"
)

// FuzzPipeline drives the whole of 'daxsim check' on arbitrary scenario
// text: parse and build (an error must be a positioned *scenarios.Error or
// a plain build error, never a panic), a bounded search, the text, splat,
// JSON and HTML reports, reading the JSON back, and replaying every
// counterexample, which must reproduce. The seeds are the scenario files
// under testdata/ ('make test' runs it briefly, 'make fuzz' for 10 minutes).
func FuzzPipeline(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/scenarios/*.scn")
	more, _ := filepath.Glob("../../testdata/scenarios/*/*.scn")
	mutantFiles, _ := filepath.Glob("../../testdata/mutants/*.scn")
	for _, p := range append(append(files, more...), mutantFiles...) {
		if src, err := os.ReadFile(p); err == nil {
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		// A bounded search of a small scenario takes milliseconds: one that
		// takes seconds is a hang, saved as a crasher.
		timer := time.AfterFunc(5*time.Second, func() { panic(fmt.Sprintf("FuzzPipeline: over 5s on\n%s", src)) })
		defer timer.Stop()
		b, err := loadSource("fuzz.scn", src, scenarios.Options{})
		if err != nil {
			var perr *scenarios.Error
			if errors.As(err, &perr) && (perr.Pos.Line < 1 || perr.Pos.Col < 1) {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		r := run.RunMode(b, run.Options{Sim: sim.Options{MaxStates: 3000, Workers: 1}})
		var text, splat, js, html bytes.Buffer
		report.WriteText(&text, r, false)
		report.WriteSplat(&splat, r, false, 80)
		if err := report.WriteJSON(&js, r); err != nil {
			t.Fatalf("json: %v", err)
		}
		if err := report.WriteHTMLReports(&html, []*run.Report{r}); err != nil {
			t.Fatalf("html: %v", err)
		}
		ds, err := report.ReadReports(js.Bytes())
		if err != nil {
			t.Fatalf("the JSON report does not read back: %v", err)
		}
		for _, w := range ds[0].Witnesses() {
			if w.ReplayError != "" {
				t.Fatalf("%s (%s) does not replay: %s", w.Check, w.Class, w.ReplayError)
			}
			var related [][]int
			for _, rel := range w.Related {
				related = append(related, rel.Trace)
			}
			if ok, why := run.Reproduce(b, checker.Config{Crash: b.Scn.Crash}, w.Check, w.Class, w.Trace, related); !ok {
				t.Fatalf("%s (%s) does not reproduce: %s\n%s", w.Check, w.Class, why, src)
			}
		}
	})
}
