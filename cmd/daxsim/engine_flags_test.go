package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/daxsim/daxsim/run"
)

// TestStopFirstAndMaxMemory: -stop-first ends at the first violation (the other
// verdicts unknown: the file's "expect pass no-deadlock" is undecided, exit 3; no
// random fallback); a -max-memory the search reaches is unknown, exit 3, never a
// pass; a bad -max-memory is bad usage.
func TestStopFirstAndMaxMemory(t *testing.T) {
	racy := "../../testdata/scenarios/aops-swap/flip-xarray-check.scn"
	var out, errb bytes.Buffer
	code := realMain([]string{"check", "-stop-first", racy}, &out, &errb)
	if code != run.ExitUnknown || !strings.Contains(out.String(), "INCOMPLETE (stopped at the first violation)") ||
		!strings.Contains(out.String(), "aops-consistent  violation") ||
		strings.Contains(out.String(), "random") {
		t.Fatalf("-stop-first: exit %d\n%s%s", code, out.String(), errb.String())
	}
	var full bytes.Buffer
	realMain([]string{"check", racy}, &full, &errb)
	shortest := regexp.MustCompile(`shortest \d+ steps`)
	if a, b := shortest.FindString(out.String()), shortest.FindString(full.String()); a == "" || a != b {
		t.Errorf("-stop-first says %q, the full search %q", a, b)
	}

	safe := "../../testdata/scenarios/aops-swap/flip-dontcache.scn"
	out.Reset()
	code = realMain([]string{"check", "-max-memory", "64K", "-runs", "10", safe}, &out, &errb)
	if code != run.ExitUnknown || !strings.Contains(out.String(), "max-memory 64K reached") ||
		regexp.MustCompile(`(?m)^[a-z]+-[a-z-]+\s+pass\b`).MatchString(out.String()) {
		t.Fatalf("-max-memory 64K: exit %d\n%s", code, out.String())
	}
	for _, bad := range []string{"lots", "-1G", "4X"} {
		out.Reset()
		errb.Reset()
		if code := realMain([]string{"check", "-max-memory", bad, safe}, &out, &errb); code != run.ExitBadInput {
			t.Errorf("-max-memory %s: exit %d, want 2", bad, code)
		}
	}
	out.Reset()
	if code := realMain([]string{"check", "-max-memory", "1G", safe}, &out, &errb); code != run.ExitOK {
		t.Errorf("-max-memory 1G: exit %d\n%s", code, out.String())
	}
}
