package kernel

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRealKernel boots the guest and runs the scenarios of testdata/kernel on
// a real kernel. It needs QEMU and the Debian packages (installed when running
// as root) and takes a minute or more under TCG, so it runs only with
// DAXSIM_KERNEL=1 (DAXSIM_KERNEL_FS=xfs for XFS, DAXSIM_KERNEL_MOUNT for the
// mount option). It checks that the runner observed every case in full; it
// asserts no kernel result (the results are logged: the runner only observes).
func TestRealKernel(t *testing.T) {
	if os.Getenv("DAXSIM_KERNEL") != "1" {
		t.Skip("set DAXSIM_KERNEL=1 to boot a real kernel under QEMU")
	}
	fs := os.Getenv("DAXSIM_KERNEL_FS")
	if fs == "" {
		fs = "ext4"
	}
	mount := os.Getenv("DAXSIM_KERNEL_MOUNT")
	if mount == "" {
		mount = "dax"
	}
	type tc struct {
		file string
		opt  ReproOptions
	}
	cases := map[string]tc{
		"flush-hole-shared": {"../testdata/kernel/flush-hole-shared.scn", ReproOptions{CrashAfter: &StmtRef{"t1", 4}}},
		"flush-hole-sync":   {"../testdata/kernel/flush-hole-sync.scn", ReproOptions{CrashAfter: &StmtRef{"t1", 4}}},
		"map-sync-errors":   {"../testdata/scenarios/durability/map-sync-errors.scn", ReproOptions{DirectAsUnknown: true}},
		"dontcache-statx":   {"../testdata/scenarios/dontcache-statx.scn", ReproOptions{}},
		"race":              {"../testdata/kernel/race-store-truncate.scn", ReproOptions{Schedule: ScheduleConcurrent, Loop: 50}},
	}
	names := []string{"flush-hole-shared", "flush-hole-sync", "map-sync-errors", "dontcache-statx", "race"}
	var job Job
	job.FS, job.Mount = fs, mount
	job.Progress = testWriter{t}
	for _, name := range names {
		c := cases[name]
		scn := parse(t, c.file)
		c.opt.FS = fs
		src, err := Repro(scn, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		p := Program{Name: name, Source: src}
		if c.opt.CrashAfter != nil {
			p.PowerCut, p.ReaderArgs = true, ReaderArgs(scn)
		}
		job.Programs = append(job.Programs, p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	res, err := Run(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kernel %s, %s %s, accel %s (%s)", res.Kernel, res.FS, res.Mount, res.Accel, res.AccelNote)
	for _, b := range res.Boots {
		t.Logf("boot %-9s %s: DAXSIM-BOOT %.1fs, mounted %.1fs, total %.1fs", b.Purpose, b.Accel, b.Boot.Seconds(), b.Mounted.Seconds(), b.Total.Seconds())
	}
	for i, p := range res.Programs {
		if p.Err != nil {
			t.Errorf("%s: %v", p.Name, p.Err)
			continue
		}
		runs, err := ParseOutput(p.Lines)
		if err != nil {
			t.Errorf("%s: %v", p.Name, err)
			continue
		}
		scn := parse(t, cases[p.Name].file)
		total := 0
		for _, th := range scn.Threads {
			total += len(th.Stmts)
		}
		for _, o := range runs {
			for _, l := range o.Other {
				t.Logf("%s: run %d: %s", p.Name, o.Run, l)
			}
			if !job.Programs[i].PowerCut && len(o.Results) != total {
				t.Errorf("%s: run %d: %d results, want %d", p.Name, o.Run, len(o.Results), total)
			}
		}
		if job.Programs[i].PowerCut {
			if !p.Cut {
				t.Errorf("%s: no power cut", p.Name)
			}
			files, err := ParseReadback(p.Readback)
			if err != nil || len(files) != len(scn.Files) {
				t.Errorf("%s: readback %q: %v", p.Name, p.Readback, err)
			}
			t.Logf("%s: %s | after the power cut: %s (%.1fs)", p.Name, strings.Join(p.Lines, ", "), strings.Join(p.Readback, ", "), p.CaseTime.Seconds())
			continue
		}
		if len(runs) > 1 {
			for _, c := range Histogram(runs, Refs(runs)) {
				t.Logf("%s: %4d  %s", p.Name, c.N, c.Tuple)
			}
			continue
		}
		t.Logf("%s: %s (%.2fs)", p.Name, strings.Join(p.Lines, ", "), p.Duration.Seconds())
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
