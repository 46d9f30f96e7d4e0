"""What the roster import reports: a file it cannot read, and a row it refuses."""
from dataclasses import dataclass


class RosterFormatError(Exception):
    """The file itself cannot be read as a roster (one clear message in Chinese)."""


@dataclass
class RowError:
    sheet: str
    line: int
    messages: list[str]

    def __str__(self) -> str:
        return f"{self.sheet} 第 {self.line} 行：" + "；".join(self.messages)
