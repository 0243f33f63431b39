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
	// Reflink: the filesystem can share blocks between files (XFS; ext4 has no
	// reflink). Before 5.19 XFS refused to share the blocks of a DAX inode
	// (xfs_reflink_remap_prep: "Don't share DAX file data for now").
	Reflink bool
}

func (f *FS) String() string { return f.Name }

// The filesystems.
var (
	Ext4 = &FS{Name: "ext4", FaultHandle: true}
	XFS  = &FS{Name: "xfs", DefragDAX: true, Reflink: true}
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
