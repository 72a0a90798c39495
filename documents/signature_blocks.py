"""Fill the signature blocks of a final PDF: who signed, when, and the lender's seal.

The signature block templates (templates/documents/_sig_*.html) mark what is filled in later with
the party's unified social credit code:

    <div class="seal" data-sig-seal="USCC">…</div>
    <span class="sigfill" data-sig-signer="USCC">____</span>
    <span class="sigfill" data-sig-time="USCC">____</span>

The issued HTML is kept as signed; `fill_signature_blocks` returns a copy in which each party that
signed shows its signatory's name and the time of signing, and the lender's seal box holds the
lender's seal image (the electronic seal whose PAdES signature `sealing.seal_pdf` then applies over
the whole file). Everything else of the document is unchanged, byte for byte.

The seal image is drawn from the lender's legal name (`seal_svg`): a red round seal with the name
around the rim and a star in the middle, as a Chinese company seal looks. A lender with a scanned
seal would put its image here instead.
"""

from __future__ import annotations

import base64
import datetime
import math
import re
from dataclasses import dataclass
from html import escape

from django.utils import timezone

from .languages import Language

SEAL_RED = "#c8102e"
EN_TIME = "%Y-%m-%d %H:%M (Beijing time)"
ZH_TIME = "%Y-%m-%d %H:%M（北京时间）"

LABELS = {
    Language.EN: {"signed": "signed electronically", "stamp": "Signed electronically"},
    Language.ZH_HANS: {"signed": "电子签名", "stamp": "已电子签署"},
    Language.BILINGUAL: {"signed": "电子签名 / signed electronically", "stamp": "已电子签署<br>Signed electronically"},
}


@dataclass(frozen=True)
class FilledBlock:
    """What one party's block shows once the document is final."""

    uscc: str
    organization: str
    signer_name: str = ""
    signed_at: datetime.datetime | None = None
    seal_image: str = ""  # a data: URI; only the lender's block has one


def _points_on_arc(count: int, radius: float, start_deg: float, end_deg: float) -> list[tuple[float, float, float]]:
    """Positions (x, y, rotation in degrees) of `count` glyphs spread clockwise over an arc around (0, 0)."""
    if count == 1:
        angles = [(start_deg + end_deg) / 2]
    else:
        step = (end_deg - start_deg) / (count - 1)
        angles = [start_deg + step * i for i in range(count)]
    points = []
    for angle in angles:
        rad = math.radians(angle - 90)  # 0° is at the top
        points.append((radius * math.cos(rad), radius * math.sin(rad), angle))
    return points


def seal_svg(name: str, label: str = "电子合同专用章") -> str:
    """Return an SVG round seal with `name` around the rim, a star, and `label` across the bottom."""
    name = (name or "").strip()
    count = max(len(name), 1)
    # The name takes up to 250° of the rim, centred on the top; short names sit closer together.
    sweep = min(250.0, 22.0 * count)
    glyphs = []
    font_size = 15 if count <= 12 else max(9, int(15 * 12 / count))
    for char, (x, y, angle) in zip(name, _points_on_arc(count, 62, -sweep / 2, sweep / 2)):
        glyphs.append(f'<text x="{x:.2f}" y="{y:.2f}" transform="rotate({angle:.2f} {x:.2f} {y:.2f})" '
                      f'font-size="{font_size}" text-anchor="middle" dominant-baseline="central">'
                      f'{escape(char)}</text>')
    star = " ".join(f"{26 * math.cos(math.radians(-90 + 36 * i)) * (1 if i % 2 == 0 else 0.382):.2f},"
                    f"{26 * math.sin(math.radians(-90 + 36 * i)) * (1 if i % 2 == 0 else 0.382):.2f}"
                    for i in range(10))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="170" height="170" viewBox="-85 -85 170 170">'
        f'<g fill="{SEAL_RED}" stroke="none" font-family="Noto Serif CJK SC, Noto Sans CJK SC, serif">'
        f'<circle cx="0" cy="0" r="80" fill="none" stroke="{SEAL_RED}" stroke-width="5"/>'
        f'<polygon points="{star}"/>'
        + "".join(glyphs)
        + f'<text x="0" y="48" font-size="11" text-anchor="middle">{escape(label)}</text>'
        '</g></svg>'
    )


def seal_data_uri(name: str, label: str = "电子合同专用章") -> str:
    svg = seal_svg(name, label)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _time_text(when: datetime.datetime, language: str) -> str:
    local = timezone.localtime(when)
    if language == Language.EN:
        return local.strftime(EN_TIME)
    if language == Language.ZH_HANS:
        return local.strftime(ZH_TIME)
    return local.strftime("%Y-%m-%d %H:%M（北京时间 Beijing time）")


def _replace_inner(html: str, attribute: str, uscc: str, inner: str) -> str:
    pattern = re.compile(rf'(<span class="sigfill" {attribute}="{re.escape(uscc)}">)(.*?)(</span>)', re.S)
    return pattern.sub(lambda m: m.group(1) + inner + m.group(3), html)


def _replace_seal(html: str, uscc: str, replacement: str) -> str:
    pattern = re.compile(rf'<div class="seal" data-sig-seal="{re.escape(uscc)}">.*?</div>', re.S)
    return pattern.sub(lambda m: replacement, html)


def fill_signature_blocks(html: str, blocks: list[FilledBlock], language: str) -> str:
    """Return `html` with each block's signer, time and seal filled in; other text is left as it is."""
    labels = LABELS.get(language, LABELS[Language.EN])
    for block in blocks:
        if block.signer_name and block.signed_at is not None:
            html = _replace_inner(html, "data-sig-signer", block.uscc,
                                  f"{escape(block.signer_name)}（{labels['signed']}）" if language != Language.EN
                                  else f"{escape(block.signer_name)} ({labels['signed']})")
            html = _replace_inner(html, "data-sig-time", block.uscc, escape(_time_text(block.signed_at, language)))
        if block.seal_image:
            html = _replace_seal(html, block.uscc, f'<img class="seal-img" src="{block.seal_image}" '
                                                   f'alt="{escape(block.organization)}">')
        elif block.signer_name:
            html = _replace_seal(html, block.uscc, f'<div class="seal signed" data-sig-seal="{escape(block.uscc)}">'
                                                   f'{labels["stamp"]}</div>')
    return html


def document_blocks(document, *, signatures=None, parties=None) -> list[FilledBlock]:
    """Return the filled blocks of a document: each signature, and the lender's seal (signed or not).

    `signatures` and `parties`, when the caller has them (with their organizations), are not read again.
    """
    if signatures is None:
        signatures = document.signatures.select_related("organization")
    if parties is None:
        parties = document.document_parties.select_related("organization")
    blocks: dict[int, FilledBlock] = {}
    for signature in signatures:
        blocks[signature.organization_id] = FilledBlock(
            uscc=signature.organization.uscc, organization=signature.organization.legal_name,
            signer_name=signature.signer_name, signed_at=signature.signed_at)
    for party in parties:
        if party.role != "lender":
            continue
        lender = party.organization
        signed = blocks.get(lender.pk)
        blocks[lender.pk] = FilledBlock(
            uscc=lender.uscc, organization=lender.legal_name, seal_image=seal_data_uri(lender.legal_name),
            signer_name=signed.signer_name if signed else "", signed_at=signed.signed_at if signed else None)
    return list(blocks.values())
