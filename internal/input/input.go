// Package input reads the files daxsim is given (scenarios, reports, traces)
// with a bound: a file that is not a regular file (a FIFO, a device such as
// /dev/zero) or that is larger than the bound is refused with a clear error
// before anything is allocated for it.
package input

import (
	"fmt"
	"io"
	"os"
)

// Limits of the files daxsim reads.
const (
	MaxScenario = 1 << 20  // a scenario file: 1 MiB
	MaxReport   = 64 << 20 // a JSON report or trace: 64 MiB
)

// ReadFile reads the regular file at path, refusing it when it is larger than
// max bytes.
func ReadFile(path string, max int64) ([]byte, error) {
	// Stat before opening: opening a FIFO for reading would wait for a writer.
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, st.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, st.Mode().Type())
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d this kind of file may have", path, st.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: more than the %d bytes this kind of file may have", path, max)
	}
	return data, nil
}
