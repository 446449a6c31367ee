# drs-orchestrator — the commands the README gives.
# Every target installs what it needs on a fresh machine of this kind.

CARGO   ?= cargo
PYTHON  ?= python3
# cfn-lint 1.51 still runs the SAM transform and rejects an invalid Runtime or an unknown SQS
# event property (infra/tests/test_lint.py proves it with canaries); later releases may not.
CFN_LINT_VERSION       = 1.51.0
SAM_TRANSLATOR_VERSION = 1.110.0
export CARGO_TERM_COLOR ?= never

.PHONY: all demo test lint fmt fmt-check build bench deps-python infra-test clean

all: build

## demo: the example three-wave drill through the whole pipeline on this machine (moto + drs-sim,
## real queues, delays and tables), with live progress and the final report; stops everything it started
demo: deps-python
	$(CARGO) build --locked -p drsctl
	$(CARGO) run --locked --quiet -p drsctl -- rehearse \
		--plan examples/plans/billing.yaml --scenario examples/scenarios/three-tier.yaml

## test: formatting, lints and every test (unit, property, conformance, end-to-end)
test: fmt-check lint deps-python infra-test
	$(CARGO) test --workspace --locked

## lint: clippy on every target, warnings are errors
lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

## build: release binaries of every crate
build:
	$(CARGO) build --workspace --release --locked

## bench: performance figures (never part of `make test`); one line per benchmark
bench:
	$(CARGO) bench --locked -p drs-sim --bench throughput
	(command -v moto_server >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "moto[server]") && $(CARGO) build --release --locked -p lambda-functions --bins && $(CARGO) bench --locked -p bench --bench pipeline

## deps-python: boto3 and the AWS CLI (conformance tests), moto (AWS emulator of the adapter and end-to-end tests), cfn-lint and aws-sam-translator (infra tests)
deps-python:
	@$(PYTHON) -c "import boto3, botocore" 2>/dev/null || $(PYTHON) -m pip install --quiet boto3
	@command -v aws >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet awscli
	@command -v moto_server >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "moto[server]"
	@$(PYTHON) -c "import sys, cfnlint.version as v; sys.exit(v.__version__ != '$(CFN_LINT_VERSION)')" 2>/dev/null || $(PYTHON) -m pip install --quiet "cfn-lint==$(CFN_LINT_VERSION)"
	@$(PYTHON) -c "import sys, samtranslator as t; sys.exit(t.__version__ != '$(SAM_TRANSLATOR_VERSION)')" 2>/dev/null || $(PYTHON) -m pip install --quiet "aws-sam-translator==$(SAM_TRANSLATOR_VERSION)"

## infra-test: cfn-lint (with canaries), least-privilege IAM derived from the code, template vs resources.rs
infra-test: deps-python
	$(PYTHON) infra/tests

clean:
	$(CARGO) clean
