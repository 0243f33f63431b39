// Package kernel is daxsim's real-kernel oracle (issue #9): it turns a
// scenario into a C program that runs it on a real Linux kernel, runs such
// programs on a Debian kernel booted under QEMU with an emulated NVDIMM, power
// cuts included, and judges what the kernel showed against the linux model
// (Diff, 'daxsim kernel').
//
// Repro(scn, ReproOptions) generates the program: one fork()ed child per
// scenario process, one pthread per thread, each statement the system call it
// stands for, printing "THREAD:N RESULT". Statements only unmerged proposals have
// (daxfile, seal, mincore, setflag immutable=, mmap direct) are refused with a
// *scenarios.Error at their position. Order(scn, witness) is the total order of
// the serial and witness schedules (after clauses respected). Reader() is the
// fixed program that reads the files back after a power cut (arguments:
// ReaderArgs(scn)); AfterCrashProgram(scn, fs) runs the scenario's after-crash
// block there.
//
// PrepareGuest builds and caches the guest (an initramfs from the installed
// Debian packages, the kernel's vmlinux when it has a PVH entry point); Run
// boots it, formats and caches an NVDIMM image per filesystem, and runs a Job:
// serial programs in one boot, then each power-cut program to DAXSIM-CUT,
// SIGKILL of QEMU, and in the next boot on the same backing file the recovery
// mount, the readback and the next power-cut program (n cuts, n+1 boots).
// ParseOutput, Histogram and ParseReadback read what came back. Run only
// observes: comparing with the model is the caller's job, and a case whose
// ProgramResult.Err is set (timeout, boot or mount failure) is unknown, never a
// pass.
//
// Diff(ctx, files, DiffOptions) is the comparison: it builds the linux model
// for each file (same filesystem and mount, serial order via Serialize, a
// journal that commits on its own, no mutants), runs the programs grouped by
// filesystem and mount, and judges serial tuples (sim.Outcomes), crash images
// (sim.CrashImages), the after-crash block (model.Kernel.AfterCrash) and the
// outcome sets of concurrent runs. KernelCommand is 'daxsim kernel'.
//
// README.md in this directory records the measurements and what the real
// kernel did.
package kernel
