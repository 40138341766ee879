# mehr: a Reticulum-compatible node in Go. `make help` lists the targets.

GO        ?= go
PKGS      ?= ./...
FUZZTIME  ?= 30s
BENCHTIME ?= 1s
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)

.PHONY: help run build test test-short bench fuzz-short lint vet fmt check

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

RUNDIR ?= $(CURDIR)/.mehr-run

run: ## build mehrd and run it with the default config in .mehr-run (AutoInterface: run inside a network namespace)
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/mehrd ./cmd/mehrd
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/mehr ./cmd/mehr
	./bin/mehrd --config $(RUNDIR)

build: ## compile every package and command
	$(GO) build -ldflags "$(LDFLAGS)" $(PKGS)

test: lint ## lint, then run every test (vectors, fuzz seed corpora) under the race detector
	$(GO) test -race -count=1 -timeout=15m $(PKGS)

test-short: ## run every test once without the race detector
	$(GO) test -count=1 $(PKGS)

bench: ## run every benchmark with allocation counts
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) $(PKGS)

fuzz-short: ## run each fuzz target for FUZZTIME (default 30s)
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$(grep -hoE '^func Fuzz[A-Za-z0-9_]+' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
	    echo "== $$pkg $$f"; \
	    $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done

lint: vet ## gofmt and go vet must be clean
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

fmt: ## format the tree
	gofmt -w .

check: test bench ## everything CI runs, plus one pass of the benchmarks
