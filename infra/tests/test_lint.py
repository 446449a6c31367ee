"""cfn-lint on both templates, nothing suppressed, and canaries proving it still checks.

Recent cfn-lint releases stopped running the SAM transform in some setups and then pass a
template with an invalid `Runtime` or an unknown SQS event property; 1.51.0 (pinned by
`make deps-python`) catches both. The canaries feed it a copy of the template broken in each
of those two ways and expect a failure naming the defect, so a cfn-lint that silently stops
checking fails this test instead of passing the real template.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import cfn

PINNED_VERSION = "1.51.0"
TEMPLATES = [cfn.TEMPLATE, cfn.TARGET_ROLE_TEMPLATE]


# cfn-lint's own entry point, run by this Python (the one `make deps-python` installs into).
CFN_LINT = [sys.executable, "-c",
            "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())"]


def lint(path: Path) -> subprocess.CompletedProcess:
    # Informational findings too: the templates answer every one of them.
    return subprocess.run(CFN_LINT + ["--include-checks", "I", "--", str(path)],
                          capture_output=True, text=True)


def broken_copy(edit) -> Path:
    """A copy of template.yaml changed by `edit(text) -> text`, next to the original so
    relative paths still resolve."""
    text = cfn.TEMPLATE.read_text()
    changed = edit(text)
    if changed == text:
        raise AssertionError("the canary's edit did not change the template")
    handle = tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=cfn.INFRA,
                                         prefix=".canary-", delete=False)
    with handle:
        handle.write(changed)
    return Path(handle.name)


class CfnLint(unittest.TestCase):
    def test_the_pinned_cfn_lint_is_the_one_running(self):
        version = subprocess.run(CFN_LINT + ["--version"], capture_output=True, text=True).stdout
        self.assertIn(PINNED_VERSION, version,
                      f"cfn-lint {PINNED_VERSION} is pinned (make deps-python); found {version!r}")

    def test_both_templates_pass_with_nothing_suppressed(self):
        for path in TEMPLATES:
            with self.subTest(template=path.name):
                text = path.read_text()
                self.assertNotRegex(text, r"(?i)cfn-lint|ignore_checks|ignore-checks",
                                    "a template must not suppress cfn-lint rules")
                result = lint(path)
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
                self.assertEqual(result.stdout.strip(), "")

    def test_canary_an_invalid_runtime_fails_the_lint(self):
        path = broken_copy(lambda t: t.replace("Runtime: provided.al2023",
                                               "Runtime: provided.al2099", 1))
        try:
            result = lint(path)
        finally:
            path.unlink()
        self.assertNotEqual(result.returncode, 0, "cfn-lint passed an invalid Runtime")
        self.assertIn("E3030", result.stdout)
        self.assertIn("provided.al2099", result.stdout)

    def test_canary_an_unknown_sqs_event_property_fails_the_lint(self):
        def edit(text: str) -> str:
            return re.sub(r"(\n(\s+)BatchSize: 10\n)", r"\1\2MaximumBatchingWindowInSecondz: 5\n",
                          text, count=1)

        path = broken_copy(edit)
        try:
            result = lint(path)
        finally:
            path.unlink()
        self.assertNotEqual(result.returncode, 0, "cfn-lint passed an unknown event property")
        self.assertIn("MaximumBatchingWindowInSecondz", result.stdout)


if __name__ == "__main__":
    unittest.main()
