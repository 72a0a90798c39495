"""HTML templates to PDF with WeasyPrint, kept warm: fonts and the stylesheet are loaded once.

bench/render_contract.py times the demo factoring agreement (5 A4 pages) on one core. Where a warm render
went, and what is done about it:

* Layout is the largest part and grows with the number of lines and boxes; with `table-layout: auto`
  WeasyPrint also measured the min- and max-content width of every table cell (a Chinese cell is broken
  at every character to find its minimum). The print stylesheet (templates/documents/_print.css) gives
  every table `table-layout: fixed` and explicit widths, uses plain numbered paragraphs rather than
  nested boxes, one footer margin box (every margin box is styled and laid out on every page), few and
  simple selectors, and names its font families; Chinese documents use one CJK face (a bold face is
  another 50–80 ms of subsetting and compression).
* Parsing the stylesheet took ≈ 12 ms a render: it is parsed once per process (`_print_stylesheet`).
* Fonts: each render copied every CJK font file out of HarfBuzz (the Noto CJK collections are 20–27 MB)
  only to read four bytes of it (20–40 ms a face), subset it in two passes (the second, ≈ 25 ms a face,
  changes nothing with this HarfBuzz) and deflated the ≈ 0.9 MB subset at zlib level 9. Now a big font is
  copied once per process, subset in one pass, and streams are deflated at level 6 (same size ±0.5 %,
  half the time); see `_install_speedups`.
* The cyclic garbage collector walked the young objects of the box trees ~25 times a render; it is
  paused during a render (`_no_cyclic_gc`).
* Drawing and writing the PDF grow with the glyphs and pages.

On the final templates these changes take a warm render from ≈ 275–340 ms (English) and ≈ 265–300 ms
(Chinese) to ≈ 220–250 ms and ≈ 210–240 ms (the machine this was measured on is shared, so the figures
move by ±20 % from run to run; the benchmark prints a calibration loop to compare runs).

Deliberately not done: `full_fonts` (a 32 MB PDF); `uncompressed_pdf` (the Chinese contract 0.94 MB instead of
0.26 MB, for ≈ 10 ms); caching subsets between documents (other text, other glyphs); HarfBuzz's `hb_subset_preprocess`
(1.6 s and 400 MB a face, for a 25 % faster subset).

The font and zlib changes reach into WeasyPrint 70 internals, so they are applied only to the tested
version (`TESTED_WEASYPRINT`); any other version renders the stock way, and `SPEEDUPS` says which applied.
A worker should call `warm_up()` when it starts: the first render otherwise pays ≈ 1 s for fonts.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import logging
import subprocess
import threading
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from scf.core.exceptions import DomainError

from .languages import language_locale, language_needs_cjk

logger = logging.getLogger(__name__)

#: The options of every render, spelled out; all are WeasyPrint's defaults.
WRITE_PDF_OPTIONS = {
    "pdf_variant": None,  # PDF/A or PDF/UA add an ICC profile, XMP and tags: slower, and not needed here
    "pdf_tags": False,
    "uncompressed_pdf": False,
    "optimize_images": False,  # our documents have no raster images
    "full_fonts": False,  # never True: it embeds whole CJK collections (a 32 MB PDF)
    "hinting": False,
    "presentational_hints": False,
}

#: The one print stylesheet, inlined by templates/documents/base.html.
PRINT_STYLESHEET = "documents/_print.css"

#: WeasyPrint versions whose internals `_install_speedups` was written against (requirements.txt pins 70.0).
TESTED_WEASYPRINT = ("70.",)

#: zlib level of the PDF streams. pydyf uses 9; 6 gives the same size (±0.5 %) in half the time.
DEFLATE_LEVEL = 6

#: Fonts at least this big are copied out of HarfBuzz once per process rather than once per render.
BIG_FONT_BYTES = 1 << 20

#: The tables WeasyPrint drops from embedded fonts (as in weasyprint.pdf.fonts.Font._harfbuzz_subset).
DROPPED_FONT_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT",
                       b"SVG ")

#: The speed-ups in force in this process (filled by `_install_speedups`).
SPEEDUPS: list[str] = []


class RendererNotReady(DomainError):
    code = "renderer_not_ready"
    http_status = 503
    default_message = "The PDF renderer is missing a system font or library."


@functools.lru_cache(maxsize=1)
def cjk_font_available() -> bool:
    """Return whether fontconfig knows a font covering Chinese."""
    try:
        result = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(result.stdout.strip())


def require_fonts(language: str) -> None:
    """Fail loudly rather than print empty boxes in a Chinese contract."""
    if language_needs_cjk(language) and not cjk_font_available():
        raise RendererNotReady(
            "No CJK font is installed: install Debian's fonts-noto-cjk and run fc-cache (make setup does both)."
        )


class _Deflate:
    """Stands in for the `zlib` module inside pydyf: the same calls, at DEFLATE_LEVEL instead of 9."""

    def __init__(self, level: int) -> None:
        self.level = level

    def compressobj(self, level: int = -1, *args, **kwargs):
        return zlib.compressobj(self.level, *args, **kwargs)

    def compress(self, data, level: int = -1, **kwargs):
        return zlib.compress(data, self.level, **kwargs)

    def __getattr__(self, name):
        return getattr(zlib, name)


_face_data: dict[int, tuple[object, bytes]] = {}
_face_data_lock = threading.Lock()
_in_font_init = threading.local()


def _install_speedups(weasyprint) -> None:
    """Make the font and PDF-writing steps cheaper (see the module docstring); the output is the same."""
    version = getattr(weasyprint, "__version__", "?")
    if not version.startswith(TESTED_WEASYPRINT):
        logger.warning("WeasyPrint %s is not %s: rendering without the font speed-ups", version, TESTED_WEASYPRINT)
        return
    try:
        import pydyf
        from weasyprint.pdf import fonts as pdf_fonts
        from weasyprint.text.ffi import ffi, harfbuzz

        original_data = pdf_fonts.get_hb_object_data
        original_init = pdf_fonts.Font.__init__
        original_subset = pdf_fonts.Font._harfbuzz_subset
        subset_lib = pdf_fonts.harfbuzz_subset
    except (ImportError, AttributeError):
        logger.warning("WeasyPrint %s internals differ: rendering without the font speed-ups", version)
        return

    # 1. Font.__init__ copies the whole font file out of HarfBuzz (27 MB for a Noto CJK collection) and
    #    reads only its first four bytes before the subset replaces it: copy each big face once.
    def font_init(self, *args, **kwargs):
        _in_font_init.active = True
        try:
            original_init(self, *args, **kwargs)
        finally:
            _in_font_init.active = False

    def face_data(hb_object, ot_color=None, glyph=None):
        if ot_color is not None or glyph is not None or not getattr(_in_font_init, "active", False):
            return original_data(hb_object, ot_color, glyph)
        key = int(ffi.cast("uintptr_t", hb_object))
        hit = _face_data.get(key)
        if hit is not None:
            return hit[1]
        data = original_data(hb_object)
        if data is not None and len(data) >= BIG_FONT_BYTES:
            # Holding a reference keeps the face alive, so its address can never be reused by another face
            # and the key stays unambiguous. (Pango's font map keeps these faces alive anyway.)
            keep = ffi.gc(harfbuzz.hb_face_reference(hb_object), harfbuzz.hb_face_destroy)
            with _face_data_lock:
                _face_data.setdefault(key, (keep, data))
        return data

    pdf_fonts.get_hb_object_data = face_data
    pdf_fonts.Font.__init__ = font_init
    SPEEDUPS.append("font file copied once per process")

    # 2. WeasyPrint subsets twice: the used glyphs keeping their ids, then "the empty glyphs after the last
    #    one used" are dropped along with the hinting. This HarfBuzz already stops at the last glyph used,
    #    so one pass with the no-hinting flag gives the same font, and the second pass (≈ 25 ms a CJK face:
    #    it walks ~63,000 glyph slots) is saved. Whenever the one-pass result is not exactly that (another
    #    HarfBuzz, .notdef stand-ins beyond the font's glyphs), the stock two passes run instead.
    if subset_lib is not None and harfbuzz.hb_version_atleast(4, 1, 0):
        drop_tags = sorted(harfbuzz.hb_tag_from_string(tag, -1) for tag in DROPPED_FONT_TABLES)

        def subset_once(self, to_unicode, hinting):
            glyphs = sorted(to_unicode)
            subset_input = ffi.gc(subset_lib.hb_subset_input_create_or_fail(), subset_lib.hb_subset_input_destroy)
            if glyphs and subset_input:
                glyph_set = subset_lib.hb_subset_input_glyph_set(subset_input)
                harfbuzz.hb_set_add_sorted_array(
                    glyph_set, ffi.new(f"hb_codepoint_t[{len(glyphs)}]", glyphs), len(glyphs))
                flags = (subset_lib.HB_SUBSET_FLAGS_RETAIN_GIDS | subset_lib.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED
                         | subset_lib.HB_SUBSET_FLAGS_DESUBROUTINIZE)
                if not hinting:
                    flags |= subset_lib.HB_SUBSET_FLAGS_NO_HINTING
                if self.missing:
                    flags |= subset_lib.HB_SUBSET_FLAGS_NOTDEF_OUTLINE
                subset_lib.hb_subset_input_set_flags(subset_input, flags)
                drop_set = subset_lib.hb_subset_input_set(subset_input, subset_lib.HB_SUBSET_SETS_DROP_TABLE_TAG)
                harfbuzz.hb_set_add_sorted_array(
                    drop_set, ffi.new(f"hb_codepoint_t[{len(drop_tags)}]", drop_tags), len(drop_tags))
                face = ffi.gc(subset_lib.hb_subset_or_fail(self.hb_face, subset_input), harfbuzz.hb_face_destroy)
                if face and harfbuzz.hb_face_get_glyph_count(face) == glyphs[-1] + 1:
                    data = original_data(face)
                    if data:
                        self.file_content = data
                        return
            original_subset(self, to_unicode, hinting)

        pdf_fonts.Font._harfbuzz_subset = subset_once
        SPEEDUPS.append("fonts subset in one pass")

    # 3. pydyf deflates every stream at level 9; level 6 is as small (±0.5 %) in half the time.
    if getattr(pydyf, "zlib", None) is zlib:
        pydyf.zlib = _Deflate(DEFLATE_LEVEL)
        SPEEDUPS.append(f"deflate level {DEFLATE_LEVEL}")


@functools.lru_cache(maxsize=1)
def _weasy():
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    _install_speedups(weasyprint)
    return weasyprint, FontConfiguration()


def warm_up() -> None:
    """Load WeasyPrint, the fonts (Latin and CJK) and the print stylesheet, so that the first real document
    does not pay ≈ 1 s for them: call it where a worker process starts."""
    css_text, _css = _print_stylesheet()
    html_to_pdf(f'<html lang="zh-Hans" class="zh"><head><style>{css_text}</style></head><body>'
                f'<p>Warm-up 预热 <b>Warm-up</b></p><p lang="en" class="en">Warm-up 预热</p></body></html>')


def render_html(template_name: str, context: dict, language: str) -> str:
    """Render a document template in the document's language, whatever the request's language."""
    with translation.override(language_locale(language)):
        return render_to_string(template_name, context)


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    sha256: str
    page_count: int


@functools.lru_cache(maxsize=1)
def _print_stylesheet() -> tuple[str, object]:
    """The print stylesheet as documents/base.html inlines it, and its parsed form (parsed once)."""
    weasyprint, font_config = _weasy()
    text = render_to_string(PRINT_STYLESHEET)
    return text, weasyprint.CSS(string=text, base_url=str(settings.BASE_DIR), font_config=font_config)


def _layout(html: str):
    """Lay out one HTML document.

    When the HTML inlines the current print stylesheet word for word, that text is taken out and the copy
    parsed once per process is passed instead: the same rules without parsing them again. (They then come
    from a "user" rather than an "author" stylesheet, which changes nothing: our documents have no other
    styles.) The HTML of a document issued under an older stylesheet does not match and keeps its own.
    """
    weasyprint, font_config = _weasy()
    stylesheets = []
    css_text, css = _print_stylesheet()
    if css_text and css_text in html:
        html = html.replace(css_text, "", 1)
        stylesheets.append(css)
    return weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).render(
        font_config=font_config, stylesheets=stylesheets, **WRITE_PDF_OPTIONS)


@contextlib.contextmanager
def _no_cyclic_gc():
    """Pause the cyclic garbage collector while WeasyPrint builds and drops its box trees.

    A render allocates a few hundred thousand objects; with the collector running, it walks the young
    ones ~25 times a render (5–10 % of the time). Paused, they are collected once, afterwards. Reference
    counting still frees everything acyclic at once, so memory barely grows.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def html_to_pdf(html: str, *, extra_pages_html: str | None = None) -> RenderedPdf:
    """Lay out the HTML and write the PDF; `extra_pages_html` is appended as further pages."""
    with _no_cyclic_gc():
        document = _layout(html)
        pages = list(document.pages)
        if extra_pages_html:
            pages += _layout(extra_pages_html).pages
            document = document.copy(pages)
        data = document.write_pdf(**WRITE_PDF_OPTIONS)
    return RenderedPdf(data=data, sha256=hashlib.sha256(data).hexdigest(), page_count=len(pages))
