# drs-orchestrator — the commands the README gives.
# Every target installs what it needs on a fresh machine of this kind.

CARGO   ?= cargo
PYTHON  ?= python3
# cfn-lint 1.51 still runs the SAM transform and rejects an invalid Runtime or an unknown SQS
# event property (infra/tests/test_lint.py proves it with canaries); later releases may not.
CFN_LINT_VERSION       = 1.51.0
SAM_TRANSLATOR_VERSION = 1.110.0
CARGO_LAMBDA_VERSION   = 1.9.2
OPENAPI_VALIDATOR_VERSION = 0.9.0
# checkov (infra/tests/test_checkov.py) in its own virtual environment: it pins boto3 and
# botocore versions that the AWS CLI and moto above do not accept.
CHECKOV_VERSION        = 3.3.30
CHECKOV_VENV           = .venv/checkov
# The functions `make build` packages (the binaries of crates/functions).
LAMBDA_FUNCTIONS       = starter,checker,advancer,api
export CARGO_TERM_COLOR ?= never

.PHONY: all demo test lint fmt fmt-check build deps-lambda bench deps-python infra-test tools-test clean

all: build

## demo: the example three-wave drill through the whole pipeline on this machine (moto + drs-sim,
## real queues, delays and tables), with live progress and the final report; stops everything it started
demo: deps-python
	$(CARGO) build --locked -p drsctl
	$(CARGO) run --locked --quiet -p drsctl -- rehearse \
		--plan examples/plans/billing.yaml --scenario examples/scenarios/three-tier.yaml

## test: formatting, lints and every test (unit, property, conformance, end-to-end)
test: fmt-check lint deps-python infra-test tools-test
	$(CARGO) test --workspace --locked

## lint: clippy on every target, warnings are errors
lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

## build: the Lambda bootstrap zips for arm64 and x86_64, as `sam build` builds them
## (target/lambda/<arch>/<function>/bootstrap.zip), checked (machine, glibc <= 2.34, < 10 MiB), and drsctl
build: deps-lambda
	$(CARGO) lambda build --release --locked --arm64 --output-format zip --lambda-dir target/lambda/arm64 -p lambda-functions
	$(CARGO) lambda build --release --locked --x86-64 --output-format zip --lambda-dir target/lambda/x86_64 -p lambda-functions
	$(PYTHON) tools/lambda_zips.py target/lambda --functions $(LAMBDA_FUNCTIONS)
	$(CARGO) build --release --locked -p drsctl

## deps-lambda: cargo-lambda (from PyPI, with Zig for cross-linking) and the arm64 Rust target
deps-lambda:
	@command -v rustup >/dev/null 2>&1 || { echo "rustup is needed to add the aarch64-unknown-linux-gnu target: https://rustup.rs" >&2; exit 1; }
	@$(CARGO) lambda --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "cargo-lambda==$(CARGO_LAMBDA_VERSION)"
	@$(CARGO) lambda --version >/dev/null 2>&1 || { echo "cargo-lambda was installed by pip but \`cargo lambda\` does not run: put pip's script directory on PATH" >&2; exit 1; }
	@rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu

## bench: performance figures (never part of `make test`); one line per benchmark
bench: build
	$(PYTHON) tools/lambda_init.py target/lambda
	$(CARGO) bench --locked -p drs-sim --bench throughput
	(command -v moto_server >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "moto[server]") && $(CARGO) build --release --locked -p lambda-functions --bins && $(CARGO) bench --locked -p bench --bench pipeline

## deps-python: boto3 and the AWS CLI (conformance tests), moto (AWS emulator of the adapter and end-to-end tests), cfn-lint, aws-sam-translator, openapi-spec-validator and checkov (infra tests)
deps-python:
	@$(PYTHON) -c "import boto3, botocore" 2>/dev/null || $(PYTHON) -m pip install --quiet boto3
	@command -v aws >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet awscli
	@command -v moto_server >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "moto[server]"
	@$(PYTHON) -c "import sys, cfnlint.version as v; sys.exit(v.__version__ != '$(CFN_LINT_VERSION)')" 2>/dev/null || $(PYTHON) -m pip install --quiet "cfn-lint==$(CFN_LINT_VERSION)"
	@$(PYTHON) -c "import sys, samtranslator as t; sys.exit(t.__version__ != '$(SAM_TRANSLATOR_VERSION)')" 2>/dev/null || $(PYTHON) -m pip install --quiet "aws-sam-translator==$(SAM_TRANSLATOR_VERSION)"
	@$(PYTHON) -c "import openapi_spec_validator" 2>/dev/null || $(PYTHON) -m pip install --quiet "openapi-spec-validator==$(OPENAPI_VALIDATOR_VERSION)"
	@$(CHECKOV_VENV)/bin/python -c "import sys, checkov.version as v; sys.exit(v.version != '$(CHECKOV_VERSION)')" 2>/dev/null || { $(PYTHON) -m venv $(CHECKOV_VENV) && $(CHECKOV_VENV)/bin/python -m pip install --quiet "checkov==$(CHECKOV_VERSION)"; }

## infra-test: cfn-lint and checkov (with canaries), least-privilege IAM derived from the code, closed queues, template vs resources.rs
infra-test: deps-python
	$(PYTHON) infra/tests

## tools-test: the self-tests of tools/ (the Lambda zip checker can fail)
tools-test:
	$(PYTHON) tools/lambda_zips.py --self-test

clean:
	$(CARGO) clean
