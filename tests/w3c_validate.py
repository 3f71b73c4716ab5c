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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validator", type=Path, required=True, help="feedvalidator's src/")
    parser.add_argument("--output", type=Path, required=True, help="a built output dir")
    parser.add_argument("--base", default="https://example.com/", help="feed_base_url")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.validator))
    from feedvalidator.formatter.text_plain import Formatter

    files = sorted(args.output.glob("feeds/**/*.xml"))
    failed = 0
    warned: Counter[str] = Counter()
    for path in files:
        errors, warnings = validate(path, args.base + str(path.relative_to(args.output)))
        failed += bool(errors)
        warned.update(type(w).__name__ for w in warnings)
        for line in Formatter(errors + warnings):
            print(f"{path.relative_to(args.output)}: {line}")
    print(f"{len(files)} files, {failed} with errors; warnings: {dict(warned) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
