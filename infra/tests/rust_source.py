"""Just enough of Rust's syntax to follow calls through this workspace's sources.

Not a Rust parser: it reads the shape rustfmt gives the code (functions, impl blocks,
`match` arms) after blanking comments and string literals. Everything the IAM test relies on
fails loudly when the shape it expects is not found, so a refactor that defeats it is noticed
rather than silently under-counting calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

KEYWORDS = {
    "if", "while", "for", "match", "loop", "return", "fn", "let", "in", "as", "move",
    "Some", "Ok", "Err", "None", "Box", "Arc", "Vec", "String", "async", "await",
}


def blank_literals(text: str) -> str:
    """Comments removed and string/char literal contents blanked, offsets preserved."""
    out = list(text)
    i, n = 0, len(text)

    def blank(start: int, end: int) -> None:
        for k in range(start, end):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end == -1 else end
            blank(i, end)
            i = end
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(i, j)
            i = j
        elif re.match(r'(b?r)(#*)"', text[i:i + 12]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'(b?r)(#*)"', text[i:])
            hashes = m.group(2)
            start = i + m.end()
            end = text.find('"' + hashes, start)
            end = n if end == -1 else end
            blank(start, end)
            i = end + 1 + len(hashes)
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            blank(i + 1, j)
            i = j + 1
        elif c == "'":
            m = re.match(r"'(\\(x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^\\'])'", text[i:])
            if m:
                blank(i + 1, i + m.end() - 1)
                i += m.end()
            else:  # a lifetime
                i += 1
        else:
            i += 1
    return "".join(out)


def matching(text: str, open_at: int) -> int:
    """The index of the bracket closing the one at `open_at` (`{`, `(` or `[`)."""
    pairs = {"{": "}", "(": ")", "[": "]"}
    stack = [pairs[text[open_at]]]
    i = open_at + 1
    while i < len(text):
        c = text[i]
        if c in pairs:
            stack.append(pairs[c])
        elif c in ")}]":
            if c != stack[-1]:
                raise ValueError(f"unbalanced {c!r} at offset {i}")
            stack.pop()
            if not stack:
                return i
        i += 1
    raise ValueError(f"no closing bracket for offset {open_at}")


def without_test_items(text: str) -> str:
    """Blanks every item marked `#[cfg(test)]` (test modules and helpers)."""
    out = list(text)
    for m in re.finditer(r"#\[cfg\(test\)\]", text):
        brace = text.find("{", m.end())
        semicolon = text.find(";", m.end())
        if brace == -1 or (semicolon != -1 and semicolon < brace):
            end = semicolon
        else:
            end = matching(text, brace)
        for k in range(m.start(), end + 1):
            if out[k] != "\n":
                out[k] = " "
    return "".join(out)


def normalise(body: str) -> str:
    """Whitespace collapsed around `.` and `::` so method chains read `a.b.c(`."""
    body = re.sub(r"\s*\.\s*(?=[A-Za-z_])", ".", body)
    body = re.sub(r"\s*::\s*", "::", body)
    return body


@dataclass
class Function:
    """A function with a body: free (`owner is None`) or a method of `owner`."""

    crate: str
    module: str  # path relative to the crate's src/, e.g. "dynamodb/ledger.rs"
    name: str
    owner: str | None  # the implementing type
    trait: str | None  # the trait implemented, for trait impls
    body: str  # blanked and normalised

    @property
    def key(self) -> tuple:
        return (self.crate, self.module, self.owner, self.trait, self.name)

    def where(self) -> str:
        owner = f"{self.owner}::" if self.owner else ""
        return f"{self.crate}/src/{self.module}: {owner}{self.name}"


@dataclass
class SourceFile:
    crate: str
    module: str
    path: Path
    text: str  # blanked, test items removed
    functions: list[Function] = field(default_factory=list)

    @property
    def module_names(self) -> set[str]:
        """The names `module::f()` may use for this file (`ledger`, `dynamodb`)."""
        parts = Path(self.module).with_suffix("").parts
        names = {parts[-1]}
        if parts[-1] == "mod" and len(parts) > 1:
            names = {parts[-2]}
        if parts[-1] == "lib":
            names = {self.crate}
        return names


def _type_name(text: str) -> str:
    """The last path segment of a type, generics dropped: `crate::a::Foo<T>` -> `Foo`."""
    text = re.sub(r"<.*>", "", text.strip())
    text = text.replace("dyn ", "").replace("&", "").strip()
    return text.split("::")[-1].strip()


def _functions_in(text: str, start: int, end: int, crate: str, module: str,
                  owner: str | None, trait: str | None) -> tuple[list[Function], list[tuple[int, int]]]:
    """Functions with bodies between `start` and `end`, and the spans they cover."""
    found, spans = [], []
    i = start
    pattern = re.compile(r"\bfn\s+(\w+)")
    while True:
        m = pattern.search(text, i, end)
        if not m:
            break
        # The body opens at the first `{` after the signature; a `;` first means no body.
        j = m.end()
        depth = 0
        body_at = None
        while j < end:
            c = text[j]
            if c in "([":
                depth += 1
            if c in ")]":
                depth -= 1
            if c == "{" and depth <= 0:
                body_at = j
                break
            if c == ";" and depth <= 0:
                break
            j += 1
        if body_at is None:
            i = j + 1
            continue
        close = matching(text, body_at)
        found.append(Function(crate, module, m.group(1), owner, trait,
                              normalise(text[body_at:close + 1])))
        spans.append((m.start(), close + 1))
        i = close + 1
    return found, spans


def read_crate(crate: str, src: Path, exclude: tuple[str, ...] = ()) -> list[SourceFile]:
    """Every non-test function of the crate whose sources are in `src`."""
    files = []
    for path in sorted(src.rglob("*.rs")):
        module = path.relative_to(src).as_posix()
        if any(module.startswith(prefix) for prefix in exclude):
            continue
        text = without_test_items(blank_literals(path.read_text()))
        source = SourceFile(crate, module, path, text)
        covered: list[tuple[int, int]] = []
        for m in re.finditer(r"(?m)^\s*(?:unsafe\s+)?impl\b", text):
            brace = text.find("{", m.end())
            header = text[m.end():brace]
            header = re.sub(r"^\s*<[^>]*(<[^>]*>[^>]*)*>", "", header)
            if " for " in f" {header} ":
                trait_part, type_part = re.split(r"\bfor\b", header, maxsplit=1)
                trait, owner = _type_name(trait_part), _type_name(type_part)
            else:
                trait, owner = None, _type_name(header)
            close = matching(text, brace)
            functions, _ = _functions_in(text, brace + 1, close, crate, module, owner, trait)
            source.functions.extend(functions)
            covered.append((m.start(), close + 1))
        for m in re.finditer(r"(?m)^\s*(?:pub(?:\([^)]*\))?\s+)?trait\s+\w+", text):
            brace = text.find("{", m.end())
            covered.append((m.start(), matching(text, brace) + 1))
        # Free functions: those outside every impl and trait block.
        free_text = list(text)
        for a, b in covered:
            for k in range(a, b):
                if free_text[k] != "\n":
                    free_text[k] = " "
        free = "".join(free_text)
        functions, _ = _functions_in(free, 0, len(free), crate, module, None, None)
        source.functions.extend(functions)
        files.append(source)
    return files


@dataclass
class Arm:
    """One arm of a `match`: its pattern and its body, as offsets into the block text."""

    head: str
    start: int  # the arm's first character
    end: int  # one past its last character (trailing comma included)


def match_blocks(body: str, scrutinee: str) -> list[tuple[int, int]]:
    """Spans (`{` .. `}` inclusive) of `match <scrutinee> {` blocks in `body`."""
    spans = []
    for m in re.finditer(r"\bmatch\s+" + scrutinee + r"\s*\{", body):
        brace = m.end() - 1
        spans.append((brace, matching(body, brace)))
    return spans


def arms(body: str, open_at: int, close_at: int) -> list[Arm]:
    """The arms of the match block whose braces are at `open_at` and `close_at`."""
    result = []
    i = open_at + 1
    while True:
        while i < close_at and body[i] in " \t\n,":
            i += 1
        if i >= close_at:
            return result
        start = i
        # The head runs to `=>` at this depth.
        while i < close_at and not body.startswith("=>", i):
            if body[i] in "({[":
                i = matching(body, i)
            i += 1
        head = body[start:i]
        i += 2
        while i < close_at and body[i] in " \t\n":
            i += 1
        if i < close_at and body[i] == "{":
            i = matching(body, i) + 1
        else:
            while i < close_at and body[i] != ",":
                if body[i] in "({[":
                    i = matching(body, i)
                i += 1
        if i < close_at and body[i] == ",":
            i += 1
        result.append(Arm(head.strip(), start, i))


def snake_to_pascal(name: str) -> str:
    """`describe_job_log_items` -> `DescribeJobLogItems` (the SDK's operation naming)."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))
