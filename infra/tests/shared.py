"""What the tests share, built once per run: the Rust workspace's index, the translated
template, and the deployment contract printed by the Rust code."""

from __future__ import annotations

import json
import subprocess
from functools import lru_cache

import cfn
from code_calls import WORKSPACE, Workspace
from policy_check import Deployment

CONTRACT_COMMAND = ["cargo", "run", "--quiet", "--locked", "-p", "lambda-functions",
                    "--example", "deployment_contract"]


@lru_cache(maxsize=1)
def workspace() -> Workspace:
    return Workspace()


@lru_cache(maxsize=1)
def deployment() -> Deployment:
    return Deployment(workspace())


@lru_cache(maxsize=1)
def target_template() -> dict:
    return cfn.load(cfn.TARGET_ROLE_TEMPLATE)


def contract() -> dict:
    """crates/functions/examples/deployment_contract.rs: the resources of
    `aws_adapters::Resources`, the functions' queues and environment variables."""
    outcome = _contract()
    if isinstance(outcome, str):
        raise AssertionError(outcome)
    return outcome


@lru_cache(maxsize=1)
def _contract() -> dict | str:
    # Run once; a failure is remembered too, so every test reports it without rebuilding.
    result = subprocess.run(CONTRACT_COMMAND, cwd=WORKSPACE, capture_output=True, text=True)
    if result.returncode != 0:
        return f"{' '.join(CONTRACT_COMMAND)} failed:\n{result.stderr}"
    return json.loads(result.stdout)
