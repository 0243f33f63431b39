package proposals

// linux: what Linux merged, as of 5.15: MAP_SYNC (4.15, map-sync), the per-inode
// DAX flag taking effect at the next instantiation (5.8, flip-dontcache), and
// invalidate_lock (5.15, in the baseline paths: faults take it shared, truncate and
// punch exclusive). The reference model: the mutants are one-line changes of it.
func init() {
	register(&Proposal{
		Name:    "linux",
		Source:  "Linux 5.15 (MAP_SYNC 4.15, I_DONTCACHE 5.8, invalidate_lock 730633f0b7f9)",
		Summary: "what was merged: map-sync + flip-dontcache + invalidate_lock; the reference model",
		Rules: []string{
			"everything of map-sync",
			"everything of flip-dontcache",
			"faults take invalidate_lock shared; truncate, punch and the flag flips that lock take it exclusive",
		},
		Verdicts: []string{"every property passes on every scenario under testdata/ that runs under linux"},
		Uses:     []string{"map-sync", "flip-dontcache"},
	})
}
