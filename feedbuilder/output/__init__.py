"""Output: atomic, change-aware writes into the output dir, under a lock."""

from .writer import LockedError, OutputDir, OutputError, build_lock

__all__ = ["LockedError", "OutputDir", "OutputError", "build_lock"]
