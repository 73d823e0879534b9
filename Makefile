# The two commands: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
GO ?= go
SQLC := $(GO) tool -modfile=tools/go.mod sqlc

.PHONY: run build test test-go fuzz bench-go sqlc sqlc-check fmt-check vet db-stop db-status db-url clean help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

run: build ## start PostgreSQL (unless DATABASE_URL is set), migrate, seed if empty, serve on :8000
	@scripts/run.sh

build: ## build bin/tiktok
	$(GO) build -o bin/tiktok ./cmd/tiktok

test: fmt-check vet sqlc-check ## the whole test suite against a throwaway PostgreSQL, then every fuzz target for 3s
	scripts/test.sh

test-go: ## only `go test`, of the product and of bench/ (ARGS="-run X ./internal/httpapi": those packages of the product)
	FUZZ=0 scripts/test.sh $(ARGS)

fuzz: ## every fuzz target for FUZZTIME (30s) each against a throwaway PostgreSQL (ARGS=./internal/auth: one package)
	FUZZ=only FUZZTIME=$(or $(FUZZTIME),30s) scripts/test.sh $(ARGS)

fmt-check: ## fail if gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: ## go vet (the product and the benchmark module in bench/)
	$(GO) vet ./...
	$(GO) vet -C bench ./...

bench-go: ## Go micro-benchmarks of the hot in-process paths (JSON feed page, cursors, JWT, bcrypt)
	$(GO) test -run '^$$' -bench . -benchmem ./internal/httpapi/ ./internal/auth/

sqlc: ## regenerate the query code from internal/postgres/{migrations,queries}
	$(SQLC) generate

sqlc-check: ## fail if the committed sqlc output is stale
	@$(SQLC) diff || { echo "sqlc output is stale: run make sqlc and commit the result"; exit 1; }

db-stop: ## stop the project-local PostgreSQL
	@scripts/pg.sh stop .data/postgres

db-status: ## where the project-local PostgreSQL keeps its files (and log), and whether it runs
	@scripts/pg.sh status .data/postgres || true

db-url: ## print the URL of the project-local PostgreSQL
	@scripts/pg.sh url .data/postgres $${DEV_PG_PORT:-54329}

clean: ## stop PostgreSQL and delete .data (with the cluster, wherever it is kept) and bin
	@scripts/pg.sh destroy .data/postgres
	rm -rf .data bin

.PHONY: soak bench bench-compare

soak: ## mixed load at saturation for SOAK_DURATION (3m) at SOAK_CONCURRENCY (32); fails on 5xx, growth or counter drift
	@SOAK_DURATION="$(SOAK_DURATION)" SOAK_CONCURRENCY="$(SOAK_CONCURRENCY)" scripts/soak.sh

bench: ## end-to-end benchmark on a throwaway PostgreSQL, writes docs/benchmarks.md and appends to docs/bench-history.jsonl (BENCH_ARGS="-scale 0.02" for a quick run)
	@scripts/bench.sh $(BENCH_ARGS)

bench-compare: ## the latest run in docs/bench-history.jsonl against the previous one of the same size
	@go build -C bench -o ../bin/bench ./cmd/bench && bin/bench -compare
