# daxsim: a model checker of Linux DAX kernel semantics.
GO ?= go

.PHONY: all build test demo bench lint clean fuzz

all: build

build:
	$(GO) build -o bin/daxsim ./cmd/daxsim

# The test suite: unit tests, the scenario files under testdata/ with their
# expect lines, golden reports, and the checker's self-tests; then every
# scenario file again with the model's invariants checked after every step.
test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -tags invariants -run 'TestScenarioFiles|TestMutantsCaught|TestLinuxModelClean' ./cmd/daxsim
	$(GO) test -count=1 -tags invariants ./sim
	$(GO) test -race -count=1 -run 'Workers|Random|Shard|Matrix' ./sim ./cmd/daxsim ./checker
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 5s ./scenarios
	$(GO) test -run '^$$' -fuzz FuzzPipeline -fuzztime 5s ./cmd/daxsim

# The main job on the built-in suite: every workload under every proposal, the
# proposal x property matrix with counterexample lengths and cost figures.
demo: build
	./bin/daxsim compare

# Exploration throughput: states, states/s, bytes per stored state, time to the
# first counterexample, for the aops-swap workload scaled to N faulting threads.
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./sim/
	$(GO) test -run '^$$' -bench . -benchtime 2s ./checker/
	bash bench/spin-compare.sh 4 5

# Random workloads with fresh seeds and more checks than 'make test' (which fixes
# the seed). A failure is shrunk and saved under checker/testdata/rapid/; commit it.
# The pipeline fuzzer (parse, build, search, every report format, replay) for
# 10 minutes: a finding is saved under cmd/daxsim/testdata/fuzz/; commit it.
fuzz:
	RAPID_SEED=$$(date +%s) $(GO) test -count=1 -run 'TestRapid(LinuxContract|EveryProposal)' ./checker/ -rapid.checks=2000
	$(GO) test -run '^$$' -fuzz FuzzPipeline -fuzztime 10m ./cmd/daxsim

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
	@cp go.mod /tmp/daxsim-go.mod.bak; [ -f go.sum ] && cp go.sum /tmp/daxsim-go.sum.bak || true; \
	$(GO) mod tidy; \
	if ! git diff --quiet -- go.mod go.sum 2>/dev/null; then echo "go mod tidy changes go.mod/go.sum"; git diff -- go.mod go.sum; exit 1; fi

clean:
	rm -rf bin
