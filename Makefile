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

## test: everything CI checks — vet, gofmt, the import rules and the race-enabled test suite.
test: buf-lint gencheck vet fmtcheck race

vet:
	$(GO) vet $(PKGS)

fmtcheck:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^gen/')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

race:
	$(GO) test -race -count=1 $(PKGS)

lint: vet fmtcheck

## bench: the core benchmarks with their figures (lifecycles/s, segments/s, allocs/segment, B/endpoint).
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./emulator/...

## rewrite: regenerate transcript golden files after an intended change; review the diff like code.
rewrite:
	$(GO) test ./emulator/ -run TestTranscripts -args -rewrite

## fuzz: run each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	@for pkg in ./emulator/ ./emulator/tcp/; do \
		for t in $$($(GO) test -list='^Fuzz' $$pkg | grep ^Fuzz); do \
			$(GO) test -run='^$$$$' -fuzz="^$$t$$$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

clean:
	rm -rf $(BIN)
