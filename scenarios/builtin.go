package scenarios

import (
	"embed"
	"path"
	"strings"
)

// The built-in workload suite: scenario files embedded in the binary, each runnable
// under any proposal (Build's proposal argument).
//
//go:embed builtin/*.scn
var builtinFS embed.FS

// BuiltinNames lists the built-in scenarios by name (file name without .scn).
func BuiltinNames() []string {
	ents, _ := builtinFS.ReadDir("builtin")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".scn"))
	}
	return out
}

// Builtin returns the source of a built-in scenario.
func Builtin(name string) ([]byte, bool) {
	src, err := builtinFS.ReadFile(path.Join("builtin", name+".scn"))
	return src, err == nil
}
