//go:build !linux

package sim

func physicalMemory() int64    { return 0 }
func virtualSize() int64       { return 0 }
func cgroupMemory() int64      { return 0 }
func addressSpaceLimit() int64 { return 0 }
