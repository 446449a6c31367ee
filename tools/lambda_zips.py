#!/usr/bin/env python3
"""Checks the Lambda bootstrap zips that `make build` leaves in target/lambda/<arch>/<function>/.

For each zip: it holds exactly one executable `bootstrap`; the binary is an ELF of the right
machine (arm64 → AArch64, x86_64 → X86-64); no symbol it needs asks for a glibc newer than
Amazon Linux 2023's (the `provided.al2023` runtime: glibc 2.34); the zip is under the size
target. Prints one line per zip (size zipped and unzipped, highest glibc needed) and exits 1
naming every zip that fails.

    python3 tools/lambda_zips.py target/lambda [--functions starter,checker,...]
    python3 tools/lambda_zips.py --self-test
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import stat
import subprocess
import sys
import tempfile
import unittest
import zipfile
from dataclasses import dataclass

# glibc of Amazon Linux 2023, which `provided.al2023` runs on.
MAX_GLIBC = (2, 34)
# docs/performance.md's target for a function's deployment package.
MAX_ZIP_BYTES = 10 * 1024 * 1024
MACHINES = {"arm64": "AArch64", "x86_64": "Advanced Micro Devices X86-64"}
GLIBC = re.compile(r"GLIBC_(\d+)\.(\d+)(?:\.(\d+))?")


def highest_glibc(version_info: str) -> tuple[int, ...] | None:
    """The highest `GLIBC_x.y[.z]` that `readelf --version-info` lists as needed."""
    found = [
        tuple(int(part) for part in match.groups() if part is not None)
        for match in GLIBC.finditer(version_info)
    ]
    return max(found) if found else None


def machine(header: str) -> str | None:
    """The `Machine:` line of `readelf --file-header`."""
    for line in header.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Machine":
            return value.strip()
    return None


@dataclass
class Verdict:
    path: str
    zipped: int
    unzipped: int
    glibc: tuple[int, ...] | None
    problems: list[str]

    def line(self) -> str:
        glibc = ".".join(map(str, self.glibc)) if self.glibc else "none (static)"
        state = "ok" if not self.problems else "FAILED: " + "; ".join(self.problems)
        return (
            f"{self.path}: {self.zipped / 1048576:.2f} MiB zipped, "
            f"{self.unzipped / 1048576:.2f} MiB unzipped, needs glibc {glibc} — {state}"
        )


def readelf(*args: str) -> str:
    try:
        done = subprocess.run(["readelf", *args], capture_output=True, text=True, check=True)
    except FileNotFoundError:
        sys.exit("readelf not found: install binutils (Debian: apt-get install binutils)")
    except subprocess.CalledProcessError as error:
        raise ValueError(error.stderr.strip() or f"readelf {' '.join(args)} failed") from error
    return done.stdout


def check_zip(path: str, arch: str) -> Verdict:
    problems: list[str] = []
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        if names != ["bootstrap"]:
            return Verdict(path, os.path.getsize(path), 0, None,
                           [f"expected exactly one file `bootstrap`, found {names}"])
        info = archive.getinfo("bootstrap")
        mode = info.external_attr >> 16
        if not mode & stat.S_IXUSR:
            problems.append("bootstrap is not executable in the zip (Lambda needs +x)")
        with tempfile.TemporaryDirectory() as scratch:
            binary = archive.extract("bootstrap", scratch)
            header = readelf("--file-header", "--wide", binary)
            versions = readelf("--version-info", "--wide", binary)
    found = machine(header)
    if found != MACHINES[arch]:
        problems.append(f"built for {found!r}, not {arch} ({MACHINES[arch]})")
    glibc = highest_glibc(versions)
    if glibc is not None and glibc[:2] > MAX_GLIBC:
        problems.append(
            f"needs glibc {'.'.join(map(str, glibc))}, Amazon Linux 2023 has "
            f"{'.'.join(map(str, MAX_GLIBC))}"
        )
    zipped = os.path.getsize(path)
    if zipped > MAX_ZIP_BYTES:
        problems.append(f"{zipped} bytes zipped, over the {MAX_ZIP_BYTES} byte target")
    return Verdict(path, zipped, info.file_size, glibc, problems)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", default="target/lambda")
    parser.add_argument("--functions", default="starter,checker,advancer,api",
                        help="comma-separated functions every architecture must have")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args(argv)
    if args.self_test:
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(SelfTest)
        return 0 if unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful() else 1
    failed = []
    for arch in MACHINES:
        for function in args.functions.split(","):
            path = os.path.join(args.root, arch, function, "bootstrap.zip")
            if not os.path.exists(path):
                print(f"{path}: missing (not built for {arch})")
                failed.append(path)
                continue
            verdict = check_zip(path, arch)
            print(verdict.line())
            if verdict.problems:
                failed.append(path)
    if failed:
        print(f"{len(failed)} Lambda zip(s) failed the checks: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


class SelfTest(unittest.TestCase):
    """The checks themselves can fail."""

    VERSION_INFO = """
Version needs section '.gnu.version_r' contains 2 entries:
 Addr: 0x0000000000000b48  Offset: 0x000b48  Cnt: 9
  0x0010:   Name: GLIBC_2.17  Flags: none  Version: 13
  0x0020:   Name: GLIBC_2.34  Flags: none  Version: 12
  0x0030:   Name: GLIBC_2.3.4  Flags: none  Version: 11
"""

    def test_the_highest_version_is_found(self) -> None:
        self.assertEqual(highest_glibc(self.VERSION_INFO), (2, 34))

    def test_a_newer_glibc_is_found_even_when_listed_first(self) -> None:
        text = "Name: GLIBC_2.39  Flags: none\n" + self.VERSION_INFO
        self.assertEqual(highest_glibc(text), (2, 39))
        self.assertGreater(highest_glibc(text)[:2], MAX_GLIBC)

    def test_a_static_binary_needs_no_glibc(self) -> None:
        self.assertIsNone(highest_glibc("No version information found in this file.\n"))

    def test_the_machine_line_is_read(self) -> None:
        header = "  Class:  ELF64\n  Machine:                           AArch64\n"
        self.assertEqual(machine(header), "AArch64")

    def test_a_zip_without_bootstrap_fails(self) -> None:
        with tempfile.TemporaryDirectory() as scratch:
            path = os.path.join(scratch, "bootstrap.zip")
            with zipfile.ZipFile(path, "w") as archive:
                archive.writestr("main", b"\x7fELF")
            verdict = check_zip(path, "arm64")
            self.assertTrue(verdict.problems)
            self.assertIn("exactly one file", verdict.problems[0])

    def test_a_binary_of_the_wrong_machine_fails(self) -> None:
        # This machine's python, packaged as if it were built for the other architecture.
        other = "arm64" if platform.machine() == "x86_64" else "x86_64"
        with tempfile.TemporaryDirectory() as scratch:
            path = os.path.join(scratch, "bootstrap.zip")
            with zipfile.ZipFile(path, "w") as archive:
                info = zipfile.ZipInfo("bootstrap")
                info.external_attr = (stat.S_IFREG | 0o755) << 16
                with open(os.path.realpath(sys.executable), "rb") as binary:
                    archive.writestr(info, binary.read())
            verdict = check_zip(path, other)
            self.assertTrue(any(f"not {other}" in p for p in verdict.problems), verdict.problems)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
