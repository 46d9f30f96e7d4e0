"""Bench: near-duplicate photos — detection, false matches, lookup time.

1. Detection and false matches. A corpus of distinct generated scenes (Pillow-drawn: sky and
   ground gradients, hills, houses, trees, fields, noise, in varied colours and layouts — many of
   them alike, as rural photos are) goes through the same path as an upload (re-encoded to the
   stored 1600 px JPEG and 320 px thumbnail, hashed from the thumbnail). Each scene is then copied
   with one transformation — resized, recompressed hard, cropped 5% or 10% (one side or all
   round), brightened / darkened, or re-photographed from a screen (slight perspective, blur,
   noise, colour cast, a dark border) — and each copy is looked up among the stored scenes.
   - detection rate: copies that match their own scene;
   - false-match rate: fresh scenes (never stored) that match any stored scene, and copies that
     match a scene other than their own.
2. Lookup time against 1,000,000 stored hashes (band rows for 1,000,000 hashes, in one unit) on
   SQLite and PostgreSQL: the query the app runs (`visit_flags.similar_photos`' SQL), median and
   p95 over 200 lookups.

    .venv/bin/python bench/photo_dupes.py                       # both parts, SQLite + PostgreSQL
    .venv/bin/python bench/photo_dupes.py --scenes 400 --no-db
    .venv/bin/python bench/photo_dupes.py --db sqlite --hashes 1000000
"""
from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageEnhance

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.visit_data import rephotograph  # noqa: E402
from webapp.services import phash  # noqa: E402
from webapp.services.demo_pictures import scene  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


# --- scenes ----------------------------------------------------------------------------------------

def upload(img: Image.Image, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def stored_thumb(data: bytes) -> bytes:
    """What the app hashes: the 320 px thumbnail of the re-encoded upload (services.photos)."""
    img = Image.open(io.BytesIO(data)).convert("RGB")
    big = img.copy()
    big.thumbnail((1600, 1600), Image.Resampling.LANCZOS)
    small = big.copy()
    small.thumbnail((320, 320), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=75, optimize=True)
    return buf.getvalue()


# --- transformations -------------------------------------------------------------------------------

def _crop(img, left, top, right, bottom):
    w, h = img.size
    return img.crop((round(left * w), round(top * h), round(right * w), round(bottom * h)))


def _random_crop(im, rng, total=0.07):
    a, b = rng.uniform(0, total), rng.uniform(0, total)
    return _crop(im, a, b, 1 - (total - a), 1 - (total - b))


def _resize_crop_q50(im, rng):
    small = im.resize((im.width * 2 // 3, im.height * 2 // 3))
    return Image.open(io.BytesIO(upload(_crop(small, 0.04, 0.04, 0.96, 0.96), 50))).convert("RGB")


ONE_SIDE = [(0.1, 0, 1, 1), (0, 0, 0.9, 1), (0, 0.1, 1, 1), (0, 0, 1, 0.9)]
CORNER = [(0.05, 0.05, 1, 1), (0, 0.05, 0.95, 1), (0.05, 0, 1, 0.95), (0, 0, 0.95, 0.95)]


TRANSFORMS = {
    "resize 50%": lambda im, rng: im.resize((im.width // 2, im.height // 2), Image.Resampling.BILINEAR),
    "resize 25% + q60": lambda im, rng: im.resize((im.width // 4, im.height // 4)),
    "recompress q30": lambda im, rng: Image.open(io.BytesIO(upload(im, 30))).convert("RGB"),
    "crop 5% all round": lambda im, rng: _crop(im, 0.025, 0.025, 0.975, 0.975),
    "crop 10% all round": lambda im, rng: _crop(im, 0.05, 0.05, 0.95, 0.95),
    "crop 10% one side": lambda im, rng: _crop(im, *rng.choice(ONE_SIDE)),
    "crop 10% corner": lambda im, rng: _crop(im, *rng.choice(CORNER)),
    "crop 7% random": _random_crop,
    "brighten +30%": lambda im, rng: ImageEnhance.Brightness(im).enhance(1.3),
    "darken −25% + contrast": lambda im, rng: ImageEnhance.Contrast(ImageEnhance.Brightness(im).enhance(0.75)).enhance(1.2),
    "resize + crop 8% + q50": _resize_crop_q50,
    "re-photographed screen": rephotograph,
}


# --- part 1 -----------------------------------------------------------------------------------------

def detection(n_scenes: int, n_fresh: int, threshold: int, seed: int) -> dict:
    rng = random.Random(seed)
    stored: list[dict[str, int]] = []
    copies: list[tuple[int, str, list[int]]] = []  # (scene index, transform, query hashes)
    t_hash = []
    for i in range(n_scenes):
        img = scene(seed * 100_000 + i)
        data = upload(img)
        t0 = time.perf_counter()
        stored.append(phash.from_bytes(stored_thumb(data)))
        t_hash.append(time.perf_counter() - t0)
        name = list(TRANSFORMS)[i % len(TRANSFORMS)]
        copy = TRANSFORMS[name](img, rng)
        copies.append((i, name, list(phash.from_bytes(stored_thumb(upload(copy)), phash.QUERY_VARIANTS).values())))
    fresh = [list(phash.from_bytes(stored_thumb(upload(scene(seed * 100_000 + 50_000 + j))), phash.QUERY_VARIANTS).values())
             for j in range(n_fresh)]

    def dist(q: list[int], s: dict[str, int]) -> int:
        return min(phash.hamming(a, b) for a in q for b in s.values())

    def best(q: list[int]) -> tuple[int, int]:
        return min((dist(q, s), idx) for idx, s in enumerate(stored))

    per_t: dict[str, list[int]] = {}
    raw: list[tuple[str, int, int]] = []
    wrong = 0
    dists = []
    for idx, name, h in copies:
        own = dist(h, stored[idx])
        dists.append(own)
        ok = own <= threshold
        per_t.setdefault(name, []).append(ok)
        others = min((dist(h, s) for j, s in enumerate(stored) if j != idx), default=99)
        raw.append((name, own, others))
        if others <= threshold:
            wrong += 1
    fresh_hits = 0
    fresh_best = []
    for h in fresh:
        d, _ = best(h)
        fresh_best.append(d)
        fresh_hits += d <= threshold
    caught = sum(ok for v in per_t.values() for ok in v)
    return {
        "scenes": n_scenes, "copies": len(copies), "fresh": n_fresh, "threshold": threshold,
        "detected": caught / len(copies), "per_transform": {k: sum(v) / len(v) for k, v in per_t.items()},
        "copy_dist_median": statistics.median(dists), "copy_dist_p95": sorted(dists)[int(len(dists) * 0.95) - 1],
        "false_fresh": fresh_hits / max(1, n_fresh), "false_copies": wrong / len(copies),
        "fresh_best_min": min(fresh_best) if fresh_best else None,
        "fresh_best_p1": sorted(fresh_best)[max(0, len(fresh_best) // 100 - 1)] if fresh_best else None,
        "hash_ms": statistics.median(t_hash) * 1000, "raw": raw, "fresh_raw": fresh_best,
    }


# --- part 2 -----------------------------------------------------------------------------------------

def lookup_bench(url: str, n_hashes: int, repeats: int, threshold: int) -> dict:
    """Fill photo_hash_band with n_hashes random hashes in one unit (plus noise units) and time the
    app's lookup query for hashes near a stored one."""
    from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, SmallInteger, Table, create_engine, text

    from webapp.services import photo_index

    # the app's table and index (models/evidence.py), without the foreign keys to unit and photo;
    # loaded first, indexed after (COPY on PostgreSQL), then analysed (and vacuumed on PostgreSQL, as
    # autovacuum would, so the covering index is read without visiting the table)
    index = Index("ix_phb_bench_lookup", "unit_id", "band_no", "band_value", "phash", "photo_id")
    table = Table("photo_hash_band_bench", MetaData(), Column("id", Integer, primary_key=True),
                  Column("unit_id", Integer, nullable=False), Column("band_no", SmallInteger, nullable=False),
                  Column("band_value", Integer, nullable=False), Column("photo_id", Integer, nullable=False),
                  Column("variant", SmallInteger, nullable=False), Column("phash", BigInteger, nullable=False))
    engine = create_engine(url)
    table.drop(engine, checkfirst=True)
    table.create(engine)
    index._set_parent(table)
    rng = random.Random(7)
    stored = [rng.getrandbits(64) for _ in range(n_hashes)]
    other_unit = [rng.getrandbits(64) for _ in range(n_hashes // 10)]

    def rows():
        for i, h in enumerate(stored):
            yield from photo_index.band_rows(unit_id=1, photo_id=i // len(phash.VARIANTS) + 1, variant=i % 11, h=h)
        for i, h in enumerate(other_unit):
            yield from photo_index.band_rows(unit_id=2, photo_id=10_000_000 + i, variant=0, h=h)

    cols = ("unit_id", "band_no", "band_value", "photo_id", "variant", "phash")
    t0 = time.perf_counter()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            with conn.connection.cursor() as cur:
                with cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
                    for r in rows():
                        copy.write_row(tuple(r[c] for c in cols))
        else:
            batch = []
            for r in rows():
                batch.append(r)
                if len(batch) >= 50_000:
                    conn.execute(table.insert(), batch)
                    batch = []
            if batch:
                conn.execute(table.insert(), batch)
        index.create(conn)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"VACUUM ANALYZE {table.name}" if engine.dialect.name == "postgresql" else "ANALYZE"))
    fill = time.perf_counter() - t0
    times, cpu = [], []
    found = 0
    with engine.connect() as conn:
        for k in range(repeats):
            idx = rng.randrange(n_hashes)
            target = stored[idx]
            q = target
            for bit in rng.sample(range(64), rng.randrange(0, threshold + 1)):
                q ^= 1 << bit
            t, c = time.perf_counter(), time.process_time()
            # three query hashes, as for a real photo (whole frame, frame without a border): the
            # target's neighbour and two random ones
            matches = photo_index.lookup(conn, 1, [q, rng.getrandbits(64), rng.getrandbits(64)], threshold, table=table)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            found += any(m.photo_id == idx // len(phash.VARIANTS) + 1 for m in matches)
    table.drop(engine)
    engine.dispose()
    times.sort()
    return {"hashes": n_hashes, "rows": n_hashes * phash.BANDS, "fill_s": fill,
            "median_ms": statistics.median(times) * 1000, "p95_ms": times[int(len(times) * 0.95) - 1] * 1000,
            "cpu_ms": statistics.median(cpu) * 1000, "load": os.getloadavg()[0],
            "found": found / repeats}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenes", type=int, default=600)
    ap.add_argument("--fresh", type=int, default=600)
    ap.add_argument("--threshold", type=int, default=None)
    ap.add_argument("--hashes", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--no-db", action="store_true")
    ap.add_argument("--no-detection", action="store_true")
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    from webapp.config import Default as Config

    threshold = args.threshold if args.threshold is not None else int(Config.PHOTO_DUPLICATE_MAX_BITS)
    if not args.no_detection:
        r = detection(args.scenes, args.fresh, threshold, args.seed)
        print(f"detection: {r['scenes']} scenes stored, {r['copies']} copies, {r['fresh']} fresh scenes, "
              f"threshold {r['threshold']} bits")
        print(f"  copies caught: {r['detected']:.1%} (distance to own scene median {r['copy_dist_median']}, "
              f"p95 {r['copy_dist_p95']})")
        for k, v in r["per_transform"].items():
            print(f"    {k:28s} {v:.1%}")
        print(f"  false matches: fresh scenes {r['false_fresh']:.2%} (closest min {r['fresh_best_min']}, "
              f"p1 {r['fresh_best_p1']} bits); copies matching another scene {r['false_copies']:.2%}")
        print(f"  hashing the 11 variants of one thumbnail: {r['hash_ms']:.1f} ms median "
              f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        print("  other thresholds (bits): caught / false fresh / copies matching another scene")
        for t in (2, 4, 6, 8):
            caught = sum(own <= t for _, own, _ in r["raw"]) / len(r["raw"])
            rephoto = [own <= t for name, own, _ in r["raw"] if name == "re-photographed screen"]
            fresh = sum(d <= t for d in r["fresh_raw"]) / max(1, len(r["fresh_raw"]))
            other = sum(o <= t for _, _, o in r["raw"]) / len(r["raw"])
            print(f"    {t}: {caught:.1%} (re-photographed {sum(rephoto) / max(1, len(rephoto)):.0%}) / "
                  f"{fresh:.2%} / {other:.2%}")
    if not args.no_db:
        dbs = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
        for name in dbs:
            if name == "sqlite":
                tmp = tempfile.mkdtemp(prefix="phash-bench-")
                url = f"sqlite:///{os.path.join(tmp, 'bench.sqlite')}"
            else:
                url = os.environ.get("DATABASE_URL", DEFAULT_PG)
            r = lookup_bench(url, args.hashes, args.repeats, threshold)
            print(f"lookup on {name}: {r['hashes']:,} hashes ({r['rows']:,} band rows, filled in {r['fill_s']:.0f} s): "
                  f"median {r['median_ms']:.2f} ms, p95 {r['p95_ms']:.2f} ms (this process's CPU per lookup: median "
                  f"{r['cpu_ms']:.2f} ms; load average {r['load']:.1f} on {os.cpu_count()} CPUs); "
                  f"the stored hash found {r['found']:.0%}")


if __name__ == "__main__":
    main()
