"""feedbuilder: a folder of posts in, per-category RSS 2.0 and Atom 1.0 feeds out."""

from __future__ import annotations

__version__ = "0.1.0"

from .config import Config, load_config
from .errors import (
    ConfigError,
    FeedbuilderError,
    LockedError,
    OutputError,
    WorkerError,
    WouldEmptySiteError,
)
from .models import BuildReport, Problem, Severity
from .pipeline import build, check, scan_posts
from .pool import Workers

__all__ = [
    "BuildReport",
    "Config",
    "ConfigError",
    "FeedbuilderError",
    "LockedError",
    "OutputError",
    "Problem",
    "Severity",
    "WorkerError",
    "Workers",
    "WouldEmptySiteError",
    "__version__",
    "build",
    "check",
    "load_config",
    "scan_posts",
]
