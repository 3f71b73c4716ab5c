"""Run the W3C Feed Validation Service's validator (github.com/w3c/feedvalidator, not
vendored) over built RSS and Atom files, as feeds served from ``--base``.

It needs the validator's ``src/`` folder and its dependencies (lxml, html5lib, rdflib), in
an environment of their own::

    python -m venv /tmp/fv && /tmp/fv/bin/pip install lxml html5lib rdflib
    /tmp/fv/bin/python tests/w3c_validate.py --validator FEEDVALIDATOR/src \\
        --output OUTPUT_DIR --base https://example.com/

Prints each file's errors and warnings (the validator's own messages) and a summary; exits 1
when a file has an error.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any


def validate(path: Path, url: str) -> tuple[list[Any], list[Any]]:
    """The validator's errors and warnings for one file served at ``url``."""
    import feedvalidator
    from feedvalidator.logging import Error, Warning

    events = feedvalidator.validateString(path.read_bytes(), firstOccurrenceOnly=1, base=url)
    logged = events["loggedEvents"]
    return [e for e in logged if isinstance(e, Error)], [
        e for e in logged if isinstance(e, Warning)
    ]


def report(path: Path, output: Path, base: str) -> tuple[bool, list[str], list[str]]:
    """Whether ``path`` (in ``output``) has an error; its messages and warnings' names."""
    from feedvalidator.formatter.text_plain import Formatter

    errors, warnings = validate(path, base + str(path.relative_to(output)))
    lines = [f"{path.relative_to(output)}: {line}" for line in Formatter(errors + warnings)]
    return bool(errors), lines, [type(w).__name__ for w in warnings]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validator", type=Path, required=True, help="feedvalidator's src/")
    parser.add_argument("--output", type=Path, required=True, help="a built output dir")
    parser.add_argument("--base", default="https://example.com/", help="feed_base_url")
    parser.add_argument("--jobs", type=int, default=1, help="files validated at once")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.validator))

    files = sorted(args.output.glob("feeds/**/*.xml"))
    failed = 0
    warned: Counter[str] = Counter()
    with ProcessPoolExecutor(args.jobs) as pool:  # the validator is pure Python, a file a second
        outputs = [args.output] * len(files)
        for error, lines, warnings in pool.map(
            report, files, outputs, [args.base] * len(files), chunksize=8
        ):
            failed += error
            warned.update(warnings)
            for line in lines:
                print(line)
    print(f"{len(files)} files, {failed} with errors; warnings: {dict(warned) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
