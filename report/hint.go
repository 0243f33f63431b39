package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/daxsim/daxsim/run"
	"github.com/daxsim/daxsim/sim"
)

// ReproduceCommand is the command that prints counterexample v again, from any
// directory: every flag that changes the result (the proposal, the -mutant and
// -crash flags the scenario was built with, the search order, the limits when
// one cut the search, the random run that found it) and the scenario as
// builtin:NAME or as an absolute path.
func ReproduceCommand(r *run.Report, v *sim.Violation) string {
	b := r.Built
	args := []string{"daxsim", "check", "-proposal", b.Kernel.Proposal}
	for _, m := range b.Opt.Mutants {
		args = append(args, "-mutant", m)
	}
	if b.Opt.Crash != "" {
		args = append(args, "-crash", b.Opt.Crash)
	}
	res := r.Result
	switch {
	case v != nil && v.Run >= 0 && r.Random != nil:
		args = append(args, "-mode", "random", "-seed", fmt.Sprint(r.Random.Seed), "-first", fmt.Sprint(v.Run), "-runs", "1")
	case res != nil:
		switch res.Search {
		case "dfs":
			args = append(args, "-search", "dfs")
		case "swarm":
			args = append(args, "-mode", "swarm", "-seed", fmt.Sprint(r.Opt.RandOpt.Seed))
			if n := r.Opt.Sim.Shards; n > 1 {
				args = append(args, "-shard", fmt.Sprintf("%d/%d", r.Opt.Sim.Shard, n))
			}
		}
		if !res.Complete {
			if n := r.Opt.Sim.MaxStates; n > 0 {
				args = append(args, "-max-states", fmt.Sprint(n))
			}
			if n := r.Opt.Sim.MaxDepth; n > 0 {
				args = append(args, "-max-depth", fmt.Sprint(n))
			}
		}
	}
	return strings.Join(append(args, shellQuote(PortablePath(b.Scn.Path))), " ")
}

// PortablePath is a scenario's command-line name that works from any
// directory: builtin:NAME as it is, a file's absolute path.
func PortablePath(path string) string {
	if strings.HasPrefix(path, "builtin:") || path == "" {
		return path
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Version is daxsim's version: reports carry it.
const Version = "0.11.0"

// SourceHash is the hex SHA-256 of a scenario's text ("" for none).
func SourceHash(src []byte) string {
	if len(src) == 0 {
		return ""
	}
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:])
}
