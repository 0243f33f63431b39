/* ---- daxsim runtime: the fixed part of every generated program ----
 *
 * Everything below is scenario-independent; the scenario's tables, thread
 * functions and main() follow it. Every helper performs one system call (or
 * CPU access) and prints exactly one result line with one write(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03 /* 4.15, "mm: introduce MAP_SHARED_VALIDATE" */
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000 /* 4.15, "mm: Define MAP_SYNC and VM_SYNC flags" */
#endif
#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000 /* 5.8, "fs/stat: Define DAX statx attribute" */
#endif
#ifndef FS_XFLAG_DAX
#define FS_XFLAG_DAX 0x00008000
#endif

/* EXT4_IOC_MOVE_EXT (fs/ext4/ext4.h, not exported to user headers): swaps the
 * blocks of [orig_start, orig_start+len) of the ioctl's file with the donor's
 * after copying the data into the donor's blocks (online defragmentation,
 * e4defrag). 6.1 fs/ext4/move_extent.c refuses DAX inodes with EOPNOTSUPP
 * (73f34a5e2ced "ext4: online defrag not supported with DAX"). */
struct dx_move_extent {
	uint32_t reserved; /* must be zero */
	uint32_t donor_fd; /* donor file descriptor, opened for write */
	uint64_t orig_start; /* logical start offset in blocks */
	uint64_t donor_start; /* logical start offset in blocks */
	uint64_t len; /* block length to be moved */
	uint64_t moved_len; /* moved block length (out) */
};
#define DX_EXT4_IOC_MOVE_EXT _IOWR('f', 15, struct dx_move_extent)

#define DX_MAXFILES 8
#define DX_MAXDIRS 8
#define DX_MAXTHREADS 9 /* the scenario's threads, the setup block included */
#define DX_MAXSTMTS 32 /* statements per thread (model.MaxStmts) */

/*@ENCODING@*/

/* ---- output: one write(2) per line, so lines of concurrent threads and
 * processes never mix (a write of less than PIPE_BUF bytes to a pipe is
 * atomic; a tty write holds the tty's write lock for the whole buffer). ---- */
DX_FN void dx_emit(const char *s)
{
	size_t n = strlen(s);
	while (n > 0) {
		ssize_t r = write(1, s, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		s += r;
		n -= (size_t)r;
	}
}

DX_FN void dx_linef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
DX_FN void dx_linef(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	dx_emit(buf);
}

/* errno names by table (strerror is locale text, not a name). */
DX_FN const char *dx_errname(int e)
{
	static __thread char other[32];
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case ENOEXEC: return "ENOEXEC";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EXDEV: return "EXDEV";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case ETXTBSY: return "ETXTBSY";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case EROFS: return "EROFS";
	case EMLINK: return "EMLINK";
	case EPIPE: return "EPIPE";
	case ERANGE: return "ERANGE";
	case EDEADLK: return "EDEADLK";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOLCK: return "ENOLCK";
	case ENOSYS: return "ENOSYS";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ELOOP: return "ELOOP";
	case ENODATA: return "ENODATA";
	case EOVERFLOW: return "EOVERFLOW";
	case EOPNOTSUPP: return "EOPNOTSUPP"; /* == ENOTSUP on Linux */
	case ETIMEDOUT: return "ETIMEDOUT";
	case ESTALE: return "ESTALE";
	case EDQUOT: return "EDQUOT";
	case EUCLEAN: return "EUCLEAN";
	case EHWPOISON: return "EHWPOISON";
	}
	snprintf(other, sizeof other, "errno=%d", e);
	return other;
}

DX_FN const char *dx_signame(int sig)
{
	static __thread char other[32];
	switch (sig) {
	case SIGBUS: return "SIGBUS";
	case SIGSEGV: return "SIGSEGV";
	}
	snprintf(other, sizeof other, "signal=%d", sig);
	return other;
}

DX_FN void dx_result(const char *th, int n, const char *res)
{
	dx_linef("%s:%d %s\n", th, n, res);
}

/* dx_ret prints ok for r >= 0, else the errno name of e. */
DX_FN void dx_ret(const char *th, int n, long r, int e)
{
	dx_result(th, n, r < 0 ? dx_errname(e) : "ok");
}

/* ---- SIGBUS / SIGSEGV, caught per thread ----
 * Every access through a mapping runs between sigsetjmp and the disarm: a
 * fault the kernel answers with a signal (VM_FAULT_SIGBUS, a SIGSEGV on an
 * unmapped address) jumps back, the access is abandoned, and the statement's
 * result is the signal's name. Outside an access the default action runs. */
static __thread sigjmp_buf dx_jb;
static __thread volatile sig_atomic_t dx_armed;

DX_FN void dx_onsignal(int sig)
{
	if (dx_armed) {
		dx_armed = 0;
		siglongjmp(dx_jb, sig);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

DX_FN void dx_catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = dx_onsignal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

/* ---- the state shared by every process: a MAP_SHARED|MAP_ANONYMOUS page
 * created before fork(), so turns and file locations work across processes ---- */
struct dx_shared {
	int turn; /* witness/serial: the position in the order that may run */
	int arrived; /* concurrent: threads at the start barrier */
	int loc[DX_MAXFILES]; /* the directory a file is in now: dir index + 1, 0 = the root */
	/* concurrent: done[t][n] is 1 once statement n (0-based) of thread t has
	 * returned, for the "after T:N" clauses of other threads */
	int done[DX_MAXTHREADS][DX_MAXSTMTS];
};
static struct dx_shared *dx_sh;
static const char *dx_root; /* the directory every file lives in */
static const char *const *dx_file_names;
static const char *const *dx_dir_names;

DX_FN long dx_futex(int *addr, int op, int val)
{
	/* futex(2) on a MAP_SHARED page: not FUTEX_PRIVATE_FLAG, the waiters
	 * are in different processes. */
	return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

/* dx_wait_turn blocks until the turn counter reaches pos (FUTEX_WAIT sleeps
 * only while the counter still holds the value read, so no wake is lost). */
DX_FN void dx_wait_turn(int pos)
{
	for (;;) {
		int t = __atomic_load_n(&dx_sh->turn, __ATOMIC_ACQUIRE);
		if (t == pos)
			return;
		dx_futex(&dx_sh->turn, FUTEX_WAIT, t);
	}
}

DX_FN void dx_next_turn(int pos)
{
	__atomic_store_n(&dx_sh->turn, pos + 1, __ATOMIC_RELEASE);
	dx_futex(&dx_sh->turn, FUTEX_WAKE, INT_MAX);
}

/* dx_barrier: every thread of every process spins (yielding) until all
 * total have arrived, then all run at once. */
DX_FN void dx_barrier(int total)
{
	__atomic_add_fetch(&dx_sh->arrived, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&dx_sh->arrived, __ATOMIC_ACQUIRE) < total)
		sched_yield();
}

/* dx_wait_done blocks until statement n (0-based) of thread t has returned
 * (an "after T:N" clause under the concurrent schedule). */
DX_FN void dx_wait_done(int t, int n)
{
	while (__atomic_load_n(&dx_sh->done[t][n], __ATOMIC_ACQUIRE) == 0)
		dx_futex(&dx_sh->done[t][n], FUTEX_WAIT, 0);
}

/* dx_mark_done records that statement n of thread t has returned and wakes
 * the statements waiting for it. */
DX_FN void dx_mark_done(int t, int n)
{
	__atomic_store_n(&dx_sh->done[t][n], 1, __ATOMIC_RELEASE);
	dx_futex(&dx_sh->done[t][n], FUTEX_WAKE, INT_MAX);
}

/* dx_cut: the crash point. Nothing is synced: the marker tells the host to
 * kill the machine now (power failure); until then the program blocks. */
DX_FN void dx_cut(void) __attribute__((noreturn));
DX_FN void dx_cut(void)
{
	dx_emit("DAXSIM-CUT\n");
	for (;;)
		pause();
}

/* dx_path returns the path of file i where it is now (rename(2) moves it). */
DX_FN const char *dx_path(int i)
{
	static __thread char buf[PATH_MAX];
	int d = __atomic_load_n(&dx_sh->loc[i], __ATOMIC_ACQUIRE);
	if (d > 0)
		snprintf(buf, sizeof buf, "%s/%s/%s", dx_root, dx_dir_names[d - 1], dx_file_names[i]);
	else
		snprintf(buf, sizeof buf, "%s/%s", dx_root, dx_file_names[i]);
	return buf;
}

/* ---- mappings ---- */
struct dx_map {
	unsigned char *p; /* NULL: never mapped, mmap failed, or unmapped */
	size_t len;
	int lo; /* the first file page mapped */
};

/* dx_addr is the address of file page pg in m. When m holds no mapping the
 * address lies in the first pages of the address space, below mmap_min_addr,
 * so an access gets SIGSEGV as a use of a dead mapping would. */
DX_FN volatile unsigned char *dx_addr(const struct dx_map *m, int pg)
{
	uintptr_t off = (uintptr_t)(pg - m->lo) * DX_PAGE;
	return (volatile unsigned char *)((m->p ? (uintptr_t)m->p : 0) + off);
}

/* ---- the statements ---- */

/* open FILE ro|rw [sync|dsync] as FD: open(2). */
DX_FN int dx_open(const char *th, int n, int file, int flags)
{
	int fd = open(dx_path(file), flags);
	dx_ret(th, n, fd, errno);
	return fd < 0 ? -1 : fd;
}

/* open DIR ro as FD: open(2) of a directory, O_RDONLY|O_DIRECTORY (its
 * descriptor takes close, setflag dax= and statx). */
DX_FN int dx_open_dir(const char *th, int n, int dir)
{
	char path[PATH_MAX];
	int fd;
	snprintf(path, sizeof path, "%s/%s", dx_root, dx_dir_names[dir]);
	fd = open(path, O_RDONLY | O_DIRECTORY);
	dx_ret(th, n, fd, errno);
	return fd < 0 ? -1 : fd;
}

/* create FILE as FD: open(2) with O_CREAT|O_EXCL|O_RDWR, mode 0666 (the
 * umask is 0: every process's uid may open it). The new inode takes
 * FS_XFLAG_DAX from its directory (ext4_inherit_flags, xfs_inode_inherit_flags). */
DX_FN int dx_create(const char *th, int n, int file)
{
	int fd = open(dx_path(file), O_RDWR | O_CREAT | O_EXCL, 0666);
	dx_ret(th, n, fd, errno);
	return fd < 0 ? -1 : fd;
}

/* unlink FILE: unlink(2) of the file where it is now. */
DX_FN void dx_unlink(const char *th, int n, int file)
{
	int r = unlink(dx_path(file));
	dx_ret(th, n, r, errno);
}

/* close FD: close(2). The descriptor is gone afterwards whatever close
 * returns (except EBADF), so later uses of FD get EBADF and never reach a
 * descriptor number that a later open reused. */
DX_FN int dx_close(const char *th, int n, int fd)
{
	int r = close(fd);
	dx_ret(th, n, r, errno);
	return -1;
}

/* mmap FD PAGES FLAGS ro|rw as MAP: mmap(2) of the pages. */
DX_FN void dx_mmap(const char *th, int n, struct dx_map *m, int fd, int lo, int hi, int prot, int flags)
{
	size_t len = (size_t)(hi - lo + 1) * DX_PAGE;
	void *p = mmap(NULL, len, prot, flags, fd, (off_t)lo * DX_PAGE);
	int e = errno;
	m->lo = lo;
	m->len = len;
	m->p = p == MAP_FAILED ? NULL : p;
	dx_ret(th, n, p == MAP_FAILED ? -1 : 0, e);
}

/* munmap MAP: munmap(2). */
DX_FN void dx_munmap(const char *th, int n, struct dx_map *m)
{
	int r = m->p ? munmap(m->p, m->len) : 0;
	int e = errno;
	if (r == 0)
		m->p = NULL;
	dx_ret(th, n, r, e);
}

/* load MAP PAGE: a CPU read of the page's first cache line through the
 * mapping (a read fault if no PTE maps it). */
DX_FN void dx_load(const char *th, int n, const struct dx_map *m, int pg)
{
	volatile uint64_t *a = (volatile uint64_t *)dx_addr(m, pg);
	uint64_t v[DX_LINE / 8];
	char out[2 + 2 * DX_LINE + 1];
	int sig, i;
	if ((sig = sigsetjmp(dx_jb, 1)) != 0) {
		dx_result(th, n, dx_signame(sig));
		return;
	}
	dx_armed = 1;
	for (i = 0; i < DX_LINE / 8; i++)
		v[i] = a[i];
	dx_armed = 0;
	dx_decode((const unsigned char *)v, out);
	dx_result(th, n, out);
}

/* store MAP PAGE VALUE: CPU stores of the encoded value into the page's
 * first cache line through the mapping (a write fault, or ->page_mkwrite /
 * ->pfn_mkwrite on a read-only PTE, happens at the first store). */
DX_FN void dx_store(const char *th, int n, const struct dx_map *m, int pg, const char *tok)
{
	volatile uint64_t *a = (volatile uint64_t *)dx_addr(m, pg);
	uint64_t v[DX_LINE / 8];
	int sig, i;
	dx_encode(tok, (unsigned char *)v);
	if ((sig = sigsetjmp(dx_jb, 1)) != 0) {
		dx_result(th, n, dx_signame(sig));
		return;
	}
	dx_armed = 1;
	for (i = 0; i < DX_LINE / 8; i++)
		a[i] = v[i];
	dx_armed = 0;
	dx_result(th, n, "ok");
}

/* flush MAP PAGE: clflush of the page's first cache line (the one a store
 * writes), then sfence: libpmem's persist of that line. clflush rather than
 * clwb: QEMU's TCG implements clflush, and both write the line back.
 * The hardware checks CLFLUSH's address as it checks a load's (SDM: "treated
 * as a load for permission checking"): an unmapped address faults (SIGSEGV),
 * a PTE not present takes a read fault. QEMU's TCG does no check at all (a
 * clflush of address 0 returns), so a one-byte load of the line comes first:
 * it faults exactly where the hardware's clflush would. */
DX_FN void dx_flush(const char *th, int n, const struct dx_map *m, int pg)
{
	volatile unsigned char *a = dx_addr(m, pg);
	int sig;
	if ((sig = sigsetjmp(dx_jb, 1)) != 0) {
		dx_result(th, n, dx_signame(sig));
		return;
	}
	dx_armed = 1;
	(void)*a; /* the load-like access check of CLFLUSH (see above) */
	__asm__ volatile("clflush %0" : "+m"(*a));
	__asm__ volatile("sfence" ::: "memory");
	dx_armed = 0;
	dx_result(th, n, "ok");
}

/* msync MAP [PAGES] sync|async|invalidate: msync(2) of those file pages of
 * the mapping (default: all of it) with MS_SYNC / MS_ASYNC / MS_INVALIDATE.
 * MS_SYNC of a shared file mapping runs vfs_fsync_range (on DAX:
 * dax_writeback_mapping_range and the filesystem's sync); MS_ASYNC does
 * nothing since 2.6.19. A range that is not mapped is ENOMEM. */
DX_FN void dx_msync(const char *th, int n, const struct dx_map *m, int lo, int hi, int flags)
{
	void *a = (void *)dx_addr(m, lo);
	int r = msync(a, (size_t)(hi - lo + 1) * DX_PAGE, flags);
	dx_ret(th, n, r, errno);
}

/* fsync FD / fdatasync FD. */
DX_FN void dx_fsync(const char *th, int n, int fd, int data)
{
	int r = data ? fdatasync(fd) : fsync(fd);
	dx_ret(th, n, r, errno);
}

/* read FD PAGE: pread(2) of the whole page; its first line is decoded. A
 * short read (end of file) reads the missing bytes as zero: past EOF reads 0. */
DX_FN void dx_read(const char *th, int n, int fd, int pg)
{
	static __thread unsigned char buf[DX_PAGE];
	char out[2 + 2 * DX_LINE + 1];
	ssize_t r;
	memset(buf, 0, sizeof buf);
	r = pread(fd, buf, DX_PAGE, (off_t)pg * DX_PAGE);
	if (r < 0) {
		dx_result(th, n, dx_errname(errno));
		return;
	}
	dx_decode(buf, out);
	dx_result(th, n, out);
}

/* dx_pwrite_result: ok for a whole page, the errno name, or "short:N" (not a
 * result of the scenario language: the model has no partial writes). */
DX_FN void dx_pwrite_result(const char *th, int n, ssize_t r, int e)
{
	char buf[32];
	if (r < 0) {
		dx_result(th, n, dx_errname(e));
		return;
	}
	if (r == DX_PAGE) {
		dx_result(th, n, "ok");
		return;
	}
	snprintf(buf, sizeof buf, "short:%zd", r);
	dx_result(th, n, buf);
}

/* write FD PAGE VALUE: pwrite(2) of a page holding the encoded value. */
DX_FN void dx_write(const char *th, int n, int fd, int pg, const char *tok)
{
	static __thread unsigned char buf[DX_PAGE];
	ssize_t r;
	memset(buf, 0, sizeof buf);
	dx_encode(tok, buf);
	r = pwrite(fd, buf, DX_PAGE, (off_t)pg * DX_PAGE);
	dx_pwrite_result(th, n, r, errno);
}

/* write FD PAGE from MAP PAGE2: pwrite(2) whose user buffer is page PAGE2 of
 * the mapping (copy_from_user faults on it inside the write: an error there
 * is EFAULT or a short write, not a signal). */
DX_FN void dx_write_from(const char *th, int n, int fd, int pg, const struct dx_map *m, int pg2)
{
	const void *src = (const void *)dx_addr(m, pg2);
	ssize_t r;
	int sig;
	if ((sig = sigsetjmp(dx_jb, 1)) != 0) {
		dx_result(th, n, dx_signame(sig));
		return;
	}
	dx_armed = 1;
	r = pwrite(fd, src, DX_PAGE, (off_t)pg * DX_PAGE);
	dx_armed = 0;
	dx_pwrite_result(th, n, r, errno);
}

/* truncate FD PAGES: ftruncate(2) to PAGES pages. */
DX_FN void dx_truncate(const char *th, int n, int fd, int pages)
{
	int r = ftruncate(fd, (off_t)pages * DX_PAGE);
	dx_ret(th, n, r, errno);
}

/* punch FD PAGES: fallocate(FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE);
 * fallocate FD PAGES: fallocate(mode 0), which may extend the size. */
DX_FN void dx_fallocate(const char *th, int n, int fd, int mode, int lo, int hi)
{
	int r = fallocate(fd, mode, (off_t)lo * DX_PAGE, (off_t)(hi - lo + 1) * DX_PAGE);
	dx_ret(th, n, r, errno);
}

/* reflink FD PAGE FD2 PAGE2: ioctl(FD2, FICLONERANGE) sharing FD's block of
 * PAGE at PAGE2 of FD2 (vfs_clone_file_range; ext4 has no ->remap_file_range). */
DX_FN void dx_reflink(const char *th, int n, int src, int pg, int dst, int pg2)
{
	struct file_clone_range r;
	int ret;
	memset(&r, 0, sizeof r);
	r.src_fd = src;
	r.src_offset = (uint64_t)pg * DX_PAGE;
	r.src_length = DX_PAGE;
	r.dest_offset = (uint64_t)pg2 * DX_PAGE;
	ret = ioctl(dst, FICLONERANGE, &r);
	dx_ret(th, n, ret, errno);
}

/* defrag FD PAGE (ext4): EXT4_IOC_MOVE_EXT of one block with a donor file
 * made in setup. The donor is opened for writing here (the ioctl wants
 * FMODE_WRITE on it and FMODE_READ|FMODE_WRITE on FD); that open and close
 * are not part of the result unless the open fails. */
DX_FN void dx_defrag(const char *th, int n, int fd, int pg, const char *donor)
{
	struct dx_move_extent me;
	char path[PATH_MAX];
	int dfd, r, e;
	snprintf(path, sizeof path, "%s/%s", dx_root, donor);
	dfd = open(path, O_WRONLY);
	if (dfd < 0) {
		dx_linef("# %s:%d: open donor %s: %s\n", th, n, path, dx_errname(errno));
		dx_result(th, n, "donor-error");
		return;
	}
	memset(&me, 0, sizeof me);
	me.donor_fd = (uint32_t)dfd;
	me.orig_start = (uint64_t)pg;
	me.donor_start = (uint64_t)pg;
	me.len = 1;
	r = ioctl(fd, DX_EXT4_IOC_MOVE_EXT, &me);
	e = errno;
	close(dfd);
	dx_ret(th, n, r, e);
}

/* setflag FD dax=on|off: FS_IOC_FSGETXATTR, change FS_XFLAG_DAX,
 * FS_IOC_FSSETXATTR (5.8+: the on-disk flag; S_DAX follows when the inode is
 * next instantiated, which d_mark_dontcache arranges at the last close). */
DX_FN void dx_setflag(const char *th, int n, int fd, int on)
{
	struct fsxattr fa;
	int r;
	memset(&fa, 0, sizeof fa);
	r = ioctl(fd, FS_IOC_FSGETXATTR, &fa);
	if (r < 0) {
		dx_result(th, n, dx_errname(errno));
		return;
	}
	if (on)
		fa.fsx_xflags |= FS_XFLAG_DAX;
	else
		fa.fsx_xflags &= ~(uint32_t)FS_XFLAG_DAX;
	r = ioctl(fd, FS_IOC_FSSETXATTR, &fa);
	dx_ret(th, n, r, errno);
}

/* statx FD: statx(2) with AT_EMPTY_PATH; STATX_ATTR_DAX is the in-core S_DAX
 * (IS_DAX) at this moment. */
DX_FN void dx_statx(const char *th, int n, int fd)
{
	struct statx st;
	int r;
	memset(&st, 0, sizeof st);
	r = statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &st);
	if (r < 0) {
		dx_result(th, n, dx_errname(errno));
		return;
	}
	dx_result(th, n, (st.stx_attributes & STATX_ATTR_DAX) ? "dax" : "nodax");
}

/* rename FILE DIR: rename(2) of the file, wherever it is now, into DIR. */
DX_FN void dx_rename(const char *th, int n, int file, int dir)
{
	char from[PATH_MAX], to[PATH_MAX];
	int r;
	snprintf(from, sizeof from, "%s", dx_path(file));
	snprintf(to, sizeof to, "%s/%s/%s", dx_root, dx_dir_names[dir], dx_file_names[file]);
	r = rename(from, to);
	if (r == 0)
		__atomic_store_n(&dx_sh->loc[file], dir + 1, __ATOMIC_RELEASE);
	dx_ret(th, n, r, errno);
}

/* ---- evict FILE ----
 * The closest real equivalent of "memory pressure evicts the inode if it is
 * unreferenced": writing 2 to /proc/sys/vm/drop_caches, which prunes every
 * unused dentry and inode of every filesystem (not only FILE's) and never
 * fails because FILE is in use (an in-use inode just stays). The sysctl is
 * root's only (mode 0200, checked at write time), so a root helper process
 * forked before the scenario's processes drop their uids does the write; a
 * thread asks through a pipe and waits for the helper's errno. */
static int dx_evict_req[2] = { -1, -1 };
static int dx_evict_rep[DX_MAXTHREADS][2];
static pid_t dx_evict_pid;

DX_FN int dx_drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY), e = 0;
	if (fd < 0)
		return errno;
	if (write(fd, "2", 1) != 1)
		e = errno;
	close(fd);
	return e;
}

DX_FN void dx_evict_start(int nthreads)
{
	int i;
	if (pipe(dx_evict_req) < 0)
		goto fail;
	for (i = 0; i < nthreads; i++)
		if (pipe(dx_evict_rep[i]) < 0)
			goto fail;
	dx_evict_pid = fork();
	if (dx_evict_pid < 0)
		goto fail;
	if (dx_evict_pid == 0) {
		unsigned char t;
		close(dx_evict_req[1]);
		while (read(dx_evict_req[0], &t, 1) == 1) {
			int e = dx_drop_caches();
			if (t < nthreads && write(dx_evict_rep[t][1], &e, sizeof e) < 0)
				_exit(1);
		}
		_exit(0);
	}
	close(dx_evict_req[0]);
	return;
fail:
	dx_linef("# fatal: evict helper: %s\n", dx_errname(errno));
	exit(3);
}

DX_FN void dx_evict(const char *th, int n, int tidx)
{
	unsigned char t = (unsigned char)tidx;
	int e = EIO;
	if (write(dx_evict_req[1], &t, 1) != 1 || read(dx_evict_rep[tidx][0], &e, sizeof e) != sizeof e)
		e = errno;
	dx_ret(th, n, e ? -1 : 0, e);
}

DX_FN void dx_evict_stop(void)
{
	if (dx_evict_pid > 0) {
		close(dx_evict_req[1]);
		waitpid(dx_evict_pid, NULL, 0);
	}
}

/* ---- setup (before any thread runs; a failure ends the program, exit 3) ---- */
DX_FN void dx_fatal(const char *what, const char *path, int e)
{
	dx_linef("DAXSIM-SETUP-ERROR %s %s %s\n", what, path, dx_errname(e));
	exit(3);
}

DX_FN int dx_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	if (remove(path) < 0)
		dx_fatal("remove", path, errno);
	return 0;
}

/* dx_fresh_root deletes the run directory and makes it again, empty. */
DX_FN void dx_fresh_root(void)
{
	struct stat st;
	if (lstat(dx_root, &st) == 0 && nftw(dx_root, dx_rm, 16, FTW_DEPTH | FTW_PHYS) != 0)
		dx_fatal("nftw", dx_root, errno);
	if (mkdir(dx_root, 0777) < 0)
		dx_fatal("mkdir", dx_root, errno);
	if (chmod(dx_root, 0777) < 0) /* the umask left out, for the uids of the processes */
		dx_fatal("chmod", dx_root, errno);
}

/* dx_set_daxflag sets or clears FS_XFLAG_DAX (a child of a dax=on directory
 * inherits the flag at creation, so dax=off may have to clear it). */
DX_FN void dx_set_daxflag(int fd, const char *path, int on)
{
	struct fsxattr fa;
	uint32_t want;
	memset(&fa, 0, sizeof fa);
	if (ioctl(fd, FS_IOC_FSGETXATTR, &fa) < 0)
		dx_fatal("FS_IOC_FSGETXATTR", path, errno);
	want = on ? (fa.fsx_xflags | FS_XFLAG_DAX) : (fa.fsx_xflags & ~(uint32_t)FS_XFLAG_DAX);
	if (want == fa.fsx_xflags)
		return;
	fa.fsx_xflags = want;
	if (ioctl(fd, FS_IOC_FSSETXATTR, &fa) < 0)
		dx_fatal("FS_IOC_FSSETXATTR", path, errno);
}

/* dir NAME dax=on|off: mkdir(2), FS_XFLAG_DAX. */
DX_FN void dx_setup_dir(int d, int dax)
{
	char path[PATH_MAX];
	int fd;
	snprintf(path, sizeof path, "%s/%s", dx_root, dx_dir_names[d]);
	if (mkdir(path, 0777) < 0 || chmod(path, 0777) < 0)
		dx_fatal("mkdir", path, errno);
	fd = open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		dx_fatal("open", path, errno);
	dx_set_daxflag(fd, path, dax);
	if (fsync(fd) < 0)
		dx_fatal("fsync", path, errno);
	close(fd);
}

DX_FN void dx_write_zero_page(int fd, const char *path, int pg)
{
	static unsigned char zero[DX_PAGE];
	if (pwrite(fd, zero, DX_PAGE, (off_t)pg * DX_PAGE) != DX_PAGE)
		dx_fatal("pwrite", path, errno ? errno : EIO);
}

/* file NAME pages=N dax=on|off extents=K,...: creat, FS_XFLAG_DAX, then per
 * page ('w' written: a durable write of zeros; 'u' unwritten: fallocate;
 * 'h' hole: nothing; 's' shared: FICLONERANGE from a scratch file that keeps
 * the other reference), ftruncate to N pages, fsync. */
DX_FN void dx_setup_file(int i, int pages, int dax, const char *extents)
{
	char path[PATH_MAX], scratch[PATH_MAX];
	int fd, sfd = -1, pg;
	snprintf(path, sizeof path, "%s", dx_path(i));
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0666);
	if (fd < 0)
		dx_fatal("create", path, errno);
	if (fchmod(fd, 0666) < 0)
		dx_fatal("fchmod", path, errno);
	dx_set_daxflag(fd, path, dax);
	for (pg = 0; pg < pages; pg++) {
		switch (extents[pg]) {
		case 'w':
			dx_write_zero_page(fd, path, pg);
			break;
		case 'u':
			if (fallocate(fd, 0, (off_t)pg * DX_PAGE, DX_PAGE) < 0)
				dx_fatal("fallocate", path, errno);
			break;
		case 's': {
			struct file_clone_range r;
			if (sfd < 0) {
				snprintf(scratch, sizeof scratch, "%s/.daxsim-shared-%s", dx_root, dx_file_names[i]);
				sfd = open(scratch, O_RDWR | O_CREAT | O_EXCL, 0666);
				if (sfd < 0)
					dx_fatal("create", scratch, errno);
			}
			dx_write_zero_page(sfd, scratch, pg);
			if (fsync(sfd) < 0)
				dx_fatal("fsync", scratch, errno);
			memset(&r, 0, sizeof r);
			r.src_fd = sfd;
			r.src_offset = (uint64_t)pg * DX_PAGE;
			r.src_length = DX_PAGE;
			r.dest_offset = (uint64_t)pg * DX_PAGE;
			if (ioctl(fd, FICLONERANGE, &r) < 0)
				dx_fatal("FICLONERANGE", path, errno);
			break;
		}
		default: /* 'h': a hole */
			break;
		}
	}
	if (ftruncate(fd, (off_t)pages * DX_PAGE) < 0)
		dx_fatal("ftruncate", path, errno);
	if (fsync(fd) < 0)
		dx_fatal("fsync", path, errno);
	if (sfd >= 0)
		close(sfd);
	close(fd);
}

/* dx_setup_donor makes a donor file for EXT4_IOC_MOVE_EXT: pages written
 * pages, no DAX flag. */
DX_FN void dx_setup_donor(const char *name, int pages)
{
	char path[PATH_MAX];
	int fd, pg;
	snprintf(path, sizeof path, "%s/%s", dx_root, name);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0666);
	if (fd < 0)
		dx_fatal("create", path, errno);
	if (fchmod(fd, 0666) < 0) /* any process's uid opens it for writing */
		dx_fatal("fchmod", path, errno);
	dx_set_daxflag(fd, path, 0);
	for (pg = 0; pg < pages; pg++)
		dx_write_zero_page(fd, path, pg);
	if (fsync(fd) < 0)
		dx_fatal("fsync", path, errno);
	close(fd);
}

/* dx_locate, after a power cut: file i is in the first of the candidate
 * directories (dir index + 1, 0 = the root; the list ends with -1) that holds
 * it, else in the first. */
DX_FN void dx_locate(int i, const int *cands)
{
	int k;
	__atomic_store_n(&dx_sh->loc[i], cands[0], __ATOMIC_RELEASE);
	for (k = 0; cands[k] >= 0; k++) {
		struct stat st;
		__atomic_store_n(&dx_sh->loc[i], cands[k], __ATOMIC_RELEASE);
		if (stat(dx_path(i), &st) == 0)
			return;
	}
	__atomic_store_n(&dx_sh->loc[i], cands[0], __ATOMIC_RELEASE);
}

/* dx_setup_done makes the setup durable (syncfs(2)) and drops the inode
 * cache, every setup descriptor being closed, so that each file's S_DAX is
 * computed from its flag at the next open under dax=inode. */
DX_FN void dx_setup_done(void)
{
	int fd = open(dx_root, O_RDONLY | O_DIRECTORY), e;
	if (fd < 0)
		dx_fatal("open", dx_root, errno);
	if (fsync(fd) < 0 || syncfs(fd) < 0)
		dx_fatal("syncfs", dx_root, errno);
	close(fd);
	if ((e = dx_drop_caches()) != 0)
		dx_linef("# warning: drop_caches: %s (S_DAX may not follow FS_XFLAG_DAX yet)\n", dx_errname(e));
}

/* dx_become drops root for a scenario process: setgroups, setresgid, setresuid
 * (gid = uid; a non-zero uid has no capabilities after setresuid). */
DX_FN void dx_become(const char *proc, unsigned uid)
{
	if (uid == 0)
		return;
	if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0) {
		dx_linef("# fatal: process %s: cannot become uid %u: %s\n", proc, uid, dx_errname(errno));
		_exit(3);
	}
}

DX_FN void dx_start_thread(pthread_t *t, void *(*fn)(void *), const char *name)
{
	int e = pthread_create(t, NULL, fn, NULL);
	if (e != 0) {
		dx_linef("# fatal: pthread_create %s: %s\n", name, dx_errname(e));
		_exit(3);
	}
}

/* dx_wait_procs waits for the scenario's processes and reports any that did
 * not exit with 0 (a signal outside an access, a failed setup of the child). */
DX_FN int dx_wait_procs(const pid_t *pids, const char *const *names, int n)
{
	int i, bad = 0;
	for (i = 0; i < n; i++) {
		int st = 0;
		if (waitpid(pids[i], &st, 0) < 0) {
			dx_linef("# process %s: waitpid: %s\n", names[i], dx_errname(errno));
			bad = 1;
		} else if (WIFSIGNALED(st)) {
			dx_linef("# process %s: killed by %s\n", names[i], dx_signame(WTERMSIG(st)));
			bad = 1;
		} else if (WEXITSTATUS(st) != 0) {
			dx_linef("# process %s: exit %d\n", names[i], WEXITSTATUS(st));
			bad = 1;
		}
	}
	return bad;
}

DX_FN void *dx_shared_page(void)
{
	void *p = mmap(NULL, DX_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		dx_linef("# fatal: mmap shared page: %s\n", dx_errname(errno));
		exit(3);
	}
	return p;
}
/* ---- end of the daxsim runtime ---- */
