"""What a patch relies on in moto or werkzeug, checked before it is applied.

Every patch in this package replaces or wraps a private attribute. A moto or werkzeug upgrade may
rename it, change its parameters or rewrite the code the patch depends on; applying the patch
anyway would fail far from the cause (a hung stream, a lost write). So each patch declares the
internals it relies on, :func:`check` compares them with what is installed, and a mismatch raises
:class:`PatchOutdated` naming the patch, the internal and the versions.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class PatchOutdated(RuntimeError):
    """An emulator patch no longer fits the installed moto/werkzeug: re-check it against the new version."""


@dataclass(frozen=True)
class Internal:
    """One attribute a patch relies on, as it was in the version the patch was written against.

    ``params``: the callable's parameter names, in order. ``source``: fragments of its source the
    patch depends on (e.g. the call it intercepts). ``kind``: the type a plain attribute must have.
    """

    module: str
    qualname: str
    params: tuple[str, ...] | None = None
    source: tuple[str, ...] = ()
    kind: type | None = None

    @property
    def name(self) -> str:
        return f"{self.module}.{self.qualname}"

    def resolve(self) -> Any:
        value: Any = importlib.import_module(self.module)
        for part in self.qualname.split("."):
            value = getattr(value, part)
        return inspect.unwrap(value) if callable(value) and not isinstance(value, type) else value

    def problems(self) -> list[str]:
        try:
            value = self.resolve()
        except (ImportError, AttributeError) as exc:
            return [f"{self.name} is gone ({exc})"]
        found: list[str] = []
        if self.kind is not None and not isinstance(value, self.kind):
            found.append(f"{self.name} is a {type(value).__name__}, not a {self.kind.__name__}")
        if self.params is not None:
            params = tuple(inspect.signature(value).parameters)
            if params != self.params:
                found.append(f"{self.name} takes {params}, not {self.params}")
        if self.source:
            text = inspect.getsource(value)
            found.extend(
                f"{self.name} no longer contains {fragment!r}" for fragment in self.source if fragment not in text
            )
        return found


def installed_versions() -> str:
    return ", ".join(f"{name} {importlib.metadata.version(name)}" for name in ("moto", "werkzeug"))


def check(patch: str, written_against: str, internals: tuple[Internal, ...]) -> None:
    """Raise :class:`PatchOutdated` when any internal ``patch`` relies on has changed."""
    problems = [problem for internal in internals for problem in internal.problems()]
    if problems:
        raise PatchOutdated(
            f"emulator patch {patch!r} (written against {written_against}; installed: {installed_versions()}) "
            f"relies on internals that changed: {'; '.join(problems)}"
        )


SetAttr = Callable[[Any, str, Any], None]
"""How a patch sets an attribute: ``setattr`` in the runtime, ``monkeypatch.setattr`` in tests (undone after)."""
