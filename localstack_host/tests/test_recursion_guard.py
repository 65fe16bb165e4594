"""The recursion guard's stack: the frames ``inspect.stack`` gives, by the fields the guard reads."""

from __future__ import annotations

import inspect

from localstack_host.recursion_guard import _InspectForTheGuard, stack


def _nested(depth: int):
    return _nested(depth - 1) if depth else (stack(), inspect.stack(0))


def test_stack_is_inspects_frames_with_their_functions_and_lines():
    ours, theirs = _nested(3)

    assert [f.frame for f in ours] == [f.frame for f in theirs]
    assert [(f.function, f.lineno, f.filename) for f in ours] == [(f.function, f.lineno, f.filename) for f in theirs]
    assert [f[2] for f in ours] == [f[2] for f in theirs]  # the guard reads the line by position too
    assert [f.function for f in ours[:4]] == ["_nested"] * 4


def test_the_module_the_guard_sees_is_inspect_but_for_stack():
    module = _InspectForTheGuard()

    assert module.stack is stack and module.signature is inspect.signature
