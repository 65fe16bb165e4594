"""How DynamoDB counts an item's size against its 400 KB limit (invariant 9: the tests assert by this count).

The rule ("Item sizes and formats" in DynamoDB's developer guide): an item is the sum of its attributes'
names and values; strings and names are their UTF-8 bytes, binaries their length, a number 1 byte per two
significant digits plus 1, null and booleans 1 byte; a map or list 3 bytes plus 1 byte per element plus
the elements (a map's element names count too); a set the sum of its elements.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

MAX_ITEM_BYTES = 400 * 1024
"""DynamoDB's item size limit."""


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """The size of ``item`` (low-level attribute format) as DynamoDB counts it."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def value_size(value: Mapping[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "B":
        return len(inner)
    if kind == "N":
        digits = inner.lstrip("-").upper().split("E")[0].replace(".", "").strip("0")
        return math.ceil(len(digits) / 2) + 1
    if kind in ("SS", "NS", "BS"):
        return sum(value_size({kind[0]: element}) for element in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    return 1  # NULL, BOOL
