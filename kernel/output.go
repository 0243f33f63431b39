package kernel

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Outcome is what one run of a generated program printed: the result of each
// statement that returned, keyed by its StmtRef.
type Outcome struct {
	Run     int // 1-based; 0 when the program ran once without RUN lines
	Results map[StmtRef]string
	// Other holds the lines that are not results: diagnostics ("# ..."),
	// DAXSIM-SETUP-ERROR, anything unexpected.
	Other []string
}

// ParseOutput splits a generated program's output lines (ProgramResult.Lines)
// into runs. A result line is "THREAD:N RESULT"; "RUN i" starts run i. A
// statement printed twice in one run is an error (the program is broken).
func ParseOutput(lines []string) ([]Outcome, error) {
	var runs []Outcome
	cur := func() *Outcome {
		if len(runs) == 0 {
			runs = append(runs, Outcome{Results: map[StmtRef]string{}})
		}
		return &runs[len(runs)-1]
	}
	for _, line := range lines {
		if n, ok := strings.CutPrefix(line, "RUN "); ok {
			i, err := strconv.Atoi(n)
			if err != nil {
				return nil, fmt.Errorf("bad line %q", line)
			}
			if len(runs) == 1 && runs[0].Run == 0 && len(runs[0].Results) == 0 {
				runs = runs[:0]
			}
			runs = append(runs, Outcome{Run: i, Results: map[StmtRef]string{}})
			continue
		}
		ref, res, ok := strings.Cut(line, " ")
		r, err := ParseStmtRef(ref)
		if !ok || err != nil || strings.HasPrefix(line, "#") || res == "" || strings.Contains(res, " ") {
			cur().Other = append(cur().Other, line)
			continue
		}
		o := cur()
		if old, dup := o.Results[r]; dup {
			return nil, fmt.Errorf("run %d: %s printed twice (%s, %s)", o.Run, r, old, res)
		}
		o.Results[r] = res
	}
	return runs, nil
}

// Tuple renders the results of refs in one outcome, "-" for a statement that
// did not return: "t1:3=ok t1:4=A t2:4=0".
func (o Outcome) Tuple(refs []StmtRef) string {
	parts := make([]string, len(refs))
	for i, r := range refs {
		v, ok := o.Results[r]
		if !ok {
			v = "-"
		}
		parts[i] = r.String() + "=" + v
	}
	return strings.Join(parts, " ")
}

// Refs lists every statement that returned in some outcome, in thread order
// then index order (threads sorted by name).
func Refs(runs []Outcome) []StmtRef {
	seen := map[StmtRef]bool{}
	var refs []StmtRef
	for _, o := range runs {
		for r := range o.Results {
			if !seen[r] {
				seen[r] = true
				refs = append(refs, r)
			}
		}
	}
	sort.Slice(refs, func(i, j int) bool {
		if refs[i].Thread != refs[j].Thread {
			return refs[i].Thread < refs[j].Thread
		}
		return refs[i].Index < refs[j].Index
	})
	return refs
}

// Count is one line of a histogram.
type Count struct {
	Tuple string
	N     int
}

// Histogram counts the outcome tuples over refs, most frequent first (ties in
// tuple order, so the result is deterministic).
func Histogram(runs []Outcome, refs []StmtRef) []Count {
	n := map[string]int{}
	for _, o := range runs {
		n[o.Tuple(refs)]++
	}
	out := make([]Count, 0, len(n))
	for t, c := range n {
		out = append(out, Count{t, c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Tuple < out[j].Tuple
	})
	return out
}

// FileState is one file as the reader saw it after a power cut.
type FileState struct {
	Missing bool
	Pages   int      // the size, in pages (rounded up)
	Values  []string // the value of each page below the size
}

// ParseReadback parses the reader's lines (ProgramResult.Readback).
func ParseReadback(lines []string) (map[string]FileState, error) {
	files := map[string]FileState{}
	for _, line := range lines {
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "FILE" && f[2] == "missing":
			files[f[1]] = FileState{Missing: true}
		case len(f) == 3 && f[0] == "FILE" && strings.HasPrefix(f[2], "size="):
			n, err := strconv.Atoi(strings.TrimPrefix(f[2], "size="))
			if err != nil || n < 0 {
				return nil, fmt.Errorf("bad readback line %q", line)
			}
			files[f[1]] = FileState{Pages: n, Values: make([]string, n)}
		case len(f) == 2:
			name, pg, ok := strings.Cut(f[0], ":")
			i, err := strconv.Atoi(pg)
			st, known := files[name]
			if !ok || err != nil || !known || i < 0 || i >= len(st.Values) {
				return nil, fmt.Errorf("bad readback line %q", line)
			}
			st.Values[i] = f[1]
		default:
			return nil, fmt.Errorf("bad readback line %q", line)
		}
	}
	return files, nil
}
