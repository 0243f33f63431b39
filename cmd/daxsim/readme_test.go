package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestReadmeExample keeps the README's output excerpts equal to what daxsim
// prints: each block opened by "<!-- example: ARGS | lines A-B -->" holds
// lines A to B of 'daxsim ARGS' run from the repository's root (absolute
// paths printed as relative ones). With -update the blocks are rewritten.
func TestReadmeExample(t *testing.T) {
	path := "../../README.md"
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)<!-- example: (.*?) \\| lines (\\d+)-(\\d+) -->\n```\n(.*?)```\n<!-- end -->")
	blocks := re.FindAllSubmatchIndex(src, -1)
	if len(blocks) == 0 {
		t.Fatal("the README has no example block")
	}
	root, _ := filepath.Abs("../..")
	out := append([]byte(nil), src...)
	for i := len(blocks) - 1; i >= 0; i-- {
		m := blocks[i]
		args := strings.Fields(string(src[m[2]:m[3]]))
		a, _ := strconv.Atoi(string(src[m[4]:m[5]]))
		b, _ := strconv.Atoi(string(src[m[6]:m[7]]))
		wd, _ := os.Getwd()
		os.Chdir(root)
		var o, e bytes.Buffer
		realMain(args, &o, &e)
		os.Chdir(wd)
		text := strings.ReplaceAll(o.String(), root+string(filepath.Separator), "")
		lines := strings.Split(text, "\n")
		if a < 1 || b > len(lines) || a > b {
			t.Fatalf("daxsim %v prints %d lines, the README wants %d-%d", args, len(lines), a, b)
		}
		want := strings.Join(lines[a-1:b], "\n") + "\n"
		if got := string(src[m[8]:m[9]]); got != want {
			if !*update {
				t.Errorf("the README's excerpt of 'daxsim %s' differs from the output; run 'go test ./cmd/daxsim -run TestReadmeExample -update'\nwant:\n%s", strings.Join(args, " "), want)
			}
			out = append(out[:m[8]:m[8]], append([]byte(want), out[m[9]:]...)...)
		}
	}
	if *update {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
