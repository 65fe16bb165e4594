"""A built SAM template whose functions run their built folders in place on LocalStack (standard library only).

``sam deploy`` zips every function's folder and LocalStack unpacks each zip again: with one 140 MB
package in sixteen functions that took most of a deploy here. LocalStack instead runs code straight
from a host folder when a function's code names the bucket ``hot-reload`` (its ``BUCKET_MARKER_LOCAL``)
and the folder as key; the host executor then starts the function in that folder. This rewrites each
``CodeUri: <folder>`` of ``sam build``'s output to that form; nothing else changes.

Usage: ``python mounted_code.py BUILT_TEMPLATE OUTPUT``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

BUCKET_MARKER = "hot-reload"
CODE_URI = re.compile(r"^(?P<indent>\s*)CodeUri: (?P<folder>[^\s{}\[\]]+)\s*$")


def mounted(template: str, template_dir: Path) -> tuple[str, int]:
    """The template with every CodeUri that names a folder next to it mounted; and how many."""
    lines, count = [], 0
    for line in template.splitlines(keepends=True):
        match = CODE_URI.match(line)
        folder = (template_dir / match["folder"].strip("'\"")).resolve() if match else None
        if folder is not None and folder.is_dir():
            line = f"{match['indent']}CodeUri: {{Bucket: {BUCKET_MARKER}, Key: '{folder}'}}\n"
            count += 1
        lines.append(line)
    return "".join(lines), count


def main(argv: list[str]) -> int:
    built, output = Path(argv[0]), Path(argv[1])
    text, count = mounted(built.read_text(), built.parent)
    if count == 0:
        sys.stderr.write(f"{built}: no CodeUri names a built folder\n")
        return 1
    output.write_text(text)
    sys.stderr.write(f"{output}: {count} functions run their built folders in place\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
