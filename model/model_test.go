package model

import (
	"reflect"
	"testing"
	"unsafe"
)

// TestStateHasNoPadding checks that the fields of State and of every struct in it
// add up to its size, so that Hash sees no uninitialised padding bytes.
func TestStateHasNoPadding(t *testing.T) {
	var check func(tp reflect.Type)
	check = func(tp reflect.Type) {
		switch tp.Kind() {
		case reflect.Struct:
			var sum uintptr
			for i := 0; i < tp.NumField(); i++ {
				f := tp.Field(i)
				if f.Offset != sum {
					t.Errorf("%v.%s at offset %d, want %d (padding before it)", tp, f.Name, f.Offset, sum)
				}
				sum = f.Offset + f.Type.Size()
				check(f.Type)
			}
			if sum != tp.Size() {
				t.Errorf("%v: fields end at %d, size %d (trailing padding)", tp, sum, tp.Size())
			}
		case reflect.Array:
			check(tp.Elem())
		}
	}
	check(reflect.TypeOf(State{}))
	if unsafe.Sizeof(State{})%8 != 0 {
		t.Errorf("State size %d is not a multiple of 8", unsafe.Sizeof(State{}))
	}
}

func TestLockIDsFit(t *testing.T) {
	if lockEnd > 64 {
		t.Fatalf("lock IDs need %d bits, Thread.Held has 64", lockEnd)
	}
}

func TestHashSeesEveryByte(t *testing.T) {
	var s State
	b := (*[unsafe.Sizeof(State{})]byte)(unsafe.Pointer(&s))
	seen := map[uint64]int{s.Hash(): -1}
	for i := range b {
		b[i] = 1
		h := s.Hash()
		if j, dup := seen[h]; dup {
			t.Fatalf("flipping byte %d gives the hash of byte %d", i, j)
		}
		seen[h] = i
		b[i] = 0
	}
}
