"""Roster import (花名册): read the files offices really have, check every row, preview, then
import all or nothing into the importing unit.

    reading.py    .xlsx / .xls / .csv → rows of values, bounded (sizes, rows, columns, zip bombs)
    layout.py     header rows, synonyms, kinds of sheet, data rows (合计 and footers skipped)
    ids.py        ID numbers: normalised, checked, Excel-cut ones caught
    values.py     every other cell: sizes, causes, statuses, phones, dates, school stages
    analysis.py   files → households and members (no database; runs outside any transaction)
    importing.py  plan against the unit's data (batched lookups) and write
    pending.py    an uploaded file kept for the office admin's confirmation
"""
from collections.abc import Mapping
from dataclasses import dataclass, field

from ...config import Default
from ...models import Unit, User
from ..rules import PairingRules
from .analysis import Options, Parsed, SheetReport, parse
from .errors import RosterFormatError, RowError
from .importing import Plan, Result, plan, record_refusals, write
from .layout import synonym_table
from .reading import Limits

__all__ = ["Limits", "Options", "Parsed", "Plan", "Result", "RosterFormatError", "RowError", "Settings",
           "SheetReport", "import_roster", "preview", "record_refusals", "settings_from", "write"]


@dataclass(frozen=True)
class Settings:
    synonyms: dict[str, str] = field(default_factory=lambda: synonym_table(Default.ROSTER_HEADER_SYNONYMS))
    limits: Limits = Limits()
    pairings: PairingRules = PairingRules()


def settings_from(config: Mapping, pairings: PairingRules) -> Settings:
    """The import's settings from the app's config (header synonyms, size limits) and the pairing
    rules the rest of the app uses (the household limit)."""
    return Settings(
        synonyms=synonym_table(config.get("ROSTER_HEADER_SYNONYMS") or Default.ROSTER_HEADER_SYNONYMS,
                               config.get("ROSTER_HEADER_SYNONYMS_EXTRA")),
        limits=Limits(max_bytes=int(config.get("ROSTER_MAX_FILE_MB", Default.ROSTER_MAX_FILE_MB) * 1024 * 1024),
                      max_rows=int(config.get("ROSTER_MAX_ROWS", Default.ROSTER_MAX_ROWS))),
        pairings=pairings,
    )


def read(files: list[tuple[str, bytes]], settings: Settings, options: Options) -> Parsed:
    """The slow part, without the database: call it before any transaction is open."""
    return parse(files, settings.synonyms, settings.limits, options)


def preview(parsed: Parsed, unit: Unit, settings: Settings) -> Plan:
    """What importing would do (read-only queries, scoped to the unit)."""
    return plan(parsed, unit, parsed.options, settings.pairings)


def import_roster(files: list[tuple[str, bytes]], unit: Unit, by: User | None, create_villages: bool = True,
                  confirm_000: bool = False, settings: Settings | None = None) -> Plan:
    """Read, plan and (when no row is refused) write in one go; the caller commits. The returned
    plan says what was refused (plan.errors) or, when it was written, plan.result."""
    settings = settings or Settings()
    parsed = read(files, settings, Options(create_villages, confirm_000))
    p = preview(parsed, unit, settings)
    if p.ok:
        p.result = write(p, unit, by)
    return p
