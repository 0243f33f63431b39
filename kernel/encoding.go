package kernel

import (
	_ "embed"
	"strings"
)

// The value encoding, shared by every generated program and the reader. It is
// written once, in C, in csrc/encoding.h, and pasted into both:
//
//   - A VALUE token ([A-Z][A-Z0-9]*, at most LineSize bytes) is stored as its
//     bytes, NUL-padded to one 64-byte cache line, at offset 0 of its
//     4096-byte page. store writes those 64 bytes through the mapping (so it
//     faults as a store does); write(2) writes a page holding them at offset
//     PAGE*4096.
//   - Decoding a page reads its first 64 bytes: all zero reads as "0" (a new
//     page, a hole, a zeroed block); a token followed by NULs only reads as
//     the token; anything else reads as "?" and the bytes in hex up to the
//     last non-zero one (never a token of the scenario language, so it cannot
//     be mistaken for one).
//
// PageSize and LineSize are the two constants of that encoding.
const (
	PageSize = 4096
	LineSize = 64
)

//go:embed csrc/encoding.h
var encodingC string

//go:embed csrc/runtime.h
var runtimeC string

//go:embed csrc/reader.c
var readerC string

const encodingMark = "/*@ENCODING@*/"

// withEncoding pastes the encoding functions into a C source at its mark.
func withEncoding(src string) string {
	return strings.Replace(src, encodingMark, strings.TrimRight(encodingC, "\n"), 1)
}

// DecodeValue is the Go mirror of dx_decode for tests and tools: the result a
// page whose first bytes are line reads as.
func DecodeValue(line []byte) string {
	if len(line) > LineSize {
		line = line[:LineSize]
	}
	last := -1
	for i, c := range line {
		if c != 0 {
			last = i
		}
	}
	if last < 0 {
		return "0"
	}
	i, tok := 0, true
	for ; i < len(line) && line[i] != 0; i++ {
		c := line[i]
		if !((c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')) {
			tok = false
		}
	}
	if tok && i > last {
		return string(line[:i])
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.WriteByte('?')
	for _, c := range line[:last+1] {
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// EncodeValue is the Go mirror of dx_encode: the 64 bytes a value is stored as.
func EncodeValue(tok string) []byte {
	line := make([]byte, LineSize)
	copy(line, tok)
	return line
}
