"""Draw the Teams app icons: manifest/color.png (192x192) and manifest/outline.png (32x32).

The glyph is three stacked boxes with an arrow carrying them up into a cloud. Teams rules
(teams-bot notes, section 6): the colour icon is a solid square with the symbol in the centre
96x96 (48 px padding); the outline icon is pure white (RGB 255,255,255) wherever alpha > 0 and
fully transparent elsewhere, with no padding.

usage: .venv/bin/python tools/make_icons.py [OUT_DIR]   (default: manifest/)
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
ACCENT = (0x0F, 0x6C, 0xBD)  # manifest accentColor #0F6CBD
SUPERSAMPLE = 8  # draw big, then downscale: smooth edges without a font or vector library


def glyph_mask(size: int) -> Image.Image:
    """Coverage mask (mode L) of the glyph filling a size x size square."""
    big = size * SUPERSAMPLE
    mask = Image.new("L", (big, big), 0)
    d = ImageDraw.Draw(mask)

    def px(v: float) -> float:
        return v * big

    def circle(cx: float, cy: float, r: float) -> None:
        d.ellipse([px(cx - r), px(cy - r), px(cx + r), px(cy + r)], fill=255)

    # Cloud, top right: three puffs over a rounded base.
    circle(0.57, 0.29, 0.16)
    circle(0.77, 0.22, 0.19)
    circle(0.90, 0.35, 0.10)
    d.rounded_rectangle([px(0.41), px(0.27), px(1.0), px(0.45)], radius=px(0.09), fill=255)

    # Three boxes, bottom left, stacked as a small pyramid.
    for x0, y0 in ((0.0, 0.75), (0.25, 0.75), (0.125, 0.505)):
        d.rounded_rectangle([px(x0), px(y0), px(x0 + 0.22), px(y0 + 0.22)], radius=px(0.025), fill=255)
    # Tape across each box: cut a thin band back out so the boxes read as parcels.
    for x0, y0 in ((0.0, 0.75), (0.25, 0.75), (0.125, 0.505)):
        d.rectangle([px(x0 + 0.095), px(y0), px(x0 + 0.125), px(y0 + 0.09)], fill=0)

    # Arrow from the boxes up into the cloud.
    d.line([px(0.52), px(0.90), px(0.73), px(0.64)], fill=255, width=round(px(0.075)))
    d.polygon([(px(0.84), px(0.50)), (px(0.63), px(0.58)), (px(0.78), px(0.71))], fill=255)

    return mask.resize((size, size), Image.Resampling.LANCZOS)


def outline_icon() -> Image.Image:
    """32x32 white glyph on transparent; RGB stays 255 even on anti-aliased edge pixels."""
    mask = glyph_mask(32)
    img = Image.new("RGBA", (32, 32), (255, 255, 255, 0))
    img.putalpha(mask)
    return img


def color_icon() -> Image.Image:
    """192x192 accent square with the white glyph centred in 96x96."""
    img = Image.new("RGBA", (192, 192), (*ACCENT, 255))
    white = Image.new("RGBA", (96, 96), (255, 255, 255, 255))
    img.paste(white, (48, 48), glyph_mask(96))
    return img.convert("RGB")


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    color_icon().save(out_dir / "color.png", optimize=True)
    outline_icon().save(out_dir / "outline.png", optimize=True)
    print(f"wrote {out_dir / 'color.png'} and {out_dir / 'outline.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "manifest")
