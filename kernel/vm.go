package kernel

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The emulated machine. The NVDIMM is backed by a host file (share=on: every
// guest store to it reaches the file's page cache at once, so the file holds
// exactly what reached the "media"); the guest's RAM, page cache and
// uncommitted journal die with the QEMU process.
const (
	guestRAM     = "1G,slots=2,maxmem=8G"
	nvdimmSize   = 1 << 30 // the backing file
	nvdimmLabel  = "128K"  // label space, needed to create an fsdax namespace
	namespaceMiB = 512     // the fsdax namespace (XFS wants >= 300 MB)
	// kvmProbe is how long a KVM boot may take to reach DAXSIM-BOOT before the
	// runner falls back to TCG (a KVM boot takes a few seconds where it works;
	// on the machine this was written on, a KVM guest hung before the kernel
	// printed anything).
	kvmProbe = 25 * time.Second
)

// vm is one running QEMU process.
type vm struct {
	cmd     *exec.Cmd
	lines   chan string // the job channel (guest /dev/ttyS1), closed at EOF
	exited  chan struct{}
	waitErr error
	console string // the kernel console (ttyS0) log file
	started time.Time
	accel   string
	mu      sync.Mutex
	seen    []string // every line of the job channel, for error reports
}

// errTimeout marks a timeout: the caller reports the case as unknown.
var errTimeout = errors.New("timeout")

// IsTimeout reports whether err is (or wraps) a runner timeout.
func IsTimeout(err error) bool { return errors.Is(err, errTimeout) }

func qemuArgs(g *Guest, accel, initrd, image, console string) []string {
	args := []string{"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"}
	if accel == "kvm" {
		args = append(args, "-accel", "kvm", "-cpu", "host")
	} else {
		args = append(args, "-accel", "tcg,thread=multi", "-cpu", "max")
	}
	if g.BIOS != "" {
		args = append(args, "-bios", g.BIOS)
	}
	return append(args,
		"-smp", "2", "-m", guestRAM, "-machine", "pc,nvdimm=on",
		"-kernel", g.Kernel, "-initrd", initrd,
		// loglevel=3 keeps all but errors off the console; the console is the
		// first serial port anyway, the job's output the second.
		"-append", "console=ttyS0 panic=-1 loglevel=3 edd=off",
		"-serial", "file:"+console, "-serial", "stdio",
		"-object", fmt.Sprintf("memory-backend-file,id=mem1,share=on,mem-path=%s,size=%d", image, nvdimmSize),
		"-device", "nvdimm,id=nv1,memdev=mem1,label-size="+nvdimmLabel,
	)
}

// startVM boots the guest with initrd on image.
func startVM(g *Guest, accel, initrd, image, console string) (*vm, error) {
	cmd := exec.Command(g.QEMU, qemuArgs(g, accel, initrd, image, console)...)
	cmd.Stdin = nil
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &lockedWriter{w: &stderr}
	// Its own process group, so that a signal to the caller's group does not
	// cut the power at a moment nobody chose; killed if the runner dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	v := &vm{cmd: cmd, lines: make(chan string, 1024), exited: make(chan struct{}), console: console, accel: accel}
	v.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("qemu: %v", err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), "\r")
			v.mu.Lock()
			v.seen = append(v.seen, line)
			v.mu.Unlock()
			v.lines <- line
		}
		close(v.lines)
	}()
	go func() {
		err := cmd.Wait()
		if err != nil && stderr.Len() > 0 {
			err = fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
		}
		v.waitErr = err
		close(v.exited)
	}()
	return v, nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// kill cuts the power: SIGKILL, no chance for QEMU or the guest to flush
// anything. It waits for the process to be gone.
func (v *vm) kill() {
	if v.cmd.Process != nil {
		_ = v.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-v.exited
}

// next returns the next line of the job channel, or an error when the
// deadline passes, QEMU exits or ctx ends.
func (v *vm) next(ctx context.Context, deadline time.Time) (string, error) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case line, ok := <-v.lines:
		if !ok {
			<-v.exited
			return "", fmt.Errorf("the guest stopped (qemu: %v)%s", exitText(v.waitErr), v.context())
		}
		return line, nil
	case <-t.C:
		return "", fmt.Errorf("%w%s", errTimeout, v.context())
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// expect reads lines until one starts with prefix; the lines before it are
// returned too.
func (v *vm) expect(ctx context.Context, deadline time.Time, prefix string) (string, []string, error) {
	var before []string
	for {
		line, err := v.next(ctx, deadline)
		if err != nil {
			return "", before, err
		}
		if strings.HasPrefix(line, prefix) {
			return line, before, nil
		}
		if strings.HasPrefix(line, "DAXSIM-ERROR") {
			return "", before, fmt.Errorf("guest: %s%s", line, v.context())
		}
		before = append(before, line)
	}
}

func exitText(err error) string {
	if err == nil {
		return "exit 0"
	}
	return err.Error()
}

// context is the end of both channels, for error messages.
func (v *vm) context() string {
	v.mu.Lock()
	seen := append([]string(nil), v.seen...)
	v.mu.Unlock()
	if len(seen) > 12 {
		seen = seen[len(seen)-12:]
	}
	var b strings.Builder
	if len(seen) > 0 {
		b.WriteString("\n  last job-channel lines:\n    " + strings.Join(seen, "\n    "))
	}
	if data, err := os.ReadFile(v.console); err == nil && len(data) > 0 {
		b.WriteString("\n  console (" + filepath.Base(v.console) + ") tail:\n    " + strings.ReplaceAll(tail(data, 12), "\n", "\n    "))
	}
	return b.String()
}

// waitExit waits for QEMU to power off, killing it after d.
func (v *vm) waitExit(d time.Duration) {
	select {
	case <-v.exited:
	case <-time.After(d):
		v.kill()
	}
}

// copySparse copies a sparse file, keeping its holes (SEEK_DATA/SEEK_HOLE):
// the backing file is 1 GiB of which a formatted filesystem uses a few MB.
func copySparse(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	if err := out.Truncate(st.Size()); err != nil {
		return err
	}
	const seekData, seekHole = 3, 4
	fd := int(in.Fd())
	buf := make([]byte, 1<<20)
	for off := int64(0); off < st.Size(); {
		data, err := syscall.Seek(fd, off, seekData)
		if err != nil {
			if errors.Is(err, syscall.ENXIO) {
				break // no data after off
			}
			// No SEEK_DATA here: copy everything from off.
			data = off
		}
		hole, err := syscall.Seek(fd, data, seekHole)
		if err != nil {
			hole = st.Size()
		}
		for p := data; p < hole; {
			n := min(int64(len(buf)), hole-p)
			m, err := in.ReadAt(buf[:n], p)
			if m > 0 {
				if _, err := out.WriteAt(buf[:m], p); err != nil {
					return err
				}
			}
			if err != nil && !(errors.Is(err, io.EOF) && int64(m) == n) {
				return err
			}
			p += int64(m)
		}
		off = hole
	}
	return out.Close()
}
