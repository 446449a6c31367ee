"""Which AWS API operations each Lambda binary's code can reach, read from the Rust sources.

The walk starts at the binary's `main` (`crates/functions/src/bin/<name>.rs`) and follows
calls through `lambda-functions`, `pipeline` and `aws-adapters` (see `infra/README.md`,
"How the IAM test derives each function's actions"):

- direct calls: `self.f()`, `Self::f()`, `Type::f()`, `module::f()`, `f()`, and `x.f()` on a
  local or field (resolved by name among the crates' inherent methods);
- port calls `deps.<port>.<method>()`: the `Deps` field's trait, then that method of every
  implementation of the trait in `aws-adapters` and `lambda-functions` (the in-memory fakes
  of `pipeline::testing` are not production code and are skipped);
- role-dependent code is pruned the way it runs: in a `match role { Role::X => … }` only the
  binary's role's arm is followed, and in the command dispatcher (`Executor::execute`) only
  the arms of commands the role carries out: the engine's `Command::handover` names no
  carrier for them (anyone) or the role's (`Role::of_carrier`), and `Executor::carry_out`
  hands the others over instead of executing them. A binary whose `main` names no role (the
  HTTP API's `api`) must never reach role-dependent code: the walk stops with an error if it
  does;
- the HTTP API's ports (`ApiDeps` in `pipeline/src/api/mod.rs`) are followed like the
  handlers' (`deps.plans.put(…)`); their fields must name the same traits as `Deps`' fields;
- an AWS SDK operation call is `.op()` where `op` is an operation of an `aws_sdk_*` crate the
  file uses (`src/operation/<op>/` in that crate's sources): its IAM action is the crate's
  signing name (`drs`, `dynamodb`, …) and the operation's name in PascalCase.

No list of actions is kept by hand: adding an SDK call to a reachable path adds its action to
that function's requirement.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rust_source import (KEYWORDS, Function, SourceFile, arms, match_blocks, read_crate,
                         snake_to_pascal)

WORKSPACE = Path(__file__).resolve().parents[2]

# The crates whose code runs inside the Lambda functions: package -> (sources, skipped).
CRATES = {
    "lambda-functions": ("crates/functions/src", ()),
    "pipeline": ("crates/pipeline/src", ("testing/",)),
    "aws-adapters": ("crates/aws/src", ()),
}
# Where the port traits and the handlers' dependency bundle are declared.
PORTS_MODULE = ("pipeline", "ports.rs")
DEPS_MODULE = ("pipeline", "deps.rs")
# The HTTP API's dependency bundle (`ApiDeps`: borrowed ports, same field names as `Deps`).
API_DEPS_MODULE = ("pipeline", "api/mod.rs")
# The command dispatcher and the guard in front of it (`Executor::carry_out`): a command
# whose handover names another role's carrier is handed over, never executed.
DISPATCH = ("pipeline", "executor/commands.rs", "Executor", "execute")
DISPATCH_GUARD = ("pipeline", "executor/commands.rs", "Executor", "carry_out",
                  ["command.handover()", "Role::of_carrier(handover.carrier)!=self.role",
                   "continue;"])
# Which Lambda carries out each command: the engine's `Command::handover` (its carrier, or
# None: whoever holds the command), and the carrier's role (`Role::of_carrier`).
HANDOVER = ("crates/engine/src", "command.rs", "Command", "handover")
OF_CARRIER = ("pipeline", "role.rs", "Role", "of_carrier")


class ShapeError(AssertionError):
    """The sources no longer have a shape this analysis relies on."""


@dataclass(frozen=True)
class SdkCall:
    """One AWS SDK operation call found on a reachable path."""

    service: str  # the IAM service prefix (the SDK's signing name)
    operation: str  # PascalCase, e.g. StartRecovery
    crate: str
    module: str
    function: str  # where it is, for messages
    chain: str  # the builder chain up to `.send()` (tags, index names, …)

    @property
    def action(self) -> str:
        return f"{self.service}:{self.operation}"


@dataclass
class Reach:
    """What one binary can reach."""

    binary: str
    role: str | None  # None: a binary serving no pipeline role (the HTTP API)
    functions: set[tuple] = field(default_factory=set)
    ports: set[tuple[str, str]] = field(default_factory=set)  # (trait, method)
    calls: list[SdkCall] = field(default_factory=list)
    bodies: dict[tuple, Function] = field(default_factory=dict)
    named_types: set[str] = field(default_factory=set)  # `Type::…` in the reached bodies


@dataclass
class SdkCrate:
    ident: str  # aws_sdk_drs
    service: str  # signing name
    operations: set[str]


def sdk_sources() -> dict[str, Path]:
    """The sources of the `aws-sdk-*` crates that Cargo.lock pins, in cargo's registry.

    Read from Cargo.lock (not `cargo metadata`, which may rewrite the lock file); `cargo fetch
    --locked` brings the sources when they are not downloaded yet.
    """
    lock = (WORKSPACE / "Cargo.lock").read_text()
    pinned = re.findall(r'name = "(aws-sdk-[\w-]+)"\nversion = "([^"]+)"', lock)
    home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))

    def find() -> dict[str, Path]:
        found = {}
        for name, version in pinned:
            dirs = sorted((home / "registry" / "src").glob(f"*/{name}-{version}"))
            if dirs:
                found[name] = dirs[0]
        return found

    found = find()
    if len(found) < len(pinned):
        subprocess.run(["cargo", "fetch", "--locked"], cwd=WORKSPACE, check=True,
                       capture_output=True)
        found = find()
    if not pinned or len(found) < len(pinned):
        raise ShapeError(f"the sources of {sorted(set(n for n, _ in pinned) - set(found))} "
                         "are not in cargo's registry")
    return found


def sdk_crates() -> dict[str, SdkCrate]:
    """The `aws-sdk-*` crates: their operations and IAM service prefix (signing name)."""
    crates = {}
    for name, root in sdk_sources().items():
        config = (root / "src" / "config.rs").read_text()
        signing = re.search(r'SigningName::from_static\("([^"]+)"\)', config)
        if not signing:
            raise ShapeError(f"{name}: no signing name in src/config.rs")
        operations = {p.name for p in (root / "src" / "operation").iterdir() if p.is_dir()}
        ident = name.replace("-", "_")
        crates[ident] = SdkCrate(ident, signing.group(1), operations)
    return crates


class Workspace:
    """The Rust sources of the function crates, indexed for the walk."""

    def __init__(self) -> None:
        self.files: list[SourceFile] = []
        for crate, (src, skipped) in CRATES.items():
            self.files += read_crate(crate, WORKSPACE / src, skipped)
        self.sdk = sdk_crates()
        self.full_text = {(f.crate, f.module): f.path.read_text() for f in self.files}
        self.by_owner: dict[str, dict[str, list[Function]]] = {}
        self.free: dict[tuple[str, str], dict[str, list[Function]]] = {}
        self.free_by_name: dict[str, list[Function]] = {}
        self.file_of: dict[tuple[str, str], SourceFile] = {}
        for f in self.files:
            self.file_of[(f.crate, f.module)] = f
            for fn in f.functions:
                if fn.owner:
                    self.by_owner.setdefault(fn.owner, {}).setdefault(fn.name, []).append(fn)
                else:
                    self.free.setdefault((f.crate, f.module), {}).setdefault(fn.name, []).append(fn)
                    self.free_by_name.setdefault(fn.name, []).append(fn)
        self.port_traits = self._port_traits()
        self.deps_fields = self._deps_fields()
        # The crates' own traits that are not ports (`runner::Handler`): a generic caller
        # dispatches to the implementation of the type its caller built.
        self.own_traits = {name for f in self.files
                           for name in re.findall(r"\bpub trait (\w+)", f.text)} - self.port_traits
        self.by_name: dict[str, list[Function]] = {}
        for f in self.files:
            for fn in f.functions:
                if fn.owner and fn.trait not in self.port_traits:
                    self.by_name.setdefault(fn.name, []).append(fn)

    @cached_property
    def sdk_method_names(self) -> set[str]:
        """Every `pub fn` name of the SDK crates: builder setters such as `.put()`, `.key()`.

        A method called on the result of another call (`x().put(…)`) is followed only when
        its name is none of these, so `TransactWriteItem::builder().put(…)` is not taken
        for a call of some adapter's `put`.
        """
        names = set()
        for root in sdk_sources().values():
            for path in (root / "src").rglob("*.rs"):
                names.update(re.findall(r"\bpub fn (\w+)", path.read_text()))
        return names

    def _file(self, crate: str, module: str) -> SourceFile:
        found = self.file_of.get((crate, module))
        if not found:
            raise ShapeError(f"{crate}/src/{module} is missing")
        return found

    def _port_traits(self) -> set[str]:
        text = self._file(*PORTS_MODULE).text
        traits = set(re.findall(r"\bpub trait (\w+)", text))
        if not traits:
            raise ShapeError("no port traits in pipeline/src/ports.rs")
        return traits

    def _deps_fields(self) -> dict[str, str]:
        text = self._file(*DEPS_MODULE).text
        fields = dict(re.findall(r"pub (\w+):\s*Arc<dyn (\w+)>", text))
        if not fields or not set(fields.values()) <= self.port_traits:
            raise ShapeError(f"pipeline/src/deps.rs: `Deps` fields {fields} are not ports")
        # `deps.<field>` means the same port in the HTTP API's bundle, or the walk would
        # follow the wrong trait's implementations.
        api = self._file(*API_DEPS_MODULE).text
        block = re.search(r"pub struct ApiDeps<'a>\s*\{([^}]*)\}", api)
        if not block:
            raise ShapeError("pipeline/src/api/mod.rs: no `pub struct ApiDeps<'a> { … }`")
        api_fields = dict(re.findall(r"pub (\w+):\s*&'a dyn (\w+)", block.group(1)))
        if not api_fields:
            raise ShapeError("pipeline/src/api/mod.rs: `ApiDeps` has no `&'a dyn Port` fields")
        for name, trait in api_fields.items():
            if fields.get(name, trait) != trait or trait not in self.port_traits:
                raise ShapeError(f"ApiDeps.{name} is a {trait} but Deps.{name} is a "
                                 f"{fields.get(name)}: give them one meaning")
            fields[name] = trait
        return fields

    def method(self, crate: str, module: str, owner: str, name: str) -> Function:
        for fn in self._file(crate, module).functions:
            if fn.owner == owner and fn.name == name:
                return fn
        raise ShapeError(f"{crate}/src/{module}: {owner}::{name} is missing")

    def command_owners(self) -> dict[str, str | None]:
        """Command -> the role that carries it out (None: anyone), read from the engine's
        `Command::handover` match and `Role::of_carrier`."""
        src, module, owner, name = HANDOVER
        handover = [fn for f in read_crate("engine", WORKSPACE / src) if f.module == module
                    for fn in f.functions if fn.owner == owner and fn.name == name]
        if len(handover) != 1:
            raise ShapeError(f"{src}/{module}: {owner}::{name} is missing")
        body = handover[0].body
        blocks = match_blocks(body, "self")
        if len(blocks) != 1:
            raise ShapeError("Command::handover no longer is one `match self`")
        carriers = self.carrier_roles()
        owners: dict[str, str | None] = {}
        for arm in arms(body, *blocks[0]):
            outcome = body[arm.start:arm.end].split("=>", 1)[1]
            carrier = re.findall(r"Carrier::(\w+)", outcome)
            if carrier and "return None" not in outcome and len(set(carrier)) == 1:
                if carrier[0] not in carriers:
                    raise ShapeError(f"Role::of_carrier does not name Carrier::{carrier[0]}")
                role = carriers[carrier[0]]
            elif not carrier and re.search(r"\breturn None\b", outcome):
                role = None
            else:
                raise ShapeError(f"Command::handover: arm `{arm.head}` names neither one "
                                 "carrier nor `return None`")
            for command in re.findall(r"Command::(\w+)", arm.head):
                owners[command] = role
        if not owners:
            raise ShapeError("Command::handover names no command")
        return owners

    def carrier_roles(self) -> dict[str, str]:
        """`Role::of_carrier`: carrier -> role."""
        body = self.method(*OF_CARRIER).body
        blocks = match_blocks(body, "carrier")
        if len(blocks) != 1:
            raise ShapeError("Role::of_carrier no longer is one `match carrier`")
        result = {}
        for arm in arms(body, *blocks[0]):
            role = re.search(r"Role::(\w+)", body[arm.start:arm.end].split("=>", 1)[1])
            for carrier in re.findall(r"Carrier::(\w+)", arm.head):
                if role is None:
                    raise ShapeError(f"Role::of_carrier: Carrier::{carrier} names no role")
                result[carrier] = role.group(1)
        return result

    def roles(self) -> set[str]:
        text = self._file("pipeline", "role.rs").text
        enum = re.search(r"pub enum Role\s*\{([^}]*)\}", text)
        if not enum:
            raise ShapeError("pipeline/src/role.rs: no `enum Role`")
        return set(re.findall(r"\b([A-Z]\w+)\s*,", enum.group(1) + ","))

    # --- the walk -------------------------------------------------------------------------

    def reach(self, binary: str) -> Reach:
        """Everything `crates/functions/src/bin/<binary>.rs` can reach."""
        main = [fn for fn in self._file("lambda-functions", f"bin/{binary}.rs").functions
                if fn.name == "main"]
        if not main:
            raise ShapeError(f"crates/functions/src/bin/{binary}.rs has no `main`")
        role = re.search(r"Role::(\w+)", main[0].body)
        if role and role.group(1) not in self.roles():
            raise ShapeError(f"bin/{binary}.rs: `main` names {role.group(0)}, no pipeline role")
        reach = Reach(binary, role.group(1) if role else None)
        owners = self.command_owners()
        guard = self.method(*DISPATCH_GUARD[:4]).body
        compact = re.sub(r"\s+", "", guard)
        if not all(g.replace(" ", "") in compact for g in DISPATCH_GUARD[4]) \
                or "self.execute(" not in guard \
                or compact.find("continue;") > compact.find("self.execute("):
            raise ShapeError("Executor::carry_out no longer hands over the commands of another "
                             "role's carrier before `execute`: the per-role pruning is unsound")
        queue = list(main)
        while queue:
            fn = queue.pop()
            if fn.key in reach.functions:
                continue
            reach.functions.add(fn.key)
            reach.bodies[fn.key] = fn
            body = self._pruned(fn, reach.role, owners)
            reach.named_types |= set(re.findall(r"\b([A-Z]\w*)::", body))
            reach.calls += self._sdk_calls(fn, body)
            queue += self._callees(fn, body, reach)
        return reach

    def _pruned(self, fn: Function, role: str | None, owners: dict[str, str | None]) -> str:
        body = fn.body
        cuts = []
        if role is None and (match_blocks(body, r"(?:self\.)?role")
                             or (fn.crate, fn.module, fn.owner, fn.name) == DISPATCH):
            raise ShapeError(f"{fn.where()} depends on the pipeline role, but the binary's "
                             "`main` names none: the walk cannot tell which arms run")
        for a, b in match_blocks(body, r"(?:self\.)?role"):
            for arm in arms(body, a, b):
                named = set(re.findall(r"Role::(\w+)", arm.head))
                if named and role not in named:
                    cuts.append((arm.start, arm.end))
        if (fn.crate, fn.module, fn.owner, fn.name) == DISPATCH:
            blocks = match_blocks(body, "command")
            if len(blocks) != 1:
                raise ShapeError("Executor::execute no longer is one `match command`")
            for arm in arms(body, *blocks[0]):
                commands = re.findall(r"Command::(\w+)", arm.head)
                if not commands:
                    raise ShapeError(f"Executor::execute: arm `{arm.head}` names no command")
                unknown = [c for c in commands if c not in owners]
                if unknown:
                    raise ShapeError(f"Command::handover does not name {unknown}")
                if all(owners[c] not in (None, role) for c in commands):
                    cuts.append((arm.start, arm.end))
        for a, b in sorted(cuts, reverse=True):
            body = body[:a] + " " * (b - a) + body[b:]
        return body

    def _sdk_calls(self, fn: Function, body: str) -> list[SdkCall]:
        text = self.full_text[(fn.crate, fn.module)]
        used = [c for ident, c in self.sdk.items() if re.search(rf"\b{ident}\b", text)]
        calls = []
        for m in re.finditer(r"\.(\w+)\(\)", body):
            for crate in used:
                if m.group(1) in crate.operations:
                    end = body.find(".send()", m.end())
                    chain = body[m.start(): end if end != -1 else len(body)]
                    calls.append(SdkCall(crate.service, snake_to_pascal(m.group(1)),
                                         fn.crate, fn.module, fn.where(), chain))
        return calls

    def _callees(self, fn: Function, body: str, reach: Reach) -> list[Function]:
        found: list[Function] = []
        # Port calls through the handlers' dependencies.
        for field_name, method in re.findall(r"\bdeps\.(\w+)\.(\w+)\(", body):
            trait = self.deps_fields.get(field_name)
            if trait is None:
                continue
            reach.ports.add((trait, method))
            impls = [m for methods in self.by_owner.values() for m in methods.get(method, [])
                     if m.trait == trait and m.crate != "pipeline"]
            if not impls:
                raise ShapeError(f"no implementation of {trait}::{method} in the function crates")
            found += impls
        # A port reached another way (`let ledger = &deps.ledger; ledger.release(…)`) would
        # escape the walk: refuse it rather than under-count.
        for field_name, method in re.findall(r"(?<!deps\.)(?<![\w.])(\w+)\.(\w+)\(", body):
            trait = self.deps_fields.get(field_name)
            if trait and any(m.trait == trait for methods in self.by_owner.values()
                             for m in methods.get(method, [])):
                raise ShapeError(f"{fn.where()}: `{field_name}.{method}(` calls the {trait} port "
                                 "without `deps.`: code_calls.py cannot follow it")
        # self.f(), Self::f()
        if fn.owner:
            for name in re.findall(r"(?<![\w.])(?:self\.|Self::)(\w+)\(", body):
                found += self.by_owner.get(fn.owner, {}).get(name, [])
        # Type::f(), module::f(), crate::f()
        for qualifier, name in re.findall(r"(\w+)::(\w+)\(", body):
            if qualifier == "Self":
                continue
            if qualifier in self.by_owner:
                found += self.by_owner[qualifier].get(name, [])
            for f in self.files:
                if qualifier in f.module_names or qualifier == f.crate.replace("-", "_"):
                    found += self.free.get((f.crate, f.module), {}).get(name, [])
        # f(): a free function of this file, or one it imports.
        file = self.file_of[(fn.crate, fn.module)]
        imports = " ".join(re.findall(r"\buse\s+[^;]+;", file.text))
        for name in re.findall(r"(?<![\w.:!&'])(\w+)\(", body):
            if name in KEYWORDS:
                continue
            local = self.free.get((fn.crate, fn.module), {}).get(name)
            if local:
                found += local
            elif re.search(rf"\b{name}\b", imports):
                found += self.free_by_name.get(name, [])
        # x.f() on a local or a field: by name among the crates' methods.
        for name in re.findall(r"(?<![\w.:])(?!self\.)[a-z_]\w*\.(\w+)\(", body):
            found += self.by_method_name(name, reach)
        for name in re.findall(r"\bself\.[a-z_]\w*\.(\w+)\(", body):
            found += self.by_method_name(name, reach)
        # f(…).g(): followed only when `g` is no SDK builder method.
        for name in re.findall(r"[)?]\.(\w+)\(", body):
            if name not in self.sdk_method_names:
                found += self.by_method_name(name, reach)
        return found

    def by_method_name(self, name: str, reach: Reach) -> list[Function]:
        """The crates' methods called `name`; of the crates' own traits (`Handler::invoke`),
        only the implementations for types a reached body names (`QueueFunction::new(…)`):
        `runner::run` serves the handler its caller built, not every handler."""
        return [fn for fn in self.by_name.get(name, [])
                if fn.trait not in self.own_traits or fn.owner in reach.named_types]
