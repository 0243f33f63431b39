# daxsim: a model checker of Linux DAX kernel semantics.
GO ?= go

.PHONY: all build test demo bench lint clean fuzz conformance conformance-deps

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
	$(GO) test -race -count=1 -run 'Workers|Random|Shard|Matrix' ./sim ./cmd/daxsim ./compare
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
	$(GO) test -run '^$$' -bench . -benchtime 2s ./checker/ ./run/
	bash bench/spin-compare.sh 4 5

# Random workloads with fresh seeds and more checks than 'make test' (which fixes
# the seed). A failure is shrunk and saved under run/testdata/rapid/; commit it.
# The pipeline fuzzer (parse, build, search, every report format, replay) for
# 10 minutes: a finding is saved under cmd/daxsim/testdata/fuzz/; commit it.
fuzz:
	RAPID_SEED=$$(date +%s) $(GO) test -count=1 -run 'TestRapid(LinuxContract|EveryProposal)' ./run/ -rapid.checks=2000
	$(GO) test -run '^$$' -fuzz FuzzPipeline -fuzztime 10m ./cmd/daxsim

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
	@cp go.mod /tmp/daxsim-go.mod.bak; [ -f go.sum ] && cp go.sum /tmp/daxsim-go.sum.bak || true; \
	$(GO) mod tidy; \
	if ! git diff --quiet -- go.mod go.sum 2>/dev/null; then echo "go mod tidy changes go.mod/go.sum"; git diff -- go.mod go.sum; exit 1; fi

# The real-kernel conformance suite (issue #9): every scenario under
# testdata/kernel/ runs on Debian's kernel under QEMU (an emulated NVDIMM; KVM
# when it works, TCG otherwise) and is judged against the linux model by
# 'daxsim kernel'. Each file runs on the filesystem of its fs line (the suite
# holds its cases for ext4 and for XFS; KERNEL_FS=ext4,xfs runs every file on
# both, skipping what one of them cannot run). The serial cases of a
# filesystem and mount share one boot; each power cut ("crash after T:N")
# costs one more (the reboot that reads it back runs the next one); the race
# files (race-*.scn, race/*.scn) run KERNEL_RUNS times concurrently. The files
# under disagree/ state where 6.1 and the model differ and are left out.
# Fails on any disagreement or unknown. As root on a fresh machine it installs
# the Debian packages it needs (apt-get).
KERNEL_SUITE ?= testdata/kernel
KERNEL_RUNS ?= 100
KERNEL_FS ?=
CONFORMANCE_PKGS = qemu-system-x86 linux-image-amd64 busybox-static ndctl xfsprogs e2fsprogs cpio kmod xz-utils gcc libc6-dev

conformance: build conformance-deps
	@start=$$(date +%s); status=0; fs="$(if $(KERNEL_FS),-fs $(KERNEL_FS))"; \
	race=$$(find $(KERNEL_SUITE) -name '*.scn' ! -path '*/disagree/*' \( -path '*/race/*' -o -name 'race-*' \) | sort); \
	rest=$$(find $(KERNEL_SUITE) -name '*.scn' ! -path '*/disagree/*' ! -path '*/race/*' ! -name 'race-*' | sort); \
	if [ -n "$$rest" ]; then ./bin/daxsim kernel $$fs $$rest || status=1; fi; \
	if [ -n "$$race" ]; then ./bin/daxsim kernel $$fs -runs $(KERNEL_RUNS) $$race || status=1; fi; \
	echo "conformance: $$(( $$(date +%s) - start ))s, exit $$status"; exit $$status

conformance-deps:
	@if command -v dpkg >/dev/null 2>&1; then \
		missing=""; for p in $(CONFORMANCE_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	else \
		missing=""; for t in qemu-system-x86_64 busybox ndctl mkfs.ext4 mkfs.xfs modprobe gcc; do \
			command -v $$t >/dev/null 2>&1 || [ -x /usr/sbin/$$t ] || [ -x /sbin/$$t ] || missing="$$missing $$t"; \
		done; \
	fi; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
			echo "conformance: missing$$missing; as root: apt-get install $(CONFORMANCE_PKGS)"; exit 1; fi; \
		echo "conformance: installing$$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

clean:
	rm -rf bin
