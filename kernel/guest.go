package kernel

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Guest is a bootable Linux guest for the oracle: a Debian kernel and an
// initramfs (cached) holding busybox, the nvdimm and filesystem modules,
// ndctl, mkfs.ext4 and mkfs.xfs.
type Guest struct {
	Version string // the kernel release, e.g. 6.1.0-57-amd64
	// Kernel is what QEMU boots: the uncompressed vmlinux (cached), booted
	// through its PVH entry point when the image has one (CONFIG_PVH; this
	// skips the xz decompression, about 6 s under TCG), else the vmlinuz.
	Kernel  string
	Image   string // the installed kernel image, /boot/vmlinuz-VERSION
	Initrd  string // the cached base archive (newc cpio, uncompressed)
	Dir     string // the cache directory of this guest (formatted images live there)
	Key     string // hash of every input of the archive and of the kernel image
	QEMU    string // the qemu-system-x86_64 binary
	BIOS    string // qboot.rom when installed (boots faster than SeaBIOS), else ""
	Modules []string
}

// GuestOptions say where and what to build.
type GuestOptions struct {
	// CacheDir holds the guests and formatted images; empty: $XDG_CACHE_HOME/daxsim
	// or ~/.cache/daxsim.
	CacheDir string
	// Version is the kernel release; empty: the newest /boot/vmlinuz-* with its
	// modules installed.
	Version string
	// Install lets PrepareGuest run apt-get install when something is missing
	// (only as root).
	Install bool
	// Progress receives one line per step; nil: nothing.
	Progress io.Writer
}

// Packages are the Debian packages the guest is built from.
// kmod (modprobe --show-depends) and xz-utils (the vmlinux inside the
// bzImage) are in most installations already.
var Packages = []string{"qemu-system-x86", "linux-image-amd64", "busybox-static", "ndctl", "xfsprogs", "e2fsprogs", "cpio", "kmod", "xz-utils"}

// guestModules are the modules the guest loads, with their dependencies: the
// nvdimm drivers, then the filesystem of the job (a boot loads only the one
// it mounts, /etc/daxsim-modules.FS; xfs.ko alone takes about a second to
// load under TCG).
var guestModules = map[string][]string{
	"ext4": {"nfit", "nd_pmem", "ext4"},
	"xfs":  {"nfit", "nd_pmem", "xfs"},
}

// guestFormat versions the layout of the archive and of the formatted images:
// bump it when the init script or the format steps change meaning.
const guestFormat = "daxsim-guest-1"

// DefaultCacheDir is $XDG_CACHE_HOME/daxsim, else ~/.cache/daxsim.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "daxsim"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: %v (set XDG_CACHE_HOME)", err)
	}
	return filepath.Join(home, ".cache", "daxsim"), nil
}

func progressf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// lookTool finds a program in PATH or the sbin directories (not always in a
// user's PATH).
func lookTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// missing lists what the guest needs and this machine lacks.
func missing() []string {
	var out []string
	for _, t := range []string{"qemu-system-x86_64", "busybox", "ndctl", "mkfs.ext4", "mkfs.xfs", "modprobe", "ldd", "gcc"} {
		if _, err := lookTool(t); err != nil {
			out = append(out, t)
		}
	}
	if k, _ := filepath.Glob("/boot/vmlinuz-*"); len(k) == 0 {
		out = append(out, "/boot/vmlinuz-*")
	}
	return out
}

// PrepareGuest returns the guest, building its archive when the cache has none
// for these inputs.
func PrepareGuest(ctx context.Context, opt GuestOptions) (*Guest, error) {
	if m := missing(); len(m) > 0 {
		pkgs := strings.Join(Packages, " ")
		if !opt.Install || os.Geteuid() != 0 {
			return nil, fmt.Errorf("guest: missing %s; install them with: apt-get install -y --no-install-recommends %s (and gcc)", strings.Join(m, ", "), pkgs)
		}
		progressf(opt.Progress, "guest: installing %s (missing %s)", pkgs, strings.Join(m, ", "))
		// A fresh machine may have no package lists yet.
		upd := exec.CommandContext(ctx, "apt-get", "update", "-q")
		upd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := upd.CombinedOutput(); err != nil {
			progressf(opt.Progress, "guest: apt-get update: %v\n%s", err, tail(out, 5))
		}
		args := append([]string{"install", "-y", "--no-install-recommends"}, Packages...)
		if _, err := lookTool("gcc"); err != nil {
			args = append(args, "gcc", "libc6-dev")
		}
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("guest: apt-get install: %v\n%s", err, tail(out, 20))
		}
		if m := missing(); len(m) > 0 {
			return nil, fmt.Errorf("guest: still missing after apt-get install: %s", strings.Join(m, ", "))
		}
	}
	cache := opt.CacheDir
	if cache == "" {
		var err error
		if cache, err = DefaultCacheDir(); err != nil {
			return nil, err
		}
	}
	ver, err := kernelVersion(opt.Version)
	if err != nil {
		return nil, err
	}
	g := &Guest{Version: ver, Image: "/boot/vmlinuz-" + ver}
	g.Kernel = g.Image
	if g.QEMU, err = lookTool("qemu-system-x86_64"); err != nil {
		return nil, fmt.Errorf("guest: %v", err)
	}
	for _, b := range []string{"/usr/share/qemu/qboot.rom", "/usr/share/qboot/bios.bin"} {
		if _, err := os.Stat(b); err == nil {
			g.BIOS = b
			break
		}
	}
	arch, err := g.archive(ctx)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write([]byte(guestFormat))
	kimg, err := os.ReadFile(g.Image)
	if err != nil {
		return nil, fmt.Errorf("guest: %v", err)
	}
	h.Write(kimg)
	h.Write(arch)
	g.Key = hex.EncodeToString(h.Sum(nil))[:16]
	g.Dir = filepath.Join(cache, "guest-"+ver+"-"+g.Key)
	g.Initrd = filepath.Join(g.Dir, "initrd.cpio")
	if err := os.MkdirAll(g.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("guest: %v", err)
	}
	vmlinux := filepath.Join(g.Dir, "vmlinux")
	if _, err := os.Stat(vmlinux); err == nil {
		g.Kernel = vmlinux
	} else if data := extractPVH(ctx, kimg); data != nil {
		if err := writeFileAtomic(vmlinux, data); err == nil {
			g.Kernel = vmlinux
		}
	}
	if st, err := os.Stat(g.Initrd); err == nil && st.Size() == int64(len(arch)) {
		progressf(opt.Progress, "guest: %s (cached)", g.Dir)
		return g, nil
	}
	if err := writeFileAtomic(g.Initrd, arch); err != nil {
		return nil, fmt.Errorf("guest: %v", err)
	}
	progressf(opt.Progress, "guest: built %s (%d MB, kernel %s, modules %s)", g.Initrd, len(arch)>>20, ver, strings.Join(g.Modules, " "))
	return g, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// kernelVersion picks the kernel: the one asked for, or the newest installed
// image whose modules directory has the nfit module.
func kernelVersion(want string) (string, error) {
	if want != "" {
		if _, err := os.Stat("/boot/vmlinuz-" + want); err != nil {
			return "", fmt.Errorf("guest: kernel %s: %v", want, err)
		}
		return want, nil
	}
	imgs, _ := filepath.Glob("/boot/vmlinuz-*")
	var vers []string
	for _, img := range imgs {
		v := strings.TrimPrefix(filepath.Base(img), "vmlinuz-")
		if _, err := os.Stat(filepath.Join("/lib/modules", v, "modules.dep")); err == nil {
			vers = append(vers, v)
		}
	}
	if len(vers) == 0 {
		return "", errors.New("guest: no /boot/vmlinuz-* with its /lib/modules; install linux-image-amd64")
	}
	sort.Slice(vers, func(i, j int) bool { return versionLess(vers[i], vers[j]) })
	return vers[len(vers)-1], nil
}

// versionLess compares kernel releases number by number.
func versionLess(a, b string) bool {
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '-' })
	}
	x, y := split(a), split(b)
	for i := 0; i < len(x) && i < len(y); i++ {
		if x[i] == y[i] {
			continue
		}
		var nx, ny int
		_, ex := fmt.Sscanf(x[i], "%d", &nx)
		_, ey := fmt.Sscanf(y[i], "%d", &ny)
		if ex == nil && ey == nil && nx != ny {
			return nx < ny
		}
		return x[i] < y[i]
	}
	return len(x) < len(y)
}

// archive builds the base initramfs in memory.
func (g *Guest) archive(ctx context.Context) ([]byte, error) {
	a := newCpio()
	for _, d := range []string{"dev", "proc", "sys", "tmp", "mnt", "job", "etc", "root"} {
		a.Dir(d, 0o755)
	}
	a.CharDev("dev/console", 0o600, 5, 1)
	a.CharDev("dev/null", 0o666, 1, 3)
	// busybox and its applets.
	bb, err := lookTool("busybox")
	if err != nil {
		return nil, err
	}
	if dyn, err := isDynamic(bb); err != nil || dyn {
		return nil, fmt.Errorf("guest: %s is not a static busybox (install busybox-static)", bb)
	}
	data, err := os.ReadFile(bb)
	if err != nil {
		return nil, err
	}
	a.File("bin/busybox", 0o755, data)
	out, err := exec.CommandContext(ctx, bb, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("guest: busybox --list: %v", err)
	}
	for _, app := range strings.Fields(string(out)) {
		if app != "busybox" && !strings.Contains(app, "/") {
			a.Symlink("bin/"+app, "busybox")
		}
	}
	// Modules in dependency order, one list per filesystem.
	added := map[string]bool{}
	for _, fs := range []string{"ext4", "xfs"} {
		mods, err := moduleOrder(ctx, g.Version, guestModules[fs])
		if err != nil {
			return nil, err
		}
		var list []string
		for _, m := range mods {
			base := moduleBase(m)
			dst := "/lib/modules/" + g.Version + "/" + base + ".ko"
			list = append(list, dst)
			if added[dst] {
				continue
			}
			added[dst] = true
			data, err := readModule(ctx, m)
			if err != nil {
				return nil, err
			}
			a.File(dst, 0o644, data)
			g.Modules = append(g.Modules, base)
		}
		a.File("etc/daxsim-modules."+fs, 0o644, []byte(strings.Join(list, "\n")+"\n"))
	}
	// The tools, with their libraries and the loader.
	for _, t := range []string{"ndctl", "mkfs.ext4", "mkfs.xfs"} {
		p, err := lookTool(t)
		if err != nil {
			return nil, fmt.Errorf("guest: %v", err)
		}
		if err := addDynamic(ctx, a, p, "sbin/"+t); err != nil {
			return nil, err
		}
	}
	a.File("init", 0o755, []byte(initScript))
	return a.Bytes(), nil
}

func moduleBase(p string) string {
	b := filepath.Base(p)
	for _, ext := range []string{".xz", ".zst", ".gz"} {
		b = strings.TrimSuffix(b, ext)
	}
	return strings.TrimSuffix(b, ".ko")
}

// moduleOrder lists the module files to insmod, dependencies first, from
// modprobe --show-depends with no configuration (-C /dev/null: ndctl's
// "install libnvdimm ndctl load-keys" line would hide libnvdimm).
func moduleOrder(ctx context.Context, ver string, names []string) ([]string, error) {
	mp, err := lookTool("modprobe")
	if err != nil {
		return nil, fmt.Errorf("guest: %v", err)
	}
	args := append([]string{"-C", "/dev/null", "-S", ver, "--show-depends", "-a"}, names...)
	out, err := exec.CommandContext(ctx, mp, args...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("guest: modprobe %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	var mods []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 2 && f[0] == "insmod":
			if !seen[f[1]] {
				seen[f[1]] = true
				mods = append(mods, f[1])
			}
		case len(f) >= 1 && f[0] == "builtin":
		case len(f) > 0:
			return nil, fmt.Errorf("guest: unexpected modprobe --show-depends line %q", sc.Text())
		}
	}
	if len(mods) == 0 {
		return nil, fmt.Errorf("guest: modprobe lists no modules for %s (built in?)", strings.Join(names, " "))
	}
	return mods, nil
}

// readModule returns the module's ELF, decompressed.
func readModule(ctx context.Context, p string) ([]byte, error) {
	switch {
	case strings.HasSuffix(p, ".gz"):
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("guest: %s: %v", p, err)
		}
		return io.ReadAll(zr)
	case strings.HasSuffix(p, ".xz"), strings.HasSuffix(p, ".zst"):
		tool := "xz"
		if strings.HasSuffix(p, ".zst") {
			tool = "zstd"
		}
		out, err := exec.CommandContext(ctx, tool, "-dc", p).Output()
		if err != nil {
			return nil, fmt.Errorf("guest: %s -dc %s: %v", tool, p, err)
		}
		return out, nil
	}
	return os.ReadFile(p)
}

func isDynamic(p string) (bool, error) {
	f, err := elf.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return true, nil
		}
	}
	return false, nil
}

// addDynamic adds a program at dst with every library ldd lists, each at the
// path ldd names (symlinks resolved: the file's contents are stored there).
func addDynamic(ctx context.Context, a *cpioArchive, src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	a.File(dst, 0o755, data)
	dyn, err := isDynamic(src)
	if err != nil {
		return fmt.Errorf("guest: %s: %v", src, err)
	}
	if !dyn {
		return nil
	}
	ldd, err := lookTool("ldd")
	if err != nil {
		return fmt.Errorf("guest: %v", err)
	}
	out, err := exec.CommandContext(ctx, ldd, src).Output()
	if err != nil {
		return fmt.Errorf("guest: ldd %s: %v", src, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		var lib string
		switch {
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			lib = f[2]
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			lib = f[0] // the loader
		default:
			continue // linux-vdso.so.1
		}
		data, err := os.ReadFile(lib)
		if err != nil {
			return fmt.Errorf("guest: %s needs %s: %v", src, lib, err)
		}
		a.File(lib, 0o755, data)
	}
	return nil
}

// initScript is the guest's /init. It loads the modules (for the filesystem
// named in /job/fs), waits for the nvdimm
// region, prints DAXSIM-BOOT on the job channel (the second serial port,
// /dev/ttyS1, kept apart from the kernel console on ttyS0) and runs /job/run.sh
// from the archive appended for this boot, then powers off.
const initScript = `#!/bin/busybox sh
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
dmesg -n 1
stty -F /dev/ttyS1 raw -echo 2>/dev/null
exec >/dev/ttyS1 2>&1 </dev/null
echo "# init: started at $(cut -d' ' -f1 /proc/uptime)"
fs=$(cat /job/fs 2>/dev/null)
[ -f "/etc/daxsim-modules.$fs" ] || fs=ext4
while read m; do
	insmod "$m" 2>/tmp/insmod.err || echo "# insmod $m failed: $(cat /tmp/insmod.err)"
done <"/etc/daxsim-modules.$fs"
echo "# init: modules loaded at $(cut -d' ' -f1 /proc/uptime)"
i=0
while [ ! -e /sys/bus/nd/devices/region0 ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
echo "DAXSIM-BOOT $(cut -d' ' -f1 /proc/uptime)"
if [ -x /job/run.sh ]; then /job/run.sh; else echo "DAXSIM-ERROR no job in the archive"; fi
echo "DAXSIM-HALT"
poweroff -f
`

// extractPVH returns the vmlinux inside a bzImage when it is an ELF with a
// PVH entry point (the Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY, type 18), which
// QEMU boots directly; nil otherwise. The payload is found by its compression
// magic and decompressed with gzip (Go) or the xz / zstd commands.
func extractPVH(ctx context.Context, bz []byte) []byte {
	magics := []struct {
		magic []byte
		tool  string
	}{
		{[]byte{0xfd, '7', 'z', 'X', 'Z', 0}, "xz"},
		{[]byte{0x28, 0xb5, 0x2f, 0xfd}, "zstd"},
		{[]byte{0x1f, 0x8b, 0x08}, "gzip"},
	}
	for _, m := range magics {
		i := bytes.Index(bz, m.magic)
		if i < 0 {
			continue
		}
		var out []byte
		if m.tool == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(bz[i:]))
			if err != nil {
				continue
			}
			zr.Multistream(false)
			out, _ = io.ReadAll(zr)
		} else {
			tool, err := lookTool(m.tool)
			if err != nil {
				continue
			}
			args := []string{"-dc"}
			if m.tool == "xz" {
				args = append(args, "--single-stream")
			}
			cmd := exec.CommandContext(ctx, tool, args...)
			cmd.Stdin = bytes.NewReader(bz[i:])
			out, _ = cmd.Output() // trailing bytes after the stream may make it complain
		}
		if hasPVHNote(out) {
			return out
		}
	}
	return nil
}

func hasPVHNote(data []byte) bool {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		note, err := io.ReadAll(p.Open())
		if err != nil {
			continue
		}
		for len(note) >= 12 {
			bo := f.ByteOrder
			namesz, descsz, typ := bo.Uint32(note), bo.Uint32(note[4:]), bo.Uint32(note[8:])
			off := 12 + int(align4(namesz))
			end := off + int(align4(descsz))
			if end > len(note) || off > len(note) {
				break
			}
			name := strings.TrimRight(string(note[12:12+namesz]), "\x00")
			if name == "Xen" && typ == 18 {
				return true
			}
			note = note[end:]
		}
	}
	return false
}

func align4(n uint32) uint32 { return (n + 3) &^ 3 }
