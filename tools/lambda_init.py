#!/usr/bin/env python3
"""Cold start of the packaged Lambda functions: process start to the first `/invocation/next`.

Runs each `target/lambda/<arch>/<function>/bootstrap.zip` of this machine's architecture (as
`make build` leaves them) the way Lambda starts a `provided.al2023` function: the bootstrap
executable, the Lambda variables, `AWS_LAMBDA_RUNTIME_API` pointing at a Runtime API
stand-in served here. Init is over when the function asks for its first invocation; the
stand-in then answers 410 so the runtime stops. No AWS call happens during init (the deployed
`ORCHESTRATOR_ACCOUNT_ID` spares the STS lookup), so nothing else needs to run.

Excludes Lambda's own sandbox start and the download of the zip. Prints one line per function
(median and worst of --runs starts) and exits 1 when a median is over --target-ms.

    python3 tools/lambda_init.py [target/lambda] [--runs 20] [--target-ms 50]
"""

from __future__ import annotations

import argparse
import http.server
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

ARCH = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]
FUNCTIONS = ("starter", "checker", "advancer", "api")


class RuntimeApi(http.server.ThreadingHTTPServer):
    """Records when the first `/invocation/next` arrives."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.first_next = threading.Event()
        self.first_next_at = 0.0
        self.init_error = ""


class Handler(http.server.BaseHTTPRequestHandler):
    server: RuntimeApi

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.endswith("/runtime/invocation/next") and not self.server.first_next.is_set():
            self.server.first_next_at = time.perf_counter()
            self.server.first_next.set()
        # 410: no invocation will come; lambda_runtime ends with an error, which we ignore.
        self.send_response(410)
        self.end_headers()

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length).decode(errors="replace")
        if self.path.endswith("/init/error"):
            self.server.init_error = body
            self.server.first_next.set()
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def environment(function: str, api: str) -> dict[str, str]:
    queue = lambda name: f"https://sqs.us-east-1.amazonaws.com/111122223333/drs-orchestrator-{name}"  # noqa: E731
    return {
        "PATH": "/usr/bin:/bin",
        "AWS_LAMBDA_RUNTIME_API": api,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": "token",
        "AWS_LAMBDA_FUNCTION_NAME": f"drs-orchestrator-{function}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": "WARN",
        "PLANS_TABLE": "drs-orchestrator-plans",
        "EXECUTIONS_TABLE": "drs-orchestrator-executions",
        "LEDGER_TABLE": "drs-orchestrator-ledger",
        "START_QUEUE_URL": queue("start"),
        "START_DLQ_URL": queue("start-dlq"),
        "CHECK_QUEUE_URL": queue("check"),
        "CHECK_DLQ_URL": queue("check-dlq"),
        "ADVANCE_QUEUE_URL": queue("advance"),
        "ADVANCE_DLQ_URL": queue("advance-dlq"),
        "NOTIFICATION_TOPIC_ARN": "arn:aws:sns:us-east-1:111122223333:drs-orchestrator-notifications",
        "ORCHESTRATOR_ACCOUNT_ID": "111122223333",
    }


def one_start(binary: str, function: str) -> float:
    api = RuntimeApi()
    thread = threading.Thread(target=api.serve_forever, daemon=True)
    thread.start()
    try:
        started = time.perf_counter()
        process = subprocess.Popen(
            [binary],
            env=environment(function, f"127.0.0.1:{api.server_address[1]}"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            if not api.first_next.wait(timeout=10):
                raise RuntimeError(f"{function}: no /invocation/next within 10 s")
            if api.init_error:
                raise RuntimeError(f"{function}: init error {api.init_error}")
            return (api.first_next_at - started) * 1000
        finally:
            process.kill()
            process.wait()
    finally:
        api.shutdown()
        api.server_close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", default="target/lambda")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--target-ms", type=float, default=50.0)
    args = parser.parse_args(argv)
    over = []
    with tempfile.TemporaryDirectory() as scratch:
        for function in FUNCTIONS:
            path = os.path.join(args.root, ARCH, function, "bootstrap.zip")
            if not os.path.exists(path):
                print(f"{path}: missing: run `make build` first", file=sys.stderr)
                return 1
            with zipfile.ZipFile(path) as archive:
                binary = archive.extract("bootstrap", os.path.join(scratch, function))
            os.chmod(binary, 0o755)
            one_start(binary, function)  # warms the page cache, as Lambda's would be
            times = sorted(one_start(binary, function) for _ in range(args.runs))
            median = statistics.median(times)
            print(
                f"lambda init {ARCH} {function}: median {median:.1f} ms, worst {times[-1]:.1f} ms "
                f"over {args.runs} starts (target < {args.target_ms:g} ms)"
            )
            if median >= args.target_ms:
                over.append(function)
    if over:
        print(f"init over target: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
