"""Each emulator patch still fits the installed moto/werkzeug, and the behaviour it patches in holds."""

from __future__ import annotations

import pkgutil

import pytest

from infra import patches
from infra.patches import PATCHES, PatchOutdated, dynamodb_lock, internals, transact_rollback
from infra.patches.internals import Internal


@pytest.mark.parametrize("patch", PATCHES, ids=lambda patch: patch.__name__.rsplit(".", 1)[-1])
def test_the_internals_each_patch_relies_on_are_unchanged(patch):
    # Raises PatchOutdated naming the patch, the internal and the installed versions after an upgrade
    # that renamed, re-signed or rewrote what the patch wraps: re-check the patch against the new code.
    internals.check(patch.__name__, patch.WRITTEN_AGAINST, patch.RELIES_ON)
    assert patch.RELIES_ON, f"{patch.__name__} declares no internals"


@pytest.mark.parametrize("patch", PATCHES, ids=lambda patch: patch.__name__.rsplit(".", 1)[-1])
def test_each_patch_says_what_it_fixes_and_the_version_it_was_written_against(patch):
    assert patch.WRITTEN_AGAINST in (patch.__doc__ or ""), patch.__name__


def test_every_patch_module_is_applied():
    modules = {
        f"infra.patches.{info.name}" for info in pkgutil.iter_modules(patches.__path__) if info.name != "internals"
    }
    assert modules == {patch.__name__ for patch in PATCHES}


def test_a_changed_signature_stops_the_patch_naming_it(monkeypatch):
    from moto.dynamodb.responses import DynamoHandler

    monkeypatch.setattr(DynamoHandler, "call_action", lambda self, strict: None)
    with pytest.raises(PatchOutdated, match=r"infra\.patches\.dynamodb_lock.*DynamoHandler\.call_action takes"):
        dynamodb_lock.apply(monkeypatch.setattr)


def test_rewritten_source_stops_the_patch_naming_it(monkeypatch):
    from moto.dynamodb.models import DynamoDBBackend

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", lambda self, transact_items: None)
    with pytest.raises(
        PatchOutdated, match=r"infra\.patches\.transact_rollback.*no longer contains 'copy\.deepcopy\('"
    ):
        transact_rollback.apply(monkeypatch.setattr)


def test_a_vanished_internal_is_reported_gone():
    gone = Internal("moto.dynamodb.models", "DynamoDBBackend.no_such_method")
    assert gone.problems() == [
        "moto.dynamodb.models.DynamoDBBackend.no_such_method is gone "
        "(type object 'DynamoDBBackend' has no attribute 'no_such_method')"
    ]
    missing_module = Internal("moto.no_such_service", "Backend")
    assert "is gone" in missing_module.problems()[0]
