"""The photo-hash index (photo_hash_band): store a photo's perceptual hashes, find near-copies.

Each of a photo's hashes (phash.VARIANTS: the whole frame and ten sub-frames) is stored as four
rows, one per 16-bit band, scoped by unit: a lookup never crosses units. A new photo's query hashes
(phash.QUERY_VARIANTS) are looked up by probing each band's value and its 16 one-bit neighbours
through the (unit_id, band_no, band_value) index — every stored hash within 7 bits shares such a
band (pigeonhole) — and the candidates are checked on the whole 64-bit hash. No table scan.

The query is one SELECT per band joined by UNION ALL, not one SELECT with four OR-ed conditions:
PostgreSQL reads each part as an index-only scan of the covering index, where the OR form became a
bitmap scan that fetched every candidate row from the table (about 4× slower, README).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, select, union_all

from ..models import PhotoHashBand
from . import phash


def band_rows(unit_id: int, photo_id: int, variant: int, h: int) -> list[dict]:
    signed = phash.to_signed(h)
    return [{"unit_id": unit_id, "band_no": i, "band_value": b, "photo_id": photo_id, "variant": variant,
             "phash": signed} for i, b in enumerate(phash.bands(h))]


def all_rows(unit_id: int, photo_id: int, hashes: dict[str, int]) -> list[dict]:
    out = []
    for no, name in enumerate(phash.VARIANT_NAMES):
        if name in hashes:
            out.extend(band_rows(unit_id, photo_id, no, hashes[name]))
    return out


@dataclass(frozen=True)
class Match:
    photo_id: int
    bits: int  # Hamming distance of the closest pair of hashes


def lookup(conn, unit_id: int, hashes: list[int], threshold: int, table: Table | None = None,
           exclude: set[int] | None = None) -> list[Match]:
    """Stored photos of the unit with a hash within `threshold` bits (≤ 7) of one of `hashes`,
    closest first. `conn` is a Session or Connection."""
    t = table if table is not None else PhotoHashBand.__table__
    per_band: list[set[int]] = [set() for _ in range(phash.BANDS)]
    for h in hashes:
        for i, b in enumerate(phash.bands(h)):
            per_band[i].update(phash.probes(b))
    parts = [select(t.c.photo_id, t.c.phash).where(t.c.unit_id == unit_id, t.c.band_no == i, t.c.band_value.in_(sorted(values)))
             for i, values in enumerate(per_band)]
    rows = conn.execute(union_all(*parts)).all()
    best: dict[int, int] = {}
    for photo_id, stored in rows:
        if exclude and photo_id in exclude:
            continue
        s = phash.from_signed(stored)
        d = min(phash.hamming(s, h) for h in hashes)
        if d <= threshold and d < best.get(photo_id, 99):
            best[photo_id] = d
    return [Match(pid, bits) for pid, bits in sorted(best.items(), key=lambda kv: (kv[1], kv[0]))]
