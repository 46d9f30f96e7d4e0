"""Draw the app icons (webapp/static/icons/*.png) with Pillow. Run once; the PNGs are committed.

    .venv/bin/python scripts/make_icons.py

A red rounded square with 帮 in white (Noto Sans CJK when installed, a drawn house otherwise);
the maskable variant keeps the mark inside the 80% safe zone on a full-bleed background.
"""
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

RED = (179, 38, 30)
WHITE = (255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "webapp" / "static" / "icons"
FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
         "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
SC_FACE = 2  # index of the Simplified Chinese face in the Noto CJK collections


def _font(size: int):
    for path in FONTS:
        if Path(path).exists():
            try:
                return ImageFont.truetype(path, size, index=SC_FACE if "Noto" in path else 0)
            except OSError:
                continue
    return None


def _mark(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int]) -> None:
    x0, y0, x1, y1 = box
    size = x1 - x0
    font = _font(int(size * 0.62))
    if font is not None:
        draw.text(((x0 + x1) / 2, (y0 + y1) / 2), "帮", font=font, fill=WHITE, anchor="mm")
        return
    # no CJK font: a simple house
    w = size * 0.5
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    draw.polygon([(cx - w / 2 - size * 0.06, cy), (cx, cy - w / 2 - size * 0.06), (cx + w / 2 + size * 0.06, cy)], fill=WHITE)
    draw.rectangle([cx - w / 2, cy, cx + w / 2, cy + w / 2], fill=WHITE)


def icon(size: int, maskable: bool = False) -> Image.Image:
    scale = 4  # draw big, then shrink: smooth edges
    big = size * scale
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable:
        d.rectangle([0, 0, big, big], fill=RED)
        pad = int(big * 0.18)
    else:
        d.rounded_rectangle([0, 0, big - 1, big - 1], radius=int(big * 0.22), fill=RED)
        pad = int(big * 0.12)
    _mark(d, (pad, pad, big - pad, big - pad))
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size).save(OUT / f"icon-{size}.png", optimize=True)
    icon(512, maskable=True).save(OUT / "maskable-512.png", optimize=True)
    icon(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
    icon(32).save(OUT / "favicon-32.png", optimize=True)
    print("icons written to", OUT)


if __name__ == "__main__":
    main()
