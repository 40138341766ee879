# mehr: a Reticulum-compatible node in Go. `make help` lists the targets.

GO        ?= go
PKGS      ?= ./...
FUZZTIME  ?= 30s
BENCHTIME ?= 1s
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)

.PHONY: help run build plugins proto proto-tools test test-short bench sim fuzz-short lint vet fmt check

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

RUNDIR ?= $(CURDIR)/.mehr-run

# Interface plugins; mehrd finds mehr-plugin-NAME next to its executable.
PLUGINS   := ./cmd/mehr-plugin-udp ./cmd/mehr-plugin-serial ./cmd/mehr-plugin-kiss ./cmd/mehr-plugin-rnode ./cmd/mehr-plugin-tun

run: plugins ## build mehrd and run it with the default config in .mehr-run (AutoInterface: run inside a network namespace)
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/mehrd ./cmd/mehrd
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/mehr ./cmd/mehr
	./bin/mehrd --config $(RUNDIR)

build: plugins ## compile every package and command, and the interface plugins into bin/
	$(GO) build -ldflags "$(LDFLAGS)" $(PKGS)

plugins: ## build the interface plugins into bin/
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/ $(PLUGINS)

# Code generation for plugins/proto. The generated files are committed,
# so only a change to driver.proto needs these tools.
PROTOC_GEN_GO_VERSION      ?= v1.36.12
PROTOC_GEN_GO_GRPC_VERSION ?= v1.6.2

proto-tools: ## install the pinned protoc plugins (protoc itself: apt-get install protobuf-compiler)
	$(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	$(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)

proto: ## regenerate plugins/proto from driver.proto (bump shared.ProtocolVersion with every change)
	cd plugins/proto && PATH="$$($(GO) env GOPATH)/bin:$$PATH" protoc --go_out=. --go_opt=paths=source_relative \
	  --go-grpc_out=. --go-grpc_opt=paths=source_relative driver.proto

test: lint ## lint, then run every test (vectors, fuzz seed corpora) under the race detector
	$(GO) test -race -count=1 -timeout=15m $(PKGS)

test-short: ## run every test once without the race detector
	$(GO) test -count=1 $(PKGS)

bench: ## run every benchmark with allocation counts
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) $(PKGS)

sim: ## run the Mehr routing simulations of docs/SIMULATION.md (N = 100, 1,000, 10,000; about 10 minutes) into docs/sim
	$(GO) build -o bin/mehr-sim ./cmd/mehr-sim
	bin/mehr-sim report -out docs/sim -jobs 2

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
