"""Photo memory: the peak memory one upload costs while services/photos.process() checks
and re-encodes it, each case in a fresh process.

The files are made first (in this process, the 6320×6320 PNG row by row), then each is processed in
its own child process, which reports its resident memory before and its peak during process()
(Linux: VmHWM, reset through /proc/self/clear_refs). The budget (PHOTO_MEMORY_BUDGET_MB, 100) is
checked from the header, so a refused file costs nothing; an accepted one must stay near it.

    .venv/bin/python bench/photo_memory.py                      # this checkout
    .venv/bin/python bench/photo_memory.py --root ../main       # the same files through another checkout
"""
from __future__ import annotations

import argparse
import io
import json
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
data = open(sys.argv[2], "rb").read()
from webapp import create_app
app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                  "UPLOAD_DIR": sys.argv[3]})
from webapp.services import photos
from webapp.web import rules as app_rules
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # peak (VmHWM) := now
with app.app_context():
    try:
        out = photos.process(data, app_rules.photos())
        result = f"stored {out.width}×{out.height}"
    except Exception as err:
        result = f"refused {getattr(err, 'status', '?')}: {getattr(err, 'message', err)}"
print(json.dumps({"before_mb": before, "peak_mb": status("VmHWM"), "result": result}, ensure_ascii=False))
"""


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def transparent_png(width: int, height: int) -> bytes:
    z = zlib.compressobj(9)
    row = b"\x00" * (1 + width * 4)
    raw = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + _chunk(b"IDAT", raw) + _chunk(b"IEND", b""))


def picture(size, mode="RGB"):
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, (110, 140, 190))
    d = ImageDraw.Draw(img)
    for i in range(300):
        x, y = (i * 397) % size[0], (i * 211) % size[1]
        d.ellipse([x, y, x + 300, y + 200], fill=((i * 40) % 256, (i * 90) % 256, (i * 20) % 256))
    return img.convert(mode) if mode != "RGB" else img


def encoded(img, fmt: str, **save) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    img.save(buf, fmt, **save)
    return buf.getvalue()


CASES = {
    "6320×6320 RGBA PNG (hostile)": lambda: transparent_png(6320, 6320),
    "4000×3000 phone JPEG": lambda: encoded(picture((4000, 3000)), "JPEG", quality=90),
    "7000×5000 JPEG (35 MP)": lambda: encoded(picture((7000, 5000)), "JPEG", quality=85),
    "4000×3000 HEIC": lambda: encoded(picture((4000, 3000)), "HEIF", quality=70),
    "4000×3000 PNG": lambda: encoded(picture((4000, 3000)), "PNG"),
    "4000×3000 RGBA PNG": lambda: encoded(picture((4000, 3000), "RGBA"), "PNG"),
    "1600×1200 JPEG (as the form sends it)": lambda: encoded(picture((1600, 1200)), "JPEG", quality=85),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=str(ROOT), help="the checkout whose webapp processes the files")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bangfu-photo-mem-") as tmp:
        for name, make in CASES.items():
            path = Path(tmp) / "upload.bin"
            data = make()
            path.write_bytes(data)
            out = subprocess.run([sys.executable, "-c", CHILD, str(Path(args.root).resolve()), str(path), tmp],
                                 capture_output=True, text=True, timeout=300, check=False)
            if out.returncode:
                print(out.stderr[-2000:])
                return 1
            r = json.loads(out.stdout.strip().splitlines()[-1])
            r.update(case=name, kb=len(data) // 1024, extra_mb=round(r["peak_mb"] - r["before_mb"]))
            rows.append(r)
            print(f"{name:<40} {r['kb']:>7} KB  +{r['extra_mb']:>4} MB  {r['result'][:90]}", flush=True)
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "photo-memory.json").write_text(json.dumps(rows, indent=2, ensure_ascii=False))
    over = [r for r in rows if r["extra_mb"] > 110]
    if over:
        print("\nOVER ~100 MB: " + ", ".join(r["case"] for r in over))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
