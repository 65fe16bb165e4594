"""The embedded runtime's patches to moto and werkzeug internals, one module each.

Each module says what moto or werkzeug does wrong or too slowly, what the patch does and the
version it was written against, and declares the private internals it relies on
(``RELIES_ON``); ``apply`` checks them first and raises :class:`PatchOutdated`, naming the
patch, when an upgrade changed one. ``tests/unit/infra/test_patches.py`` runs the same check for
each patch and tests the patched behaviour.

- :mod:`.metering`: every request metered for the cost model.
- :mod:`.dynamodb_lock`: DynamoDB and DynamoDB Streams requests serialised (moto's backend is not thread-safe).
- :mod:`.dynamodb_json`: DynamoDB's item-bearing answers dumped as JSON (moto's serializer was 45% of the CPU).
- :mod:`.dynamodb_partition`: a Query on a table's key reads its partition, not the whole table sorted.
- :mod:`.transact_rollback`: ``TransactWriteItems`` rolls back in place (no deep copy; stream iterators survive).
- :mod:`.dispatch_memo`: the server's per-request service inference memoised.
- :mod:`.lambda_invoke`: Lambda Invoke runs the runtime's in-process functions.
- :mod:`.sfn_lambda_client`: Step Functions' Lambda tasks reuse one client per region.
- :mod:`.sfn_lambda_errors`: a failed Invoke is ``Lambda.<code>`` to Step Functions, as on AWS.
- :mod:`.listen_backlog`: the server's socket listens with a deeper backlog (werkzeug).
"""

from __future__ import annotations

from types import ModuleType

from . import (
    dispatch_memo,
    dynamodb_json,
    dynamodb_lock,
    dynamodb_partition,
    lambda_invoke,
    listen_backlog,
    metering,
    sfn_lambda_client,
    sfn_lambda_errors,
    transact_rollback,
)
from .internals import PatchOutdated, SetAttr

PATCHES: tuple[ModuleType, ...] = (
    metering,  # before dynamodb_lock, which wraps the (then metered) inherited call_action of DynamoDB Streams
    dynamodb_lock,
    dynamodb_json,
    dynamodb_partition,
    transact_rollback,
    dispatch_memo,
    lambda_invoke,
    sfn_lambda_client,
    sfn_lambda_errors,
    listen_backlog,
)


def apply_all(set_attr: SetAttr = setattr) -> None:
    """Apply every patch, in order; ``set_attr=monkeypatch.setattr`` makes them undoable (tests)."""
    for patch in PATCHES:
        patch.apply(set_attr)


__all__ = ["PATCHES", "PatchOutdated", "apply_all"]
