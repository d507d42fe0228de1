"""Demo product images: one picture per product type and colour, shared by every product of
that type and colour (a few hundred files for any catalog size), drawn with Pillow and stored
through Django's storage API with their thumbnails (store.images)."""

from __future__ import annotations

import hashlib
from functools import cache
from io import BytesIO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont

from store.images import LARGE_WIDTH, make_thumbnails

DIRECTORY = "demo"
SIZE = LARGE_WIDTH
# The demo vocabulary's colours (store/demo/vocabulary.py); another name gets a colour from its hash.
COLORS = {
    "black": (34, 34, 38), "white": (244, 244, 240), "navy": (32, 48, 94), "heather gray": (160, 162, 166),
    "olive": (110, 116, 58), "burgundy": (118, 30, 50), "sand": (214, 194, 156), "sky blue": (120, 180, 230),
    "forest green": (34, 90, 52), "rust": (170, 82, 40), "charcoal": (64, 66, 70), "cream": (240, 230, 206),
    "silver": (196, 198, 202), "space gray": (92, 94, 100), "midnight blue": (26, 34, 70),
    "graphite": (72, 74, 80), "rose gold": (222, 170, 156), "sage green": (150, 170, 140),
    "stainless": (180, 184, 188), "gray": (140, 142, 146), "sage": (156, 175, 146), "natural": (222, 206, 176),
    "terracotta": (196, 104, 72), "blue": (40, 96, 200), "red": (200, 40, 44), "green": (40, 150, 70),
    "orange": (240, 130, 30), "yellow": (240, 200, 40), "purple": (110, 60, 160),
}
NEUTRAL = (120, 130, 150)


def demo_image_name(kind: str, color: str | None) -> str:
    """The storage name of the picture of ``kind`` (a product type, e.g. "Headphones") in ``color``."""
    return f"{DIRECTORY}/{slugify(kind)}{'-' + slugify(color) if color else ''}.jpg"


def _rgb(color: str | None) -> tuple[int, int, int]:
    if not color:
        return NEUTRAL
    known = COLORS.get(color.lower())
    if known:
        return known
    digest = hashlib.sha256(color.encode()).digest()
    return digest[0], digest[1], digest[2]


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def draw(kind: str, color: str | None) -> bytes:
    """A square JPEG (several times faster to write and read than a PNG): a swatch of the
    product's colour with its type written on it, and the colour's name below."""
    rgb = _rgb(color)
    image = Image.new("RGB", (SIZE, SIZE), (246, 246, 244))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((112, 92, SIZE - 100, SIZE - 188), radius=48, fill=(222, 222, 218))  # shadow
    pen.rounded_rectangle((100, 80, SIZE - 112, SIZE - 200), radius=48, fill=rgb, outline=(60, 60, 60), width=3)
    light = sum(rgb) / 3 > 150
    ink = (30, 30, 30) if light else (250, 250, 250)
    big, small = _font(44), _font(30)
    pen.text((SIZE / 2, (80 + SIZE - 200) / 2), kind, font=big, fill=ink, anchor="mm")
    pen.text((SIZE / 2, SIZE - 120), color or kind, font=small, fill=(40, 40, 40), anchor="mm")
    out = BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


class DemoImages:
    """Writes each (type, colour) picture once per seeding, with its thumbnails."""

    def __init__(self) -> None:
        self._done: set[str] = set()
        self.drawn = 0

    def source(self, kind: str, color: str | None) -> str:
        """The storage name for this type and colour, drawn and stored (with its thumbnails) unless
        an earlier seeding did: the pictures depend on nothing else."""
        name = demo_image_name(kind, color)
        if name not in self._done:
            if not default_storage.exists(name):
                stored = default_storage.save(name, ContentFile(draw(kind, color)))
                make_thumbnails(stored)
                self.drawn += 1
            self._done.add(name)
        return name

    @property
    def count(self) -> int:
        return len(self._done)
