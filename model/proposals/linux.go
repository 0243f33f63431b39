package proposals

import "github.com/daxsim/daxsim/model"

// linux: what Linux merged, as the Debian 6.1 kernel the conformance suite runs
// (daxsim kernel, testdata/kernel/) has it: MAP_SYNC (4.15, map-sync), the
// per-inode DAX flag taking effect at the next instantiation with the
// dax=always|never|inode mount option (5.8, flip-dontcache), invalidate_lock
// (5.15, in the baseline paths: faults take it shared, truncate and punch
// exclusive), and XFS reflink on DAX files (5.19). The reference model: the
// mutants are edits of it.
//
// What changed between 5.15, which this model first followed, and 6.1, and
// where the model follows 6.1:
//
//   - XFS shares blocks between two DAX files (5.19, "xfs: support CoW in fsdax
//     mode", dax_remap_file_range_prep): xfs_reflink_remap_prep refuses only a
//     DAX file with a non-DAX one (EINVAL); a write to a shared extent of a DAX
//     file copies it (dax_iomap_cow_copy, already in the baseline paths).
//     testdata/scenarios/linux/xfs-dax-reflink.scn.
//   - But 6.1 keeps a reflinked XFS inode (XFS_DIFLAG2_REFLINK) out of DAX:
//     xfs_inode_supports_dax ("Only supported on non-reflinked files") makes
//     it non-DAX whenever it is instantiated, whatever FS_XFLAG_DAX says, and
//     xfs_ioctl_setattr_xflags refuses FS_XFLAG_DAX on it ("Don't allow us to
//     set DAX mode for a reflinked file for now": EINVAL, even when the bit
//     is already set; clearing it is ok). Two DAX inodes in core may still
//     share blocks and stay DAX until they are evicted. Found by daxsim kernel
//     (testdata/kernel/fresh/reflinked-not-dax-xfs.scn).
//   - Nothing else the model's statements reach: MAP_SYNC, the DAX fault and
//     writeback, I_DONTCACHE and the mount options are the same in 5.15 and 6.1
//     as far as the model's paths go. (Memory-failure handling of DAX pages,
//     6.0, has no statement.)
//
// Where the model departs from 6.1 knowingly (found against the real kernel
// or its source; each pinned by a scenario under testdata/scenarios/linux/):
//
//   - ext4's iput_final of an I_DONTCACHE inode forces a journal commit
//     (ext4_write_inode with WB_SYNC_ALL); the model writes the data back but
//     does not commit, so it allows more crash outcomes there, never fewer.
//   - A crash image takes each block's durable or newest content, not a
//     version stored in between (model/recover.go).
//   - A file of the scenario is one inode: create of a name whose unlinked
//     inode is still referenced is EEXIST, where Linux makes a new inode
//     (testdata/kernel/disagree/create-after-unlink-xfs.scn, which
//     TestKnownDisagreements keeps failing until the model separates names
//     from inodes).
//   - XFS logs an inode flag change as XFS_ILOG_CORE, which fdatasync and
//     IOMAP_F_DIRTY count; the model, like ext4 (i_sync_tid only), commits
//     it at fsync but not at fdatasync: more crash outcomes on XFS, never
//     fewer (model.State.Dirty).
//   - XFS clears XFS_DIFLAG2_REFLINK when a truncate leaves the inode no
//     extents (xfs_itruncate_clear_reflink_flags) or on FALLOC_FL_UNSHARE;
//     the model never clears it, so such a file stays non-DAX at its next
//     instantiation where 6.1 makes it DAX again (no scenario reaches it).
//   - evict (drop_caches) of an unreferenced, clean inode without DAX entries
//     always evicts it in the model; 6.1 may keep it for a later pass (an
//     inode the dentry prune has just put on the LRU carries I_REFERENCED
//     and is only rotated; the shrinker scans in batches). Seen once in three
//     runs of an earlier version of testdata/kernel/fresh/reflinked-not-dax-xfs.scn;
//     a scenario must not depend on evicting an inode it has just closed.
//   - Memory is sequentially consistent: a load through a mapping sees the
//     last store of any thread. x86-TSO lets a store sit in its CPU's store
//     buffer, so the store-buffering litmus outcome (two threads each store
//     then load the other's page, both loading 0) happens on a real machine
//     and not in the model; no scenario under testdata/kernel/ races two
//     such loads (testdata/kernel/race/holes-two-pages-ext4.scn).
func init() {
	register(&Proposal{
		Name:    "linux",
		Rank:    18, // its row in SPEC.md section 4
		Source:  "Linux 6.1 (MAP_SYNC 4.15, I_DONTCACHE 5.8, invalidate_lock 730633f0b7f9 in 5.15, XFS DAX reflink 5.19)",
		Summary: "what was merged: map-sync + flip-dontcache + invalidate_lock + XFS DAX reflink; the reference model",
		Rules: []string{
			"everything of map-sync",
			"everything of flip-dontcache",
			"faults take invalidate_lock shared; truncate, punch and the flag flips that lock take it exclusive",
			"XFS shares blocks between two DAX files (not a DAX and a non-DAX one: EINVAL); ext4 has no reflink and no online defrag of DAX files",
			"a reflinked XFS inode is not DAX when instantiated, and setting FS_XFLAG_DAX on it is EINVAL (xfs_inode_supports_dax, xfs_ioctl_setattr_xflags)",
		},
		Verdicts: []string{
			"every property but flush-is-durable/plain passes on the built-in suite; a flush through a plain MAP_SHARED mapping is not promised (testdata/scenarios/language/after-crash-plain-flush.scn, and on a real 6.1 kernel)",
			"the scenarios under testdata/kernel/ agree with a real 6.1 kernel ('make conformance')",
		},
		Uses:      []string{"map-sync", "flip-dontcache"},
		Overrides: []string{"Instantiate", "RemapSupported", "setflag-dax"},
		Apply: func(k *model.Kernel) {
			k.RemapSupported = remapSupported61
			k.DeclareHook(model.HookRemapSupported, remapSupported61Foot)
			k.Instantiate = instantiate61
			k.DeclareHook(model.HookInstantiate, model.InstantiateFromDiskFlagFoot)
			k.WrapTouching(model.PathSetflagDax, "mark-dontcache", func(f *model.Foot) { f.R(model.RFlags) }, refuseDaxOnReflink61)
		},
	})
}

// instantiate61 is S_DAX at instantiation in 6.1: the mount option and the
// flag (xfs_inode_should_enable_dax, ext4_should_enable_dax), except that XFS
// refuses DAX to a reflinked inode (xfs_inode_supports_dax: "Only supported on
// non-reflinked files. if (xfs_is_reflink_inode(ip)) return false").
func instantiate61(k *model.Kernel, s *model.State, i int) {
	model.InstantiateFromDiskFlag(k, s, i)
	if in := &s.Inodes[i]; k.FS.Reflink && in.Reflink != 0 {
		in.SDax = 0
		in.Aops = model.KindOf(0)
	}
}

// refuseDaxOnReflink61 wraps flip-dontcache's transaction step with 6.1
// XFS's refusal: xfs_fileattr_set runs xfs_ioctl_setattr_prepare_dax
// (d_mark_dontcache if the bit changes) before xfs_ioctl_setattr_xflags, which
// fails a request with FS_XFLAG_DAX set on a reflinked inode: "Don't allow us
// to set DAX mode for a reflinked file for now" (EINVAL; the flag stays as it
// was).
func refuseDaxOnReflink61(do model.StepFunc) model.StepFunc {
	return func(c *model.Ctx) model.Outcome {
		in := &c.S.Inodes[c.St.Inode]
		if !c.K.FS.Reflink || !c.St.On || in.Reflink == 0 {
			return do(c)
		}
		if in.DiskDax == 0 {
			in.DontCache = 1
		}
		return c.SetflagDone(model.ResEINVAL)
	}
}

// remapSupported61 is what ext4 and XFS allow in 6.1: ext4 refuses online
// defrag of a DAX file (ext4_move_extents: EOPNOTSUPP) and of a page dirty in
// the page cache (EBUSY: testdata/kernel/serial/defrag-dirty-page-ext4.scn,
// found by daxsim kernel), and has no reflink (EOPNOTSUPP); XFS shares blocks between files of the same kind only
// (xfs_reflink_remap_prep: "Don't share DAX file data with non-DAX file").
func remapSupported61(c *model.Ctx) model.Result {
	src := &c.S.Inodes[c.St.Inode]
	switch c.St.Op {
	case model.OpDefrag:
		if !c.K.FS.DefragDAX && src.SDax != 0 {
			return model.ResEOPNOTSUPP
		}
		if e := src.XA[c.St.Page]; c.K.FS.DefragDirtyBusy && e.Kind == model.EntryPage && e.Dirty != 0 {
			return model.ResEBUSY // ext4 move_extent_per_page: a dirty page's buffers stay
		}
	case model.OpReflink:
		if !c.K.FS.Reflink {
			return model.ResEOPNOTSUPP
		}
		if src.SDax != c.S.Inodes[c.St.Inode2].SDax {
			return model.ResEINVAL
		}
	}
	return model.ResOK
}

// remapSupported61Foot: both inodes' S_DAX, and for ext4's defrag whether the
// page is dirty in the page cache.
func remapSupported61Foot(f *model.Foot, _ model.Sel) { f.R(model.RCore, model.RCore.Dst(), model.RXA) }
