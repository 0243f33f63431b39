package report

import (
	"fmt"
	"os"
	"strings"

	"github.com/daxsim/daxsim/checker"
	"github.com/daxsim/daxsim/run"
)

// WriteViz writes porcupine's view of a history to path: the first
// read-your-writes witness's, else the first witness's, else (no
// counterexample) the serial run's, threads in turn. It returns what it drew.
func WriteViz(path string, r *run.Report) (string, error) {
	var trace []int
	what := ""
	for _, p := range r.Props {
		for _, v := range p.Witnesses {
			if what == "" || p.Name == "read-your-writes" && !strings.HasPrefix(what, "read-your-writes") {
				trace, what = v.Trace, fmt.Sprintf("%s counterexample (%s)", p.Name, v.Class)
			}
		}
	}
	if what == "" {
		trace, what = run.SerialTrace(r.Built.Kernel, &r.Built.Init), "the serial run (no counterexample: threads in turn)"
	}
	var b strings.Builder
	if err := checker.Visualize(r.Built.Kernel, &r.Built.Init, trace, &b); err != nil {
		return "", fmt.Errorf("%s: %v", what, err)
	}
	return what, writeFileAtomic(path, []byte(b.String()))
}

// writeFileAtomic writes data to path through a temporary file and a rename.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
