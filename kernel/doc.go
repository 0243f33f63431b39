// Package kernel is daxsim's real-kernel oracle (issue #9, parts 1-2): it turns
// a scenario into a C program that runs it on a real Linux kernel, and runs such
// programs on a Debian kernel booted under QEMU with an emulated NVDIMM, power
// cuts included.
//
// Repro(scn, ReproOptions) generates the program: one fork()ed child per
// scenario process, one pthread per thread, each statement the system call it
// stands for, printing "THREAD:N RESULT". Statements only unmerged proposals have
// (daxfile, seal, mincore, setflag immutable=, mmap direct) are refused with a
// *scenarios.Error at their position. Reader() is the fixed program that reads
// the files back after a power cut (arguments: ReaderArgs(scn)).
//
// PrepareGuest builds and caches the guest (an initramfs from the installed
// Debian packages, the kernel's vmlinux when it has a PVH entry point); Run
// boots it, formats and caches an NVDIMM image per filesystem, and runs a Job:
// serial programs in one boot, each power-cut program in two boots (run to
// DAXSIM-CUT, SIGKILL of QEMU, reboot on the same backing file, readback).
// ParseOutput, Histogram and ParseReadback read what came back. Run only
// observes: comparing with the model is the caller's job, and a case whose
// ProgramResult.Err is set (timeout, boot or mount failure) is unknown, never a
// pass.
//
// README.md in this directory records the measurements and what the real
// kernel did.
package kernel
