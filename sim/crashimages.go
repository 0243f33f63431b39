package sim

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/daxsim/daxsim/model"
)

// Crash images: what the files may look like after a power cut and a reboot,
// at any crash point of the scenario (with "crash after T:N", only after that
// statement), for judging what a real kernel shows after one (daxsim kernel).

// FileImage is one file after recovery.
type FileImage struct {
	Exists bool
	Pages  int // the committed size, in pages
	// Values are, per page below the size, the data tokens the page may read
	// ("0" for zeroes): the durable content and the newest (model/recover.go).
	Values [][]string
}

// CrashImage is every file of the scenario after one crash, in file order.
type CrashImage []FileImage

// Key is a text form of the image, one file after another.
func (im CrashImage) Key(k *model.Kernel) string {
	var b strings.Builder
	for i, f := range im {
		fmt.Fprintf(&b, "%s:", k.FileName(i))
		if !f.Exists {
			b.WriteString("missing ")
			continue
		}
		fmt.Fprintf(&b, "%d", f.Pages)
		for _, vs := range f.Values {
			fmt.Fprintf(&b, "/%s", strings.Join(vs, "|"))
		}
		b.WriteByte(' ')
	}
	return strings.TrimSpace(b.String())
}

// CrashImageSet is what CrashImages found.
type CrashImageSet struct {
	Images   []CrashImage // distinct, sorted by Key
	Complete bool         // false when maxStates cut the search
	States   int
}

// CrashImages explores every reachable state of k from init (at most
// maxStates of them, 0: no limit) and returns the images a crash at each
// crash point leaves.
func CrashImages(k *model.Kernel, init *model.State, maxStates int) *CrashImageSet {
	found := map[string]CrashImage{}
	states, complete := EachCrashPoint(k, init, maxStates, func(s *model.State) {
		im := image(k, s)
		found[im.Key(k)] = im
	})
	return &CrashImageSet{Images: sortedByKey(found), Complete: complete, States: states}
}

// EachCrashPoint explores every reachable state of k from init depth-first
// (at most maxStates of them, 0: no limit) and calls visit on each crash
// point. It returns the states visited, and whether that was all of them.
func EachCrashPoint(k *model.Kernel, init *model.State, maxStates int, visit func(s *model.State)) (states int, complete bool) {
	seen := map[uint64]bool{init.Hash(): true}
	stack := []model.State{*init}
	var ev model.Event
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		states++
		if maxStates > 0 && states > maxStates {
			return states, false
		}
		if k.CrashPoint(&s) {
			visit(&s)
		}
		for t := range k.Threads {
			next := s
			if k.Exec(&next, t, &ev) {
				if h := next.Hash(); !seen[h] {
					seen[h] = true
					stack = append(stack, next)
				}
			}
		}
	}
	return states, true
}

// image reads every file of the images a crash in s leaves.
func image(k *model.Kernel, s *model.State) CrashImage {
	lower, upper := k.Recover(s, false), k.Recover(s, true)
	im := make(CrashImage, len(k.Files))
	for i := range k.Files {
		in := &lower.Inodes[i]
		f := FileImage{Exists: in.Nlink != 0, Pages: int(in.Size)}
		if f.Exists {
			for pg := 0; pg < f.Pages; pg++ {
				var vs []string
				for _, r := range []*model.State{&lower, &upper} {
					if v := k.ValueName(r.FileValue(i, pg)); !slices.Contains(vs, v) {
						vs = append(vs, v)
					}
				}
				slices.Sort(vs)
				f.Values = append(f.Values, vs)
			}
		}
		im[i] = f
	}
	return im
}

// sortedByKey returns m's values in the order of their keys.
func sortedByKey[V any](m map[string]V) []V {
	out := make([]V, 0, len(m))
	for _, key := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[key])
	}
	return out
}

// Allows reports whether the image set allows what a real machine read back:
// for each file, missing, or its size in pages and each page's token. The
// observation must match one image: the same files present with the same
// sizes, each page's token among the tokens that image allows for it.
func (set *CrashImageSet) Allows(observed []FileObservation) bool {
	for _, im := range set.Images {
		if im.matches(observed) {
			return true
		}
	}
	return false
}

// FileObservation is one file as a real machine read it back after a crash.
type FileObservation struct {
	Exists bool
	Pages  int
	Values []string // per page
}

func (im CrashImage) matches(obs []FileObservation) bool {
	if len(obs) != len(im) {
		return false
	}
	for i, o := range obs {
		f := im[i]
		if o.Exists != f.Exists || (o.Exists && (o.Pages != f.Pages || len(o.Values) != f.Pages)) {
			return false
		}
		for pg, v := range o.Values {
			if !slices.Contains(f.Values[pg], v) {
				return false
			}
		}
	}
	return true
}
