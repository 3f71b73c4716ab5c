"""The benchmark runs end to end at a tiny size, so it cannot rot. No timing is asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def test_benchmark_prints_a_table(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(RUN), "--sizes", "120", "--repeat", "1", "--work-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| 120 |")]
    steps = [row.split("|")[2].strip() for row in rows]
    assert len(steps) == 5 and steps[0].startswith("floor")
    unchanged = next(row for row in rows if "nothing changed" in row)
    assert unchanged.rstrip(" |").endswith("| 0")  # the no-change rebuild wrote no file
