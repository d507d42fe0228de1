"""Product image thumbnails (django-imagekit on Pillow), through Django's storage API.

A product image is known by its *source* (``ProductImage.source``): ``media:<storage name>``
for an upload or a generated demo image, else an address (http(s), or a static path).
Uploads get square JPEG thumbnails in ``WIDTHS`` (JPEG: a tenth of WebP's encoding time),
made once when the image is saved (``make_thumbnails``; imagekit's Optimistic strategy),
so rendering a card only computes their names: no storage or cache round trip per image,
whichever storage (the file system, or S3 through django-storages) holds them.

django-imagekit rather than easy-thumbnails or sorl-thumbnail: its cache files are named
from the source name and the spec alone (no database table of thumbnails, so a grid of
cards costs no query), and specs are plain classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.core.files import File
from django.core.files.storage import default_storage
from django.templatetags.static import static
from imagekit import ImageSpec
from imagekit.cachefiles import ImageCacheFile
from imagekit.cachefiles.strategies import Optimistic
from PIL import Image

from .models import MEDIA_SOURCE_PREFIX, image_url_is_safe

WIDTHS = (160, 320, 640)
# The width a browser without srcset support loads, and the one link previews use.
DEFAULT_WIDTH = 320
LARGE_WIDTH = 640
PLACEHOLDER_IMAGE = "img/placeholder.svg"


@dataclass(frozen=True)
class SquareFit:
    """A pilkit processor: the centre square, scaled to ``width``. Pillow's ``reducing_gap``
    shrinks by whole factors first (quality as good, several times faster than pilkit's
    ResizeToFill's plain Lanczos, and what keeps the demo seeding within its minute)."""

    width: int

    def process(self, image: Image.Image) -> Image.Image:
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        return image.resize((self.width, self.width), Image.Resampling.BICUBIC,
                            box=(left, top, left + side, top + side), reducing_gap=2.0)


@cache
def _spec_class(width: int) -> type[ImageSpec]:
    return type(f"Square{width}", (ImageSpec,), {
        "processors": [SquareFit(width)], "format": "JPEG", "options": {"quality": 82, "optimize": False}})


@dataclass(frozen=True)
class _Named:
    """A source known only by its name: enough for imagekit to name its thumbnails."""

    name: str


def _thumbnail(name: str, width: int, source=None) -> ImageCacheFile:
    spec = _spec_class(width)(source=source or _Named(name))
    # The default storage, as the uploads: one setting moves both (to S3, say).
    return ImageCacheFile(spec, storage=default_storage, cachefile_strategy=Optimistic())


def make_thumbnails(name: str) -> None:
    """Write the thumbnails of the stored image ``name`` (an upload, a demo image), whatever
    imagekit's cache says of files of that name (another storage, a test, may have held them)."""
    with default_storage.open(name, "rb") as stored:
        source = File(stored, name=name)  # named as stored (the thumbnails' names derive from it)
        for width in WIDTHS:
            _thumbnail(name, width, source).generate(force=True)


def media_name(source: str) -> str:
    """The storage name of an uploaded image's source, or "" for an address."""
    return source[len(MEDIA_SOURCE_PREFIX):] if source.startswith(MEDIA_SOURCE_PREFIX) else ""


def image_url(source: str | None, width: int = DEFAULT_WIDTH) -> str:
    """A safe ``src``: a thumbnail of an upload, an http(s) or site address as it is, another
    relative path under the static root; anything else (``javascript:``, empty) the placeholder."""
    source = (source or "").strip()
    name = media_name(source)
    if name:
        return _thumbnail(name, min(WIDTHS, key=lambda w: abs(w - width))).url
    if not image_url_is_safe(source):  # the one rule, also checked when an image is saved
        return static(PLACEHOLDER_IMAGE)
    if source.lower().startswith(("https://", "http://")) or source.startswith("/"):
        return source
    try:
        return static(source)
    except ValueError:  # Manifest storage: a file collectstatic never saw.
        return static(PLACEHOLDER_IMAGE)


def image_srcset(source: str | None) -> str:
    """``url 160w, url 320w, url 640w`` for an upload; "" for an address (one size only)."""
    name = media_name((source or "").strip())
    return ", ".join(f"{_thumbnail(name, w).url} {w}w" for w in WIDTHS) if name else ""
