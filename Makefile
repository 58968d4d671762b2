# tcpemu — build, test, lint, bench.
# Everything the targets need is installed through the Go toolchain into
# ./bin; a fresh machine needs only Go, git, make and gcc.

GO        ?= go
BIN       := $(CURDIR)/bin
PKGS      := ./...
BENCHTIME ?= 1s

.PHONY: all build run test vet fmtcheck race lint bench rewrite fuzz clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

run: build
	$(BIN)/emud

## test: everything CI checks — vet, gofmt, the import rules, the race-enabled test suite and the Node example (when node is installed).
test: buf-lint gencheck vet fmtcheck race example-node

vet:
	$(GO) vet $(PKGS)

fmtcheck:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^gen/')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

race:
	$(GO) test -race -count=1 $(PKGS)

lint: vet fmtcheck

## example-node: the Node harness in examples/node (npm ci, node --test) against a freshly built emud on a
## unix socket, stopped afterwards. Skipped, with a note, on a machine without node and npm.
.PHONY: example-node
example-node:
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
		echo "example-node: skipping: node not installed (examples/node needs node >= 18 and npm)"; \
		exit 0; \
	fi; \
	set -e; \
	tmp=$$(mktemp -d /tmp/emud-node.XXXXXX); pid=; \
	trap 'if [ -n "$$pid" ]; then kill "$$pid" 2>/dev/null || true; wait "$$pid" 2>/dev/null || true; fi; rm -rf "$$tmp"' EXIT; \
	$(GO) build -o "$$tmp/emud" ./cmd/emud; \
	"$$tmp/emud" --listen "unix:$$tmp/emud.sock" --data-dir "$$tmp/data" --log-level warn 2>"$$tmp/emud.log" & pid=$$!; \
	for i in $$(seq 100); do [ -S "$$tmp/emud.sock" ] && break; sleep 0.1; done; \
	if [ ! -S "$$tmp/emud.sock" ]; then echo "example-node: emud did not start:"; cat "$$tmp/emud.log"; exit 1; fi; \
	cd examples/node; \
	npm ci --no-audit --no-fund --loglevel=error; \
	echo "example-node: node --test against emud on unix:$$tmp/emud.sock"; \
	EMUD_ADDR="unix:$$tmp/emud.sock" node --test

## bench: the core benchmarks with their figures (lifecycles/s, segments/s, allocs/segment, B/endpoint).
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./emulator/...

## rewrite: regenerate transcripts, the committed snapshots (after a format change with its version bump) and rendering golden files after an intended change; review the diff like code.
rewrite:
	$(GO) test ./emulator/ -run 'TestTranscripts|TestSnapshotFormat' -args -rewrite
	$(GO) test ./render/ -run TestGolden -args -update
	$(GO) test ./cmd/emuctl/ -run 'TestDemo' -args -update

## fuzz: run each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	@for pkg in ./emulator/ ./emulator/tcp/ ./scenario/; do \
		for t in $$($(GO) test -list='^Fuzz' $$pkg | grep ^Fuzz); do \
			$(GO) test -run='^$$$$' -fuzz="^$$t$$$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

## generate: regenerate gen/ from proto/ (buf and the pinned protoc plugins are built into ./bin first).
## buf-lint: lint proto/ with buf (STANDARD + COMMENTS, see buf.yaml).
## gencheck: fail if gen/ differs from what proto/ generates (regenerates into a temp dir; gen/ is untouched).
.PHONY: generate buf-lint gencheck

BUF            := $(BIN)/buf
PROTOC_PLUGINS := $(BIN)/protoc-gen-go $(BIN)/protoc-gen-go-grpc

generate: $(BUF) $(PROTOC_PLUGINS)
	$(BUF) generate

buf-lint: $(BUF)
	$(BUF) lint

gencheck: $(BUF) $(PROTOC_PLUGINS)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BUF) generate --output "$$tmp" && \
	if ! diff -r gen "$$tmp/gen" >/dev/null 2>&1; then \
		echo "gencheck: gen/ does not match what proto/ generates."; \
		echo "gencheck: run 'make generate' and commit gen/ (never edit gen/ by hand)."; \
		diff -ru gen "$$tmp/gen" | head -40; \
		exit 1; \
	fi

# buf v1.75.0 needs a protobuf pre-release, so it is pinned in its own module
# (tools/go.mod) rather than in ours. A cold build takes about a minute; the
# binary stays in ./bin and is rebuilt only when tools/go.mod changes.
$(BUF): tools/go.mod tools/go.sum
	cd tools && $(GO) build -o $@ github.com/bufbuild/buf/cmd/buf

# The protoc plugins are pinned by the `tool` lines of go.mod.
$(BIN)/protoc-gen-go: go.mod go.sum
	$(GO) build -o $@ google.golang.org/protobuf/cmd/protoc-gen-go

$(BIN)/protoc-gen-go-grpc: go.mod go.sum
	$(GO) build -o $@ google.golang.org/grpc/cmd/protoc-gen-go-grpc

clean:
	rm -rf $(BIN)
