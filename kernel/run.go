package kernel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Program is one test program of a job.
type Program struct {
	// Name is [A-Za-z0-9][A-Za-z0-9._-]*, unique in the job. The program runs
	// as /job/bin/NAME /mnt/NAME ARGS... (its directory is /mnt/NAME; a
	// program from Repro deletes and makes it again).
	Name string
	// Source is C, compiled on the host with gcc -static -Wall -Werror -O2 -pthread.
	Source []byte
	Args   []string
	// PowerCut: the program prints DAXSIM-CUT at its crash point (Repro with
	// CrashAfter). The host kills QEMU there at once (SIGKILL: a power
	// failure), boots again on the same NVDIMM file, mounts (journal or log
	// recovery) and runs the reader in the program's directory with
	// ReaderArgs. If the program ends without the marker, the power is cut at
	// its end. The reboot that reads a power cut back also runs the next
	// power-cut program (see runner.plan): n power cuts cost n+1 boots.
	PowerCut   bool
	ReaderArgs []string
	// AfterCrash, for a PowerCut program: the program of the scenario's
	// after-crash block (AfterCrashProgram), run in the program's directory
	// after the reboot, before the reader; nil: none.
	AfterCrash []byte
	// Timeout for the program; 0: Job.ProgramTimeout.
	Timeout time.Duration
	// Label names the case in progress lines (default: Name).
	Label string
}

func (p *Program) label() string {
	if p.Label != "" {
		return p.Label
	}
	return p.Name
}

// Job is what Run does in one or more boots.
type Job struct {
	FS       string // ext4 or xfs
	Mount    string // the mount option: dax, dax=always, dax=inode or dax=never
	Programs []Program
	// Guest: nil prepares the default guest (PrepareGuest, installing the
	// packages when running as root).
	Guest *Guest
	// Accel: "" tries KVM first when /dev/kvm is usable and falls back to TCG
	// if the KVM guest does not boot in time (remembered in the cache); "kvm"
	// or "tcg" forces one.
	Accel string
	// BootTimeout bounds a boot up to the mounted filesystem (default 180 s
	// under TCG); ProgramTimeout one program (default 120 s).
	BootTimeout    time.Duration
	ProgramTimeout time.Duration
	// Progress receives one line per boot and per case; nil: nothing.
	Progress io.Writer
	// WorkDir holds the images, archives and consoles of the job; empty: a
	// temporary directory removed at the end (kept when KeepWork is set).
	WorkDir  string
	KeepWork bool
}

// ProgramResult is what one program printed.
type ProgramResult struct {
	Name string
	// Lines are the program's output lines, between DAXSIM-BEGIN and
	// DAXSIM-END (or DAXSIM-CUT, not included).
	Lines []string
	RC    int  // the exit status; -1 when it did not end (power cut, timeout)
	Cut   bool // the program printed DAXSIM-CUT and the power was cut there
	// Readback: the reader's lines after the power cut and reboot (PowerCut).
	Readback []string
	// AfterCrash: the lines of the after-crash block's program (crash:N R).
	AfterCrash []string
	// Mount is the /proc/mounts line of the filesystem the program ran on;
	// RecoveryMount the one after the power cut.
	Mount         string
	RecoveryMount string
	// Err: the case could not be run or observed in full (a boot failure, a
	// timeout, a mount failure): report it as unknown, never as a pass.
	Err error
	// Duration is the program's run time as seen by the host (BEGIN to END or
	// CUT); CaseTime the whole case (for a power cut, both boots included).
	Duration time.Duration
	CaseTime time.Duration
}

// BootStat records one boot.
type BootStat struct {
	Purpose string // format, serial, power-cut, recovery
	Accel   string
	Boot    time.Duration // QEMU start to DAXSIM-BOOT (modules loaded)
	Uptime  time.Duration // the guest's /proc/uptime at DAXSIM-BOOT
	Mounted time.Duration // QEMU start to the filesystem mounted (0: no mount)
	Total   time.Duration // QEMU start to its end (power off or kill)
}

// JobResult is what Run observed.
type JobResult struct {
	Kernel    string
	FS, Mount string
	Accel     string // the accelerator the cases ran under
	AccelNote string // why (e.g. the KVM probe timed out)
	Programs  []ProgramResult
	Boots     []BootStat
	// Dmesg: the kernel log lines of every boot (numbered from 1), each
	// prefixed "boot N: ".
	Dmesg []string
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

const readerName = "daxsim-reader"

// afterCrashName is the binary of a program's after-crash block.
func afterCrashName(prog string) string { return prog + ".after-crash" }

// Run boots the guest (QEMU, an emulated NVDIMM in fsdax mode), mounts the
// filesystem and runs the job's programs, each in its own directory: every
// program without PowerCut in the first boot, one after another; then each
// PowerCut program to its marker, the power cut, and in the next boot (same
// NVDIMM file) the recovery mount and the readback, followed by the next
// PowerCut program (see runner.plan). It returns each program's output lines. A failure to prepare
// the guest or to format the device is an error; a failure of one case is in
// its ProgramResult.Err. Run observes only: it compares nothing.
func Run(ctx context.Context, job Job) (*JobResult, error) {
	if err := job.check(); err != nil {
		return nil, err
	}
	g := job.Guest
	if g == nil {
		var err error
		g, err = PrepareGuest(ctx, GuestOptions{Install: os.Geteuid() == 0, Progress: job.Progress})
		if err != nil {
			return nil, err
		}
	}
	work := job.WorkDir
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "daxsim-kernel-"); err != nil {
			return nil, err
		}
		if !job.KeepWork {
			defer os.RemoveAll(work)
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	r := &runner{job: job, g: g, work: work, bins: map[string][]byte{},
		res: &JobResult{Kernel: g.Version, FS: job.FS, Mount: job.Mount}}
	if err := r.compile(ctx); err != nil {
		return nil, err
	}
	if err := r.chooseAccel(ctx); err != nil {
		return nil, err
	}
	img, err := r.formatted(ctx)
	if err != nil {
		return r.res, err
	}
	r.res.Programs = make([]ProgramResult, len(job.Programs))
	var serial, cuts []int
	for i, p := range job.Programs {
		r.res.Programs[i].Name = p.Name
		r.res.Programs[i].RC = -1
		if p.PowerCut {
			cuts = append(cuts, i)
		} else {
			serial = append(serial, i)
		}
	}
	r.plan(ctx, img, serial, cuts)
	return r.res, ctx.Err()
}

func (job *Job) check() error {
	if job.FS != "ext4" && job.FS != "xfs" {
		return fmt.Errorf("kernel: filesystem %q: expected ext4 or xfs", job.FS)
	}
	switch job.Mount {
	case "dax", "dax=always", "dax=inode", "dax=never":
	default:
		return fmt.Errorf("kernel: mount option %q: expected dax, dax=always, dax=inode or dax=never", job.Mount)
	}
	switch job.Accel {
	case "", "kvm", "tcg":
	default:
		return fmt.Errorf("kernel: accelerator %q: expected kvm or tcg", job.Accel)
	}
	if len(job.Programs) == 0 {
		return errors.New("kernel: a job needs at least one program")
	}
	seen := map[string]bool{}
	for _, p := range job.Programs {
		if !nameRE.MatchString(p.Name) || p.Name == readerName {
			return fmt.Errorf("kernel: program name %q: expected [A-Za-z0-9][A-Za-z0-9._-]* (and not %s)", p.Name, readerName)
		}
		if seen[p.Name] {
			return fmt.Errorf("kernel: program %q twice in the job", p.Name)
		}
		seen[p.Name] = true
		if len(p.Source) == 0 {
			return fmt.Errorf("kernel: program %q has no source", p.Name)
		}
	}
	if job.BootTimeout == 0 {
		job.BootTimeout = 180 * time.Second
	}
	if job.ProgramTimeout == 0 {
		job.ProgramTimeout = 120 * time.Second
	}
	return nil
}

type runner struct {
	job    Job
	g      *Guest
	work   string
	accel  string
	bins   map[string][]byte
	res    *JobResult
	nboots int
}

func (r *runner) progress(format string, args ...any) { progressf(r.job.Progress, format, args...) }

// Compile builds a static binary from C source with gcc.
func Compile(ctx context.Context, src []byte, out string) error {
	gcc, err := lookTool("gcc")
	if err != nil {
		return fmt.Errorf("compile: gcc not installed (apt-get install gcc libc6-dev)")
	}
	c := out + ".c"
	if err := os.WriteFile(c, src, 0o644); err != nil {
		return err
	}
	// -s: no symbol table; every binary rides in the boot's archive, and a
	// larger archive is a slower boot under TCG.
	msg, err := exec.CommandContext(ctx, gcc, "-static", "-Wall", "-Werror", "-O2", "-pthread", "-s", "-o", out, c).CombinedOutput()
	if err != nil {
		return fmt.Errorf("compile %s: %v\n%s", c, err, tail(msg, 30))
	}
	return nil
}

func (r *runner) compile(ctx context.Context) error {
	dir := filepath.Join(r.work, "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	progs := append([]Program{{Name: readerName, Source: Reader()}}, r.job.Programs...)
	for _, p := range r.job.Programs {
		if p.PowerCut && p.AfterCrash != nil {
			progs = append(progs, Program{Name: afterCrashName(p.Name), Source: p.AfterCrash})
		}
	}
	for _, p := range progs {
		out := filepath.Join(dir, p.Name)
		if err := Compile(ctx, p.Source, out); err != nil {
			return fmt.Errorf("kernel: program %s: %v", p.Name, err)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			return err
		}
		r.bins[p.Name] = data
	}
	return nil
}

// accelCache remembers a failed KVM probe per QEMU binary and host kernel.
func (r *runner) accelCache() string {
	h := sha256.New()
	h.Write([]byte(r.g.QEMU))
	if st, err := os.Stat(r.g.QEMU); err == nil {
		fmt.Fprintf(h, "%d %d", st.Size(), st.ModTime().UnixNano())
	}
	if rel, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		h.Write(rel)
	}
	return filepath.Join(filepath.Dir(r.g.Dir), "accel-"+hex.EncodeToString(h.Sum(nil))[:16])
}

// chooseAccel settles the accelerator, except for an untried KVM, which the
// first boot probes.
func (r *runner) chooseAccel(ctx context.Context) error {
	switch {
	case r.job.Accel != "":
		r.accel = r.job.Accel
		r.res.AccelNote = "forced by the job"
	default:
		f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
		if err != nil {
			r.accel = "tcg"
			r.res.AccelNote = fmt.Sprintf("/dev/kvm not usable (%v)", err)
			break
		}
		f.Close()
		if data, err := os.ReadFile(r.accelCache()); err == nil {
			r.accel = "tcg"
			r.res.AccelNote = "KVM failed before on this host (" + filepath.Base(r.accelCache()) + "): " + strings.TrimSpace(string(data))
			break
		}
		r.accel = "" // the first boot probes KVM
	}
	r.res.Accel = r.accel
	return ctx.Err()
}

// bootArchive writes base + the job's archive (run.sh and binaries).
func (r *runner) bootArchive(script string, progs []string) (string, error) {
	a := newCpio()
	a.File("job/run.sh", 0o755, []byte(script))
	a.File("job/fs", 0o644, []byte(r.job.FS+"\n"))
	for _, p := range progs {
		a.File("job/bin/"+p, 0o755, r.bins[p])
	}
	base, err := os.ReadFile(r.g.Initrd)
	if err != nil {
		return "", err
	}
	r.nboots++
	path := filepath.Join(r.work, fmt.Sprintf("initrd-%d.cpio", r.nboots))
	return path, os.WriteFile(path, append(base, a.Bytes()...), 0o644)
}

// boot starts the guest and waits for DAXSIM-BOOT. With the accelerator
// undecided it tries KVM for kvmProbe, then TCG.
func (r *runner) boot(ctx context.Context, purpose, image, script string, progs []string) (*vm, *BootStat, error) {
	initrd, err := r.bootArchive(script, progs)
	if err != nil {
		return nil, nil, err
	}
	n := r.nboots
	try := func(accel string, timeout time.Duration) (*vm, *BootStat, error) {
		console := filepath.Join(r.work, fmt.Sprintf("console-%d-%s.log", n, accel))
		r.progress("kernel: boot %d (%s, %s, %s %s)", n, purpose, accel, r.job.FS, r.job.Mount)
		v, err := startVM(r.g, accel, initrd, image, console)
		if err != nil {
			return nil, nil, err
		}
		line, _, err := v.expect(ctx, time.Now().Add(timeout), "DAXSIM-BOOT")
		if err != nil {
			v.kill()
			return nil, nil, fmt.Errorf("boot %d (%s): %w", n, accel, err)
		}
		st := &BootStat{Purpose: purpose, Accel: accel, Boot: time.Since(v.started)}
		if up, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, "DAXSIM-BOOT")), 64); err == nil {
			st.Uptime = time.Duration(up * float64(time.Second))
		}
		return v, st, nil
	}
	if r.accel == "" {
		v, st, err := try("kvm", min(kvmProbe, r.job.BootTimeout))
		if err == nil {
			r.accel, r.res.Accel = "kvm", "kvm"
			r.res.AccelNote = fmt.Sprintf("KVM booted in %.1fs", st.Boot.Seconds())
			return v, st, nil
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		r.accel, r.res.Accel = "tcg", "tcg"
		first := strings.SplitN(err.Error(), "\n", 2)[0]
		r.res.AccelNote = fmt.Sprintf("KVM did not reach DAXSIM-BOOT in %s (%s); TCG", kvmProbe, first)
		_ = os.WriteFile(r.accelCache(), []byte(r.res.AccelNote+"\n"), 0o644)
		r.progress("kernel: %s", r.res.AccelNote)
	}
	return try(r.accel, r.job.BootTimeout)
}

func (r *runner) endBoot(v *vm, st *BootStat) {
	st.Total = time.Since(v.started)
	r.res.Boots = append(r.res.Boots, *st)
}

// shq quotes s for sh.
func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// The job scripts. Every line the host acts on starts with DAXSIM-; output of
// tools is prefixed "# ".
const scriptHead = `#!/bin/sh
export PATH=/bin:/sbin
i=0
while [ ! -b /dev/pmem0 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
`

// scriptFormat prepares a new (all-zero) backing file: labels, then an fsdax
// namespace (the default raw namespace has no DAX: "DAX unsupported by block
// device"; --size with -e is refused), then mkfs.
const scriptFormat = `#!/bin/sh
export PATH=/bin:/sbin
ndctl disable-region region0 2>&1 | sed 's/^/# /'
ndctl init-labels -f nmem0 2>&1 | sed 's/^/# /'
ndctl enable-region region0 2>&1 | sed 's/^/# /'
ndctl create-namespace -r region0 -m fsdax --size=%dM 2>&1 | sed 's/^/# /'
i=0
while [ ! -b /dev/pmem0 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
[ -b /dev/pmem0 ] || { echo "DAXSIM-ERROR no /dev/pmem0 after create-namespace"; exit 1; }
%s 2>&1 | sed 's/^/# /'
echo "DAXSIM-FORMATTED"
`

// mkfs: DAX needs the block size to be the page size.
var mkfs = map[string]string{
	"ext4": "mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 /dev/pmem0",
	"xfs":  "mkfs.xfs -q -f /dev/pmem0",
}

func (r *runner) mountScript() string {
	return scriptHead + fmt.Sprintf(`[ -b /dev/pmem0 ] || { echo "DAXSIM-ERROR no /dev/pmem0"; exit 1; }
mkdir -p /mnt
mount -t %s -o %s /dev/pmem0 /mnt 2>&1 | sed 's/^/# /'
grep -q ' /mnt ' /proc/mounts || { echo "DAXSIM-ERROR mount -t %s -o %s /dev/pmem0 failed"; dmesg | tail -5 | sed 's/^/# /'; exit 1; }
echo "DAXSIM-MOUNTED $(grep ' /mnt ' /proc/mounts)"
`, r.job.FS, r.job.Mount, r.job.FS, r.job.Mount)
}

func runLine(name, dir string, args []string) string {
	var q []string
	for _, a := range args {
		q = append(q, shq(a))
	}
	return fmt.Sprintf("echo 'DAXSIM-BEGIN %s'; /job/bin/%s %s %s; echo \"DAXSIM-END %s $?\"\n",
		name, name, shq(dir), strings.Join(q, " "), name)
}

const scriptTail = `cd /
umount /mnt 2>&1 | sed 's/^/# /'
dmesg | sed 's/^/DAXSIM-DMESG /'
echo "DAXSIM-DONE"
`

// formatted returns the cached formatted image for the job's filesystem,
// making it on first use (a boot that creates the labels and the namespace on
// a new sparse file and runs mkfs).
func (r *runner) formatted(ctx context.Context) (string, error) {
	img := filepath.Join(r.g.Dir, fmt.Sprintf("pmem-%s-%dM.img", r.job.FS, namespaceMiB))
	if _, err := os.Stat(img); err == nil {
		return img, nil
	}
	tmp := img + ".new"
	f, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	err = f.Truncate(nvdimmSize)
	f.Close()
	if err != nil {
		return "", err
	}
	script := fmt.Sprintf(scriptFormat, namespaceMiB, mkfs[r.job.FS])
	v, st, err := r.boot(ctx, "format", tmp, script, nil)
	if err != nil {
		return "", fmt.Errorf("kernel: formatting %s: %v", r.job.FS, err)
	}
	_, _, err = v.expect(ctx, time.Now().Add(r.job.BootTimeout), "DAXSIM-FORMATTED")
	if err != nil {
		v.kill()
		return "", fmt.Errorf("kernel: formatting %s: %v", r.job.FS, err)
	}
	v.waitExit(60 * time.Second)
	r.endBoot(v, st)
	if err := os.Rename(tmp, img); err != nil {
		return "", err
	}
	r.progress("kernel: formatted %s in %.1fs: %s", r.job.FS, st.Total.Seconds(), img)
	return img, nil
}

func (r *runner) freshImage(img, name string) (string, error) {
	dst := filepath.Join(r.work, name+".img")
	return dst, copySparse(img, dst)
}

// mounted waits for DAXSIM-MOUNTED and returns the /proc/mounts line.
func (r *runner) mounted(ctx context.Context, v *vm, st *BootStat) (string, error) {
	line, _, err := v.expect(ctx, v.started.Add(r.job.BootTimeout), "DAXSIM-MOUNTED")
	if err != nil {
		return "", err
	}
	st.Mounted = time.Since(v.started)
	return strings.TrimSpace(strings.TrimPrefix(line, "DAXSIM-MOUNTED")), nil
}

// runProgram reads one program's output: BEGIN, its lines, END or CUT.
func (r *runner) runProgram(ctx context.Context, v *vm, name string, timeout time.Duration) (lines []string, rc int, cut bool, d time.Duration, err error) {
	if timeout == 0 {
		timeout = r.job.ProgramTimeout
	}
	rc = -1
	deadline := time.Now().Add(timeout)
	if _, _, err = v.expect(ctx, deadline, "DAXSIM-BEGIN "+name); err != nil {
		return nil, rc, false, 0, err
	}
	start := time.Now()
	deadline = start.Add(timeout)
	for {
		line, err := v.next(ctx, deadline)
		if err != nil {
			return lines, rc, false, time.Since(start), err
		}
		switch {
		case line == "DAXSIM-CUT":
			return lines, rc, true, time.Since(start), nil
		case strings.HasPrefix(line, "DAXSIM-END "+name+" "):
			rc, err = strconv.Atoi(strings.TrimPrefix(line, "DAXSIM-END "+name+" "))
			if err != nil {
				rc = -1
			}
			return lines, rc, false, time.Since(start), nil
		}
		lines = append(lines, line)
	}
}

// finish reads the end of a job script (the kernel log, DONE) and lets the
// guest power off.
func (r *runner) finish(ctx context.Context, v *vm, st *BootStat) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		line, err := v.next(ctx, deadline)
		if err != nil {
			v.kill()
			break
		}
		if line == "DAXSIM-DONE" {
			break
		}
		if d, ok := strings.CutPrefix(line, "DAXSIM-DMESG "); ok {
			r.res.Dmesg = append(r.res.Dmesg, fmt.Sprintf("boot %d: %s", len(r.res.Boots)+1, d))
		}
	}
	v.waitExit(30 * time.Second)
	r.endBoot(v, st)
}

// plan runs the programs in as few boots as it takes: a boot mounts the
// filesystem (after a power cut: the journal replay or log recovery) and runs,
// in order, the reader for the power cut that ended the boot before (same
// NVDIMM file), the serial programs not run yet, and the next power-cut
// program, whose DAXSIM-CUT ends the boot (SIGKILL of QEMU). The serial
// programs and n power cuts take n+1 boots; each program has a directory of
// its own, and a power-cut program's setup syncs the filesystem before its
// statements run, so what earlier cases left behind is durable by then. A
// timeout or a failure kills the boot; the programs not run yet go on in a
// new boot on a fresh copy of the formatted image.
func (r *runner) plan(ctx context.Context, img string, serial, cuts []int) {
	var image string
	fresh := func() error {
		var err error
		image, err = r.freshImage(img, fmt.Sprintf("run-%d", r.nboots+1))
		return err
	}
	if err := fresh(); err != nil {
		r.failAll(append(append([]int(nil), serial...), cuts...), err)
		return
	}
	read := -1 // the power-cut program whose files the next boot reads back
	var cutStart time.Time
	for (read >= 0 || len(serial) > 0 || len(cuts) > 0) && ctx.Err() == nil {
		script := r.mountScript()
		var names []string
		purpose := "serial"
		if read >= 0 {
			p := r.job.Programs[read]
			if p.AfterCrash != nil {
				script += runLine(afterCrashName(p.Name), "/mnt/"+p.Name, nil)
				names = append(names, afterCrashName(p.Name))
			}
			script += runLine(readerName, "/mnt/"+p.Name, p.ReaderArgs)
			names = append(names, readerName)
			purpose = "recovery"
		}
		for _, i := range serial {
			p := r.job.Programs[i]
			script += runLine(p.Name, "/mnt/"+p.Name, p.Args)
			names = append(names, p.Name)
		}
		cut := -1
		if len(cuts) > 0 {
			cut = cuts[0]
			p := r.job.Programs[cut]
			script += runLine(p.Name, "/mnt/"+p.Name, p.Args)
			names = append(names, p.Name)
			purpose += "+power-cut"
		}
		script += scriptTail
		v, st, err := r.boot(ctx, strings.TrimPrefix(purpose, "serial+"), image, script, names)
		if err != nil {
			if read >= 0 {
				r.res.Programs[read].Err = fmt.Errorf("after the power cut: %w", err)
			}
			r.failAll(append(append([]int(nil), serial...), cuts...), err)
			return
		}
		mount, err := r.mounted(ctx, v, st)
		if err != nil {
			v.kill()
			r.endBoot(v, st)
			if read >= 0 {
				// The filesystem did not come back: that case is unknown; the
				// others go on on a fresh image.
				r.res.Programs[read].Err = fmt.Errorf("mount after the power cut: %w", err)
				r.progress("kernel: %s: mount after the power cut: %v", r.job.Programs[read].label(), firstLine(err))
				read = -1
				if err := fresh(); err != nil {
					r.failAll(append(append([]int(nil), serial...), cuts...), err)
					return
				}
				continue
			}
			r.failAll(append(append([]int(nil), serial...), cuts...), fmt.Errorf("mount: %w", err))
			return
		}
		if read < 0 {
			r.progress("kernel: booted in %.1fs, mounted %s in %.1fs", st.Boot.Seconds(), mount, st.Mounted.Seconds())
		}
		ok := true // the boot goes on
		if read >= 0 {
			pr := &r.res.Programs[read]
			pr.RecoveryMount = mount
			var err, acErr error
			if p := r.job.Programs[read]; p.AfterCrash != nil {
				var rc int
				pr.AfterCrash, rc, _, _, err = r.runProgram(ctx, v, afterCrashName(p.Name), p.Timeout)
				if err == nil && rc != 0 {
					acErr = fmt.Errorf("the after-crash program exited with %d", rc)
				}
			}
			var back []string
			if err == nil { // after a timeout the guest is not worth waiting for
				back, _, _, _, err = r.runProgram(ctx, v, readerName, 0)
			}
			if err == nil {
				err = acErr
			}
			pr.Readback = back
			pr.CaseTime = time.Since(cutStart)
			if err != nil {
				pr.Err = fmt.Errorf("readback: %w", err)
				ok = false
			}
			r.progress("kernel: %s: cut=%v after %d lines, %d readback lines, %.1fs", r.job.Programs[read].label(), pr.Cut, len(pr.Lines), len(back), pr.CaseTime.Seconds())
			read = -1
		}
		for ok && len(serial) > 0 {
			i := serial[0]
			serial = serial[1:]
			p := r.job.Programs[i]
			pr := &r.res.Programs[i]
			pr.Mount = mount
			lines, rc, cutSeen, d, err := r.runProgram(ctx, v, p.Name, p.Timeout)
			pr.Lines, pr.RC, pr.Duration, pr.CaseTime = lines, rc, d, d
			if err == nil && cutSeen {
				err = errors.New("the program printed DAXSIM-CUT but is not a power-cut case: killed, nothing read back")
			}
			if err != nil {
				pr.Err = err
				r.progress("kernel: %s: %v", p.label(), firstLine(err))
				ok = false
				break
			}
			r.progress("kernel: %s: rc %d, %d lines, %.2fs", p.label(), rc, len(lines), d.Seconds())
		}
		if ok && cut >= 0 {
			cuts = cuts[1:]
			p := r.job.Programs[cut]
			pr := &r.res.Programs[cut]
			pr.Mount = mount
			cutStart = time.Now()
			lines, rc, cutSeen, d, err := r.runProgram(ctx, v, p.Name, p.Timeout)
			v.kill() // the power cut: at once, whatever happened
			r.endBoot(v, st)
			pr.Lines, pr.RC, pr.Cut, pr.Duration = lines, rc, cutSeen, d
			if err != nil {
				pr.Err = err
				pr.CaseTime = time.Since(cutStart)
				r.progress("kernel: %s: %v", p.label(), firstLine(err))
				if err := fresh(); err != nil {
					r.failAll(append(append([]int(nil), serial...), cuts...), err)
					return
				}
				continue
			}
			read = cut // the next boot recovers this image and reads it back
			continue
		}
		if ok {
			r.finish(ctx, v, st)
			continue
		}
		v.kill()
		r.endBoot(v, st)
		if err := fresh(); err != nil {
			r.failAll(append(append([]int(nil), serial...), cuts...), err)
			return
		}
	}
	if err := ctx.Err(); err != nil {
		var rest []int
		if read >= 0 {
			rest = append(rest, read)
		}
		r.failAll(append(append(rest, serial...), cuts...), err)
	}
}

func firstLine(err error) string { return strings.SplitN(err.Error(), "\n", 2)[0] }

func (r *runner) failAll(idx []int, err error) {
	if len(idx) == 0 {
		return
	}
	for _, i := range idx {
		if r.res.Programs[i].Err == nil {
			r.res.Programs[i].Err = err
		}
	}
	r.progress("kernel: %d case(s) not run: %v", len(idx), firstLine(err))
}
