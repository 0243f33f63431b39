package kernel

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/daxsim/daxsim/scenarios"
)

// scenarioFiles lists every .scn file under testdata/ and scenarios/builtin/.
func scenarioFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, root := range []string{"../testdata", "../scenarios/builtin"} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".scn") {
				files = append(files, path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 20 {
		t.Fatalf("only %d scenario files found", len(files))
	}
	return files
}

func parse(t *testing.T, path string) *scenarios.Scenario {
	t.Helper()
	scn, err := scenarios.ParseFile(path, scenarios.ParseOptions{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return scn
}

func parseSrc(t *testing.T, src string) *scenarios.Scenario {
	t.Helper()
	scn, err := scenarios.Parse("test.scn", []byte(src), scenarios.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return scn
}

func needGCC(t *testing.T) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not installed")
	}
	return gcc
}

// gccCompile compiles src with the flags every program must pass; link=false
// stops after the object file (all warnings included), which is much faster
// than a static link.
func gccCompile(gcc, dir, name string, src []byte, link, syntaxOnly bool) error {
	c := filepath.Join(dir, name+".c")
	if err := os.WriteFile(c, src, 0o644); err != nil {
		return err
	}
	args := []string{"-static", "-Wall", "-Werror", "-O2", "-pthread", "-o", filepath.Join(dir, name), c}
	if !link {
		args = []string{"-c", "-Wall", "-Werror", "-O2", "-pthread", "-o", filepath.Join(dir, name+".o"), c}
	}
	if syntaxOnly {
		args = []string{"-fsyntax-only", "-Wall", "-Werror", "-pthread", c}
	}
	out, err := exec.Command(gcc, args...).CombinedOutput()
	if err != nil || len(out) > 0 {
		return errors.New(string(out) + errString(err))
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestReproCompilesEverything generates the program for every scenario file the
// generator accepts (and, for some, the witness and concurrent schedules) and
// compiles each with gcc -Wall -Werror: every fifth (and every program of
// another schedule) at -O2, two of them with the full static link, the others
// a syntax check (-fsyntax-only: the warnings that need no optimizer). With
// -short, only every tenth at -O2. make conformance builds every program of
// testdata/kernel with gcc -static -Wall -Werror -O2 anyway.
func TestReproCompilesEverything(t *testing.T) {
	gcc := needGCC(t)
	dir := t.TempDir()
	type job struct {
		name       string
		src        []byte
		link       bool
		syntaxOnly bool
	}
	var jobs []job
	accepted, refused := 0, 0
	for i, f := range scenarioFiles(t) {
		scn := parse(t, f)
		base := strings.TrimSuffix(filepath.Base(f), ".scn")
		src, err := Repro(scn, ReproOptions{DirectAsUnknown: true})
		if err != nil {
			var se *scenarios.Error
			if !errors.As(err, &se) {
				t.Errorf("%s: refusal is not a positioned error: %v", f, err)
			}
			if !strings.HasPrefix(err.Error(), f+":") {
				t.Errorf("%s: refusal does not name file:line:col: %v", f, err)
			}
			refused++
			continue
		}
		accepted++
		name := fmt.Sprintf("%s-%d", base, i)
		every := 5
		if testing.Short() {
			every = 10
		}
		jobs = append(jobs, job{name, src, len(jobs) < 2, accepted%every != 1 && len(jobs) >= 2})
		if accepted%10 != 1 {
			continue
		}
		// The other schedules, on every tenth accepted file.
		src, err = Repro(scn, ReproOptions{Schedule: ScheduleConcurrent, Loop: 3, DirectAsUnknown: true})
		if err != nil {
			t.Fatalf("%s: concurrent: %v", f, err)
		}
		jobs = append(jobs, job{name + "-concurrent", src, false, false})
		th := scn.Threads[len(scn.Threads)-1]
		crash := StmtRef{th.Name, len(th.Stmts)}
		// The last thread first, unless the setup block or an after clause
		// makes it wait: then the serial order's first statement.
		witness := []StmtRef{{th.Name, 1}}
		if _, err := Order(scn, witness); err != nil {
			order, err := Order(scn, nil)
			if err != nil {
				t.Fatalf("%s: order: %v", f, err)
			}
			witness = order[:1]
		}
		src, err = Repro(scn, ReproOptions{Schedule: ScheduleWitness, Witness: witness, CrashAfter: &crash, Dir: "/mnt/x", DirectAsUnknown: true})
		if err != nil {
			t.Fatalf("%s: witness: %v", f, err)
		}
		jobs = append(jobs, job{name + "-witness", src, false, false})
	}
	if accepted < 20 {
		t.Fatalf("only %d programs generated (%d refused)", accepted, refused)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := gccCompile(gcc, dir, j.name, j.src, j.link, j.syntaxOnly); err != nil {
				t.Errorf("%s: %v", j.name, err)
			}
		}()
	}
	wg.Wait()
	t.Logf("%d programs compiled, %d scenario files refused", accepted, refused)
}

func TestReaderCompiles(t *testing.T) {
	gcc := needGCC(t)
	if err := gccCompile(gcc, t.TempDir(), "reader", Reader(), true, false); err != nil {
		t.Fatal(err)
	}
}

const twoThreads = `scenario two
proposal linux
dir pm dax=on
file f pages=2 dax=on extents=hole,written in=pm
file g pages=1
process app uid=1000
process admin uid=0
thread t1 app
  open f rw as fd
  mmap fd 0-1 shared,validate,sync rw as m
  store m 0 A
  flush m 0
  load m 1
thread t2 admin
  open g rw dsync as fd
  write fd 0 B
  read fd 0
  statx fd
  setflag fd dax=on
check all
`

func TestReproRefusals(t *testing.T) {
	cases := []struct {
		src, fs, want string
	}{
		{"thread t1 app\n  open f rw as fd\n  daxfile fd on\n", "", "test.scn:8:3: daxfile"},
		{"thread t1 app\n  open f rw as fd\n  seal fd iomap\n", "", "test.scn:8:3: seal fd iomap: fcntl(F_MAY_SEAL_IOMAP)"},
		{"thread t1 app\n  open f rw as fd\n  setflag fd immutable=on\n", "", "test.scn:8:3: setflag fd immutable=...: the PMEM_IMMUTABLE flag"},
		{"thread t1 app\n  open f rw as fd\n  mmap fd 0 shared rw as m\n  mincore m 0\n", "", "test.scn:9:3: mincore as a DAX query"},
		{"thread t1 app\n  open f rw as fd\n  mmap fd 0 shared,direct rw as m\n", "", "test.scn:8:3: mmap flag direct"},
		{"thread t1 app\n  open f rw as fd\n  defrag fd 0\n", "xfs", "test.scn:8:3: defrag on xfs"},
		{"file h pages=1 extents=shared\nthread t1 app\n  open f rw as fd\n", "ext4", "test.scn:6:1: extents=shared on ext4"},
	}
	for _, c := range cases {
		src := "scenario r\nproposal linux\nfs ext4\nfile f pages=1\nprocess app uid=0\n" + c.src
		_, err := Repro(parseSrc(t, src), ReproOptions{FS: c.fs})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("want an error starting %q, got %v", c.want, err)
		}
	}
	// defrag is fine on ext4, shared extents on xfs.
	src := "scenario r\nproposal linux\nfs xfs\nfile f pages=1 extents=shared\nprocess app uid=0\nthread t1 app\n  open f rw as fd\n  defrag fd 0\n"
	if _, err := Repro(parseSrc(t, src), ReproOptions{FS: "ext4"}); err == nil || !strings.Contains(err.Error(), "extents=shared on ext4") {
		t.Errorf("FS option not used: %v", err)
	}
}

func TestReproOptions(t *testing.T) {
	scn := parseSrc(t, twoThreads)
	bad := []struct {
		opt  ReproOptions
		want string
	}{
		{ReproOptions{Schedule: "random"}, "unknown schedule"},
		{ReproOptions{Schedule: ScheduleWitness}, "needs an order"},
		{ReproOptions{Witness: []StmtRef{{"t1", 1}}}, "needs the witness schedule"},
		{ReproOptions{Schedule: ScheduleWitness, Witness: []StmtRef{{"t1", 2}}}, "before t1:1"},
		{ReproOptions{Schedule: ScheduleWitness, Witness: []StmtRef{{"t3", 1}}}, "no thread"},
		{ReproOptions{Schedule: ScheduleWitness, Witness: []StmtRef{{"t1", 9}}}, "has 5 statements"},
		{ReproOptions{Schedule: ScheduleWitness, Witness: []StmtRef{{"t1", 1}, {"t1", 1}}}, "twice"},
		{ReproOptions{Schedule: ScheduleConcurrent, CrashAfter: &StmtRef{"t1", 1}}, "crash after"},
		{ReproOptions{CrashAfter: &StmtRef{"t2", 6}}, "has 5 statements"},
		{ReproOptions{Loop: -1}, "loop"},
		{ReproOptions{FS: "btrfs"}, "unknown filesystem"},
	}
	for _, b := range bad {
		if _, err := Repro(scn, b.opt); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%+v: want an error containing %q, got %v", b.opt, b.want, err)
		}
	}
	src, err := Repro(scn, ReproOptions{Schedule: ScheduleWitness, Witness: []StmtRef{{"t2", 1}, {"t1", 1}, {"t2", 2}}, CrashAfter: &StmtRef{"t1", 4}})
	if err != nil {
		t.Fatal(err)
	}
	// The order is completed with the statements left out, thread by thread.
	if !bytes.Contains(src, []byte(" *   t2:1 t1:1 t2:2 t1:2 t1:3 t1:4 t1:5 t2:3 t2:4 t2:5\n")) {
		t.Errorf("witness order not in the header:\n%s", src)
	}
	if !bytes.Contains(src, []byte("dx_cut(); /* crash after t1:4 */")) {
		t.Error("no cut after t1:4")
	}
	// Deterministic output.
	src2, _ := Repro(scn, ReproOptions{Schedule: ScheduleWitness, Witness: []StmtRef{{"t2", 1}, {"t1", 1}, {"t2", 2}}, CrashAfter: &StmtRef{"t1", 4}})
	if !bytes.Equal(src, src2) {
		t.Error("Repro is not deterministic")
	}
}

func TestParseOrder(t *testing.T) {
	refs, err := ParseOrder("t1:1, t2:1,t1:2")
	if err != nil || len(refs) != 3 || refs[1] != (StmtRef{"t2", 1}) {
		t.Fatalf("got %v %v", refs, err)
	}
	for _, bad := range []string{"", "t1", "t1:0", ":1", "t1:x"} {
		if _, err := ParseOrder(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestReaderArgs(t *testing.T) {
	src := "scenario r\nproposal linux\ndir a\ndir b\nfile f pages=1 in=a\nfile g pages=1\nprocess app uid=0\nthread t1 app\n  rename f b\n  rename g a\n  rename f b\n"
	got := strings.Join(ReaderArgs(parseSrc(t, src)), " ")
	if want := "f=a/f:b/f g=g:a/g"; got != want {
		t.Errorf("ReaderArgs = %q, want %q", got, want)
	}
}

func TestEncoding(t *testing.T) {
	for _, c := range []struct {
		line []byte
		want string
	}{
		{make([]byte, 64), "0"},
		{EncodeValue("A"), "A"},
		{EncodeValue("B12"), "B12"},
		{[]byte("1A"), "?3141"},
		{append([]byte("A\x00B"), make([]byte, 61)...), "?410042"},
		{[]byte("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKL"), "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKL"},
	} {
		if got := DecodeValue(c.line); got != c.want {
			t.Errorf("DecodeValue(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}

func TestParseOutput(t *testing.T) {
	lines := []string{"RUN 1", "t1:1 ok", "t2:1 ok", "# note", "t1:2 A", "RUN 2", "t1:1 ok", "t1:2 0", "t2:1 EBUSY"}
	runs, err := ParseOutput(lines)
	if err != nil || len(runs) != 2 {
		t.Fatalf("%v %v", runs, err)
	}
	if runs[0].Results[StmtRef{"t1", 2}] != "A" || len(runs[0].Other) != 1 {
		t.Errorf("run 1: %+v", runs[0])
	}
	refs := Refs(runs)
	if got := runs[1].Tuple(refs); got != "t1:1=ok t1:2=0 t2:1=EBUSY" {
		t.Errorf("tuple %q", got)
	}
	h := Histogram(append(runs, runs[1]), refs)
	if len(h) != 2 || h[0].N != 2 || h[0].Tuple != "t1:1=ok t1:2=0 t2:1=EBUSY" {
		t.Errorf("histogram %v", h)
	}
	if _, err := ParseOutput([]string{"t1:1 ok", "t1:1 ok"}); err == nil {
		t.Error("duplicate result accepted")
	}
	single, _ := ParseOutput([]string{"t1:1 ok"})
	if len(single) != 1 || single[0].Run != 0 {
		t.Errorf("single run: %+v", single)
	}
}

func TestParseReadback(t *testing.T) {
	files, err := ParseReadback([]string{"FILE f size=2", "f:0 A", "f:1 0", "FILE g missing"})
	if err != nil {
		t.Fatal(err)
	}
	if f := files["f"]; f.Pages != 2 || f.Values[0] != "A" || f.Values[1] != "0" || !files["g"].Missing {
		t.Errorf("%+v", files)
	}
	for _, bad := range [][]string{{"f:0 A"}, {"FILE f size=1", "f:1 A"}, {"FILE f size=x"}, {"junk"}} {
		if _, err := ParseReadback(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestOrder: the serial order runs the setup block first, then the threads
// in file order, a thread whose next statement waits (after T:N) yielding to
// the first that can go on (the parser refuses a cycle of after clauses).
func TestOrder(t *testing.T) {
	src := `scenario o
proposal linux
file f pages=1
process app uid=0
setup app
  open f rw as fd
thread t1 app
  read fd 0
  read fd 0 after t2:2
  read fd 0
thread t2 app
  read fd 0
  read fd 0
thread t3 app
  read fd 0 after t1:3
`
	scn := parseSrc(t, src)
	order, err := Order(scn, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range order {
		got = append(got, r.String())
	}
	if want := "setup:1 t1:1 t2:1 t2:2 t1:2 t1:3 t3:1"; strings.Join(got, " ") != want {
		t.Errorf("order %s, want %s", strings.Join(got, " "), want)
	}
	if _, err := Order(scn, []StmtRef{{"t1", 1}}); err == nil || !strings.Contains(err.Error(), "waits for") {
		t.Errorf("a witness starting before the setup block: %v", err)
	}
	if _, err := Order(scn, []StmtRef{{"setup", 1}, {"t1", 1}, {"t1", 2}}); err == nil || !strings.Contains(err.Error(), "before t2:2") {
		t.Errorf("a witness breaking an after clause: %v", err)
	}
}

// TestReproLanguage: the statements of issue #10 are generated: create,
// unlink, a directory's descriptor, msync ranges and flags, a setup block,
// after clauses (done flags under the concurrent schedule), the scenario's
// crash line, absent files.
func TestReproLanguage(t *testing.T) {
	src := `scenario l
proposal linux
mount dax=always
dir pm dax=on
file f pages=1 max=3
file g absent in=pm
process app uid=1000
process adm uid=0
setup app
  open f rw as fd
  mmap fd 0-1 shared rw as m
thread t1 app
  store m 0 A
  msync m 0 async
  msync m 0-1 sync,invalidate
  create g as gd
  unlink g
thread t2 adm
  open pm ro as d
  setflag d dax=off after t1:4
  statx d
  close d
crash after t1:5
`
	scn := parseSrc(t, src)
	out, err := Repro(scn, ReproOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"dx_msync(\"t1\", 2, &setup_m_2, 0, 0, MS_ASYNC);",
		"dx_msync(\"t1\", 3, &setup_m_2, 0, 1, MS_SYNC | MS_INVALIDATE);",
		"fd_4 = dx_create(\"t1\", 4, 1);",
		"dx_unlink(\"t1\", 5, 1);",
		"dx_cut(); /* crash after t1:5 */",
		"fd_1 = dx_open_dir(\"t2\", 1, 0);",
		"dx_setup_block(); /* before the threads of the process start */",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %q in the program", want)
		}
	}
	if strings.Contains(string(out), "dx_setup_file(1,") {
		t.Error("setup creates the absent file")
	}
	conc, err := Repro(scn, ReproOptions{Schedule: ScheduleConcurrent, Loop: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dx_wait_done(1, 3); /* after t1:4 */", "dx_mark_done(1, 3);", "dx_barrier(DX_NBARRIER);", "#define DX_NBARRIER 2"} {
		if !strings.Contains(string(conc), want) {
			t.Errorf("concurrent: no %q in the program", want)
		}
	}
	if strings.Contains(string(conc), "dx_cut()") {
		t.Error("concurrent: the crash line applies")
	}
	if gcc, err := exec.LookPath("gcc"); err == nil {
		dir := t.TempDir()
		for name, src := range map[string][]byte{"serial": out, "concurrent": conc} {
			if err := gccCompile(gcc, dir, name, src, false, false); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

// TestAfterCrashProgram: the after-crash block becomes a program of its own,
// with no setup, locating each file where recovery left it.
func TestAfterCrashProgram(t *testing.T) {
	scn := parse(t, "../testdata/scenarios/language/after-crash-plain-flush.scn")
	src, err := AfterCrashProgram(scn, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dx_locate(0, (const int[]){ 0, -1 }); /* file f */", "fd_1 = dx_open(\"crash\", 1, 0, O_RDONLY);", "dx_read(\"crash\", 2, fd_1, 0);"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("no %q in\n%s", want, src)
		}
	}
	if strings.Contains(string(src), "dx_fresh_root();") || strings.Contains(string(src), "dx_cut();") {
		t.Error("the after-crash program sets up or cuts")
	}
	if gcc, err := exec.LookPath("gcc"); err == nil {
		if err := gccCompile(gcc, t.TempDir(), "ac", src, false, false); err != nil {
			t.Error(err)
		}
	}
	if src, err := AfterCrashProgram(parse(t, "../testdata/kernel/flush-hole-sync.scn"), ""); src != nil || err != nil {
		t.Errorf("no block: %v %v", src != nil, err)
	}
}
