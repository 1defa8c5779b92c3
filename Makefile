# vpcguard — see README.md. Every target runs offline but for the Go module proxy and npm.
SHELL := bash
GO ?= go
BIN := bin
FUNCTIONS := $(notdir $(wildcard functions/*))
TOOLS := $(CURDIR)/.tools
export CGO_ENABLED ?= 0

.PHONY: build test lint demo e2e bench fuzz synth deploy diff destroy clean tools

## build: the function binaries for this machine (bin/<name>)
build:
	@mkdir -p $(BIN)
	@for f in $(FUNCTIONS); do $(GO) build -trimpath -tags lambda.norpc -o $(BIN)/$$f ./functions/$$f || exit 1; done

## test: unit, wire-level and fuzz-seed tests of the root module
test:
	$(GO) test -count=1 ./...

## lint: go vet and staticcheck
lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.7.0 ./...

clean:
	rm -rf $(BIN) cdk.out
