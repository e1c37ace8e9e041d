"""Draw Overpush's favicon and app icons (a bell with a badge) as SVG and, with Pillow, PNG/ICO.

    python scripts/make_icons.py   rewrites services/api/web/static/icons/

The SVG and the bitmaps come from the same shapes, on a 64-unit grid.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "services/api/web/static/icons"
BLUE, WHITE, AMBER = "#0172ad", "#ffffff", "#f2a900"
# (kind, colour, geometry) on a 64x64 grid: the tile, the bell (knob, dome, body, rim,
# clapper) and the badge with a ring in the tile's colour.
SHAPES: list[tuple[str, str, tuple[float, ...]]] = [
    ("rrect", BLUE, (0, 0, 64, 64, 14)),
    ("circle", WHITE, (30, 13, 3.5)),
    ("circle", WHITE, (30, 28, 13)),
    ("poly", WHITE, (17, 28, 43, 28, 46, 42, 14, 42)),
    ("rrect", WHITE, (11, 40, 49, 47, 3.5)),
    ("circle", WHITE, (30, 51, 5)),
    ("circle", BLUE, (48, 16, 10)),
    ("circle", AMBER, (48, 16, 7)),
]


def svg() -> str:
    parts = []
    for kind, colour, g in SHAPES:
        if kind == "circle":
            parts.append(f'<circle cx="{g[0]}" cy="{g[1]}" r="{g[2]}" fill="{colour}"/>')
        elif kind == "poly":
            points = " ".join(f"{x},{y}" for x, y in zip(g[::2], g[1::2], strict=True))
            parts.append(f'<polygon points="{points}" fill="{colour}"/>')
        else:
            parts.append(f'<rect x="{g[0]}" y="{g[1]}" width="{g[2] - g[0]}" '
                         f'height="{g[3] - g[1]}" rx="{g[4]}" fill="{colour}"/>')
    body = "\n  ".join(parts)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">\n'
            f'  <title>Overpush</title>\n  {body}\n</svg>\n')


def bitmap(size: int) -> Image.Image:
    """The icon at `size` pixels, drawn 4x larger and scaled down for smooth edges."""
    big = size * 4
    k = big / 64
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    for kind, colour, g in SHAPES:
        if kind == "circle":
            x, y, r = (v * k for v in g)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        elif kind == "poly":
            draw.polygon([v * k for v in g], fill=colour)
        else:
            draw.rounded_rectangle(tuple(v * k for v in g[:4]), radius=g[4] * k, fill=colour)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "favicon.svg").write_text(svg())
    for size, name in ((192, "icon-192.png"), (512, "icon-512.png"),
                       (180, "apple-touch-icon.png")):
        bitmap(size).save(OUT / name, "PNG", optimize=True)
    bitmap(64).save(OUT / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    print(f"icons written to {OUT}")


if __name__ == "__main__":
    main()
