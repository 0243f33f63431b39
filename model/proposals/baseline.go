package proposals

// baseline: Linux 4.14 DAX, the kernel before MAP_SYNC. A DAX write fault
// allocates a zeroed block in the running transaction and installs a writable PTE
// at once; nothing commits that transaction before user space stores through the
// PTE, so data made durable with clwb+sfence can sit in a block that recovery does
// not map (reference/linux-dax.md D.3, the "lost block"). Durability comes only
// from fsync/msync. MAP_SHARED_VALIDATE does not exist (EINVAL), and the MAP_SYNC
// and MAP_DIRECT bits are ignored. The per-inode DAX flag only changes on disk
// (the live flip was disabled in 4.14).
func init() {
	register(&Proposal{
		Name:    "baseline",
		Rank:    1, // its row in SPEC.md section 4
		Source:  "Linux 4.14 DAX",
		Summary: "writable PTE as soon as the block is allocated in the running transaction; durability only via fsync/msync",
		Rules: []string{
			"a DAX write fault allocates a zeroed block in the running transaction and maps it writable at once",
			"fsync/fdatasync/msync write-protect and flush dirty entries, then commit the metadata",
			"mmap: MAP_SHARED_VALIDATE is EINVAL; MAP_SYNC and MAP_DIRECT are ignored",
			"setflag dax= changes FS_XFLAG_DAX on disk only",
		},
		Verdicts: []string{
			"flush-is-durable: violation, store + flush into a hole then a crash before the commit (testdata/scenarios/durability/baseline-flush.scn)",
			"no-lost-block: pass on the same workload: nothing was promised",
		},
	})
}
