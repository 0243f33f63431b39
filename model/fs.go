package model

// FS is a filesystem: what the shared kernel paths ask of ext4 or XFS. Paths
// consult its fields; they never compare filesystem names.
type FS struct {
	Name string
	// FaultHandle: a shared write fault holds a journal handle across the DAX
	// fault (ext4_dax_huge_fault starts one with ext4_journal_start_sb before
	// dax_iomap_fault, reference/linux-dax.md B.2); XFS allocates in a
	// transaction of its own inside ->iomap_begin.
	FaultHandle bool
	// DefragDAX: online defrag works on a DAX inode (ext4 refuses it:
	// 73f34a5e2ced "ext4: online defrag not supported with DAX").
	DefragDAX bool
	// DefragDirtyBusy: online defrag of a page that is dirty in the page
	// cache fails with EBUSY (ext4: move_extent_per_page copies the data and
	// must drop the page's buffers, which filemap_release_folio cannot do
	// while the page is dirty); XFS_IOC_SWAPEXT writes the file back first.
	DefragDirtyBusy bool
	// Reflink: the filesystem can share blocks between files (XFS; ext4 has no
	// reflink). Before 5.19 XFS refused to share the blocks of a DAX inode
	// (xfs_reflink_remap_prep: "Don't share DAX file data for now").
	Reflink bool
	// Fn names the filesystem's own functions in counterexamples, by what
	// they do ("commit", "truncate"...): ext4's jbd2 and XFS's log differ.
	Fn map[string]string
	// Classes names the journal's lock classes: a handle (jbd2_handle, an
	// XFS transaction) and the commit waited for.
	Classes [2]string
}

func (f *FS) String() string { return f.Name }

// The filesystems.
var (
	Ext4 = &FS{Name: "ext4", FaultHandle: true, DefragDirtyBusy: true, Classes: [2]string{"jbd2_handle", "jbd2_commit"}, Fn: map[string]string{
		"commit-lock":   "kjournald2: lock the running transaction (T_LOCKED)",
		"commit":        "jbd2_journal_commit_transaction: wait for handles, write log and commit record",
		"sync-commit":   "ext4_sync_file: commit needed?",
		"commit-wait":   "jbd2_log_wait_commit",
		"truncate":      "ext4_truncate / ext4_punch_hole: free blocks, i_size (transaction)",
		"fallocate":     "ext4_alloc_file_blocks: unwritten extents (transaction)",
		"enospc-commit": "ENOSPC: jbd2_journal_force_commit_nested, retry the allocation",
		"defrag":        "EXT4_IOC_MOVE_EXT",
	}}
	XFS = &FS{Name: "xfs", DefragDAX: true, Reflink: true, Classes: [2]string{"xfs_trans", "xfs_log_force"}, Fn: map[string]string{
		"commit-lock":   "xlog_cil_push_work: lock the CIL context (xc_ctx_lock)",
		"commit":        "xlog_cil_push_work: wait for transactions, write the checkpoint and its commit record",
		"sync-commit":   "xfs_file_fsync: log force needed?",
		"commit-wait":   "xfs_log_force_seq",
		"truncate":      "xfs_setattr_size / xfs_free_file_space: free blocks, i_size (transaction)",
		"fallocate":     "xfs_alloc_file_space: unwritten extents (transaction)",
		"enospc-commit": "ENOSPC: xfs_extent_busy_flush (log force), retry the allocation",
		"defrag":        "XFS_IOC_SWAPEXT (xfs_swap_extents)",
	}}
)

// Filesystems lists the filesystems by name.
var Filesystems = []*FS{Ext4, XFS}

// FSByName finds a filesystem.
func FSByName(name string) (*FS, bool) {
	for _, f := range Filesystems {
		if f.Name == name {
			return f, true
		}
	}
	return nil, false
}
