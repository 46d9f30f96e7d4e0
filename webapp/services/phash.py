"""Perceptual photo hashes (pHash, DCT of a 32×32 grey image), pure Python on top of Pillow.

A photo gets one 64-bit hash of the whole frame and a few of its sub-frames (`VARIANTS`): a copy
that was cropped by up to ~10% looks like one of those sub-frames, which a single whole-image hash
does not catch (a 5% crop moves pHash by ~10 bits). Resizing, recompression, brightness and a
re-photographed screen move the hash by a few bits only.

Lookup at scale: each 64-bit hash is cut into four 16-bit bands stored in an indexed table. Two
hashes within Hamming distance d ≤ 7 have at least one band that differs in at most one bit
(pigeonhole over 4 bands), so probing every band's value and its 16 one-bit neighbours (68 exact
index lookups) finds all of them; the candidates are then checked on the full hash.
No Flask here: bytes or images in, integers out.
"""
from __future__ import annotations

import io
import math
from functools import lru_cache

from PIL import Image, ImageFilter, ImageOps

SIZE = 32  # the grey image the DCT is taken of
LOW = 8  # the low-frequency 8×8 block (minus DC) gives the 64 bits
BANDS = 4
BAND_BITS = 16
BAND_MASK = (1 << BAND_BITS) - 1

# (name, (left, top, right, bottom) as fractions of the frame) — the whole frame first
VARIANTS: tuple[tuple[str, tuple[float, float, float, float]], ...] = (
    ("full", (0.0, 0.0, 1.0, 1.0)),
    ("c90", (0.05, 0.05, 0.95, 0.95)),
    ("c95", (0.025, 0.025, 0.975, 0.975)),
    ("l90", (0.10, 0.0, 1.0, 1.0)),
    ("r90", (0.0, 0.0, 0.90, 1.0)),
    ("t90", (0.0, 0.10, 1.0, 1.0)),
    ("b90", (0.0, 0.0, 1.0, 0.90)),
    ("tl", (0.06, 0.06, 1.0, 1.0)),
    ("tr", (0.0, 0.06, 0.94, 1.0)),
    ("bl", (0.06, 0.0, 1.0, 0.94)),
    ("br", (0.0, 0.0, 0.94, 0.94)),
)
VARIANT_NAMES = tuple(name for name, _ in VARIANTS)
# a new photo is looked up by these: its whole frame, and the frame without a thin border (a photo
# of a screen shows the bezel around the picture)
QUERY_VARIANTS = ("full", "c95", "c90")


@lru_cache(maxsize=1)
def _dct_rows() -> tuple[tuple[float, ...], ...]:
    """The first LOW rows of the orthonormal DCT-II matrix of size SIZE."""
    rows = []
    for k in range(LOW):
        scale = math.sqrt((1 if k == 0 else 2) / SIZE)
        rows.append(tuple(scale * math.cos(math.pi * (2 * n + 1) * k / (2 * SIZE)) for n in range(SIZE)))
    return tuple(rows)


def _hash_grey(img: Image.Image) -> int:
    """pHash of a grey image: DCT of the 32×32 shrink, the 8×8 low frequencies against their median."""
    small = img.resize((SIZE, SIZE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    px = small.tobytes()  # mode L: one byte per pixel
    rows = _dct_rows()
    # columns first: for every image row, the LOW coefficients along x
    tmp = []
    for y in range(SIZE):
        line = px[y * SIZE:(y + 1) * SIZE]
        tmp.append([sum(c * v for c, v in zip(r, line)) for r in rows])
    coeffs = []
    for ky in range(LOW):
        r = rows[ky]
        for kx in range(LOW):
            coeffs.append(sum(r[y] * tmp[y][kx] for y in range(SIZE)))
    ac = coeffs[1:]  # DC only says how bright the picture is
    med = sorted(ac)[len(ac) // 2]
    bits = 0
    for c in coeffs:
        bits = (bits << 1) | (1 if c > med else 0)
    return bits


def prepare(img: Image.Image) -> Image.Image:
    """Grey, orientation applied, shrunk so the variants are cheap; a slight blur evens out
    re-encoding noise and the moiré of a photographed screen."""
    grey = ImageOps.exif_transpose(img).convert("L")
    if max(grey.size) > 256:
        grey = grey.copy()
        grey.thumbnail((256, 256), Image.Resampling.BILINEAR)
    return grey.filter(ImageFilter.BoxBlur(1))


def variant_hashes(img: Image.Image, names: tuple[str, ...] = VARIANT_NAMES) -> dict[str, int]:
    grey = prepare(img)
    w, h = grey.size
    out = {}
    for name, (left, top, right, bottom) in VARIANTS:
        if name in names:
            x0, y0 = round(left * w), round(top * h)
            box = (x0, y0, max(round(right * w), x0 + 1), max(round(bottom * h), y0 + 1))
            out[name] = _hash_grey(grey.crop(box))
    return out


def from_bytes(data: bytes, names: tuple[str, ...] = VARIANT_NAMES) -> dict[str, int]:
    with Image.open(io.BytesIO(data)) as img:
        img.draft("L", (256, 256))  # JPEG: decode at a reduced scale
        return variant_hashes(img, names)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def bands(h: int) -> list[int]:
    """The four 16-bit bands, most significant first."""
    return [(h >> (BAND_BITS * (BANDS - 1 - i))) & BAND_MASK for i in range(BANDS)]


def probes(band_value: int) -> list[int]:
    """The band value and its 16 one-bit neighbours."""
    return [band_value] + [band_value ^ (1 << i) for i in range(BAND_BITS)]


def to_signed(h: int) -> int:
    """A 64-bit hash as a signed BIGINT (both databases store signed 64-bit integers)."""
    return h - (1 << 64) if h >= (1 << 63) else h


def from_signed(v: int) -> int:
    return v + (1 << 64) if v < 0 else v


def to_hex(h: int) -> str:
    return f"{h:016x}"
