"""A progress display that records what a build shows, for tests of what the stages do."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Recording:
    """Each stage begun (with its total) and every step it advanced, in order."""

    events: list[tuple[str, str, int | None]] = field(default_factory=list)
    current: str = ""

    def begin(self, name: str, total: int | None) -> None:
        self.current = name
        self.events.append(("begin", name, total))

    def advance(self, steps: int) -> None:
        self.events.append(("advance", self.current, steps))

    def end(self) -> None:
        self.events.append(("end", self.current, None))

    def stages(self) -> list[str]:
        return [name for kind, name, _ in self.events if kind == "begin"]

    def totals(self) -> dict[str, int | None]:
        return {name: total for kind, name, total in self.events if kind == "begin"}

    def steps(self, name: str) -> list[int]:
        return [n or 0 for kind, stage, n in self.events if kind == "advance" and stage == name]
