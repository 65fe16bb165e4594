"""A cheaper recursion guard for LocalStack's legacy CloudFormation engine (``engine-legacy-host``).

The engine resolves every resource's references with functions under LocalStack's
``prevent_stack_overflow``, which calls ``inspect.stack()`` on every recursive call: that builds a
``FrameInfo`` for each frame on the stack, with its code position and its source line read through
``linecache``. Sampled during a deploy of this template, the engine's thread spent all its time there,
5-13 s per resource on a loaded machine (over ten minutes for the stack). The guard only compares each
frame's function name and arguments: this gives it the same frames, walked with ``f_back``, with neither
positions nor source. Its decisions are unchanged.
"""

from __future__ import annotations

import inspect
import sys
import types
from typing import Any, NamedTuple


class Frame(NamedTuple):
    """What the guard reads of ``inspect.FrameInfo``, by the same names and positions."""

    frame: types.FrameType
    filename: str
    lineno: int
    function: str
    code_context: None = None
    index: None = None


def stack(context: int = 1) -> list[Frame]:
    """The caller's stack, innermost first, as ``inspect.stack`` orders it (``context`` is ignored)."""
    frames, frame = [], sys._getframe(1)
    while frame is not None:
        frames.append(Frame(frame, frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
        frame = frame.f_back
    return frames


class _InspectForTheGuard(types.ModuleType):
    """``inspect`` as the guard's module sees it: this ``stack``, the real module for everything else."""

    def __init__(self) -> None:
        super().__init__("inspect")
        self.stack = stack

    def __getattr__(self, name: str) -> Any:
        return getattr(inspect, name)


def patch() -> None:
    from localstack.utils import functions

    if not isinstance(functions.inspect, _InspectForTheGuard):
        functions.inspect = _InspectForTheGuard()
