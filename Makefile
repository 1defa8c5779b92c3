# vpcguard — see README.md. Every target runs offline but for the Go module proxy and npm.
SHELL := bash
GO ?= go
BIN := bin
FUNCTIONS := $(notdir $(wildcard functions/*))
TOOLS := $(CURDIR)/.tools
export CGO_ENABLED ?= 0

.PHONY: build test test-infra lint demo e2e bench fuzz synth deploy diff destroy clean tools

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

## tools: aws-lambda-rie, the Lambda Runtime Interface Emulator, into .tools/ (pinned; pkg/e2e checks the same version)
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
tools:
	GOBIN=$(TOOLS) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

## demo: replay events/ through the function binaries under aws-lambda-rie against the simulated demo account
DEMO_ARGS ?=
demo: tools
	$(GO) run ./pkg/e2e/cmd/demo $(DEMO_ARGS)

## e2e: the end-to-end tests: the function binaries under aws-lambda-rie against awssim and goaws, all on 127.0.0.1
e2e: tools
	$(GO) test -tags e2e -count=1 -timeout 10m ./pkg/e2e/...

## bench: the performance figures in one table (CreateModel round trips, cold start vs python3 -c 'import boto3',
## peak RSS, zipped asset sizes, the 10,000-model sweep); BENCH_ARGS=-quick for a 1,000-model sweep, -json for JSON
BENCH_ARGS ?=
bench: tools
	$(GO) run ./pkg/e2e/cmd/bench $(BENCH_ARGS)

## fuzz: every fuzz target for FUZZTIME each (go test -fuzz runs one target at a time)
FUZZTIME ?= 30s
FUZZ_TARGETS := pkg/cloudtrail:FuzzParse pkg/policy:FuzzParse pkg/policy:FuzzEvaluate pkg/policy:FuzzMerge pkg/policy:FuzzExact pkg/nacl:FuzzEvaluate pkg/notify:FuzzRender pkg/exempt:FuzzParse
fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "== $$pkg $$fn"; $(GO) test -run='^$$' -fuzz="^$$fn\$$" -fuzztime=$(FUZZTIME) ./$$pkg || exit 1; done

## test-infra: the CDK app's tests (its own module; needs Node for jsii)
test-infra:
	cd infra && $(GO) test -count=1 ./...

clean:
	rm -rf $(BIN) cdk.out

# --- deploy: the CDK app in infra/ (its own Go module), the aws-cdk CLI pinned in _cdk/ ---------
# Context goes in CDK_ARGS, e.g. make deploy CDK_ARGS="-c mode=remediate -c notificationEmail=me@example.com"
CDK_CLI := _cdk/node_modules/.bin/cdk
CDK := CDK_DISABLE_CLI_TELEMETRY=true JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(CDK_CLI)
CDK_ARGS ?=

$(CDK_CLI): _cdk/package.json _cdk/package-lock.json
	cd _cdk && npm ci --no-audit --no-fund
	@touch $@

## synth: build the functions (linux/arm64, no Docker) and write the template to cdk.out/; needs no AWS credentials
synth: $(CDK_CLI)
	$(CDK) synth --quiet $(CDK_ARGS)

## deploy: deploy the VpcGuard stack to the account and region of the AWS credentials (after a one-time `cdk bootstrap`)
deploy: $(CDK_CLI)
	$(CDK) deploy $(CDK_ARGS)

## diff: compare the synthesized stack with the deployed one
diff: $(CDK_CLI)
	$(CDK) diff $(CDK_ARGS)

## destroy: delete the stack (its S3 buckets, which hold the trail logs and the sweep cursor, are retained)
destroy: $(CDK_CLI)
	$(CDK) destroy $(CDK_ARGS)
