"""A SAM template whose functions run a host folder in place on LocalStack (standard library only).

``sam deploy`` zips every function's folder and LocalStack unpacks each zip again: with one 140 MB
package in sixteen functions that took most of a deploy here. LocalStack instead runs code straight
from a host folder when a function's code names the bucket ``hot-reload`` (its ``BUCKET_MARKER_LOCAL``)
and the folder as key; the host executor then starts the function in that folder.

Two forms. ``mounted_code.py BUILT_TEMPLATE OUTPUT``: each ``CodeUri: <folder>`` of ``sam build``'s
output becomes that form for its own built folder. ``mounted_code.py TEMPLATE OUTPUT --package DIR``:
every ``CodeUri`` of the source template (where one package serves every function) mounts ``DIR``, so no
``sam build`` is needed at all; the other local paths (``DefinitionUri``) become absolute, since OUTPUT
lives elsewhere. Nothing else changes.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

BUCKET_MARKER = "hot-reload"
LOCAL_URI = re.compile(r"^(?P<indent>\s*)(?P<key>CodeUri|DefinitionUri): (?P<path>[^\s{}\[\]]+)\s*$")


def _mount(indent: str, folder: Path) -> str:
    return f"{indent}CodeUri: {{Bucket: {BUCKET_MARKER}, Key: '{folder}'}}\n"


def mounted(template: str, template_dir: Path, package: Path | None = None) -> tuple[str, int]:
    """The template with its functions' code mounted, and how many CodeUris were: each built folder next to
    it, or (``package``) every CodeUri the one package, with the other local paths made absolute."""
    lines, count = [], 0
    for line in template.splitlines(keepends=True):
        match = LOCAL_URI.match(line)
        path = match["path"].strip("'\"") if match else ""
        local = (template_dir / path).resolve() if match and "://" not in path else None
        if match and match["key"] == "CodeUri" and package is not None:
            line, count = _mount(match["indent"], package.resolve()), count + 1
        elif match and match["key"] == "CodeUri" and local is not None and local.is_dir():
            line, count = _mount(match["indent"], local), count + 1
        elif match and package is not None and local is not None and local.exists():
            line = f"{match['indent']}{match['key']}: '{local}'\n"
        lines.append(line)
    return "".join(lines), count


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--package", type=Path, help="one folder every function runs (the source template)")
    args = parser.parse_args(argv)
    if args.package is not None and not args.package.is_dir():
        sys.stderr.write(f"{args.package}: no such folder\n")
        return 1
    text, count = mounted(args.template.read_text(), args.template.parent, args.package)
    if count == 0:
        sys.stderr.write(f"{args.template}: no CodeUri names a built folder\n")
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    what = f"run {args.package}" if args.package else "run their built folders"
    sys.stderr.write(f"{args.output}: {count} CodeUri {what} in place\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
