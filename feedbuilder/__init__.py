"""feedbuilder: a folder of posts in, per-category RSS 2.0 and Atom 1.0 feeds out."""

from __future__ import annotations

__version__ = "0.1.0"

from .config import Config, ConfigError, load_config
from .models import BuildReport, Problem, Severity
from .output.writer import LockedError, OutputError
from .pipeline import build, check

__all__ = [
    "BuildReport",
    "Config",
    "ConfigError",
    "LockedError",
    "OutputError",
    "Problem",
    "Severity",
    "__version__",
    "build",
    "check",
    "load_config",
]
