"""Render every registered document kind from the demo data, in every language, without issuing anything.

    manage.py demo_documents --out /tmp/docs-out [--kind factoring_agreement]

Writes `<kind>.<lang>.pdf` and the HTML it came from, `<kind>.<lang>.html`, into the folder. No Document row
is created and no number is consumed: the documents carry a placeholder number such as FAC-DRAFT.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.template import TemplateDoesNotExist
from django.utils import timezone, translation

from documents import registry
from documents.rendering import html_to_pdf, render_html, require_fonts
from documents.issuing import build_context


def draft_meta(kind: registry.DocumentKind, language: str) -> dict:
    """What `documents.issuing.document_meta` gives a template, for a document that is never issued."""
    with translation.override(language):
        title = str(kind.title)
    return {
        "number": f"{kind.prefix}-DRAFT",
        "version": 1,
        "title": title,
        "language": language,
        "issued_date": timezone.localdate(),
        "kind": kind.code,
    }


class Command(BaseCommand):
    help = "Render every document kind from the demo data into a folder (PDF and HTML), issuing nothing."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="Folder to write the files into (created if missing).")
        parser.add_argument("--kind", action="append", dest="kinds", metavar="KIND",
                            help="Only this kind (repeatable). Default: every registered kind.")
        parser.add_argument("--language", action="append", dest="languages", metavar="LANG",
                            help="Only this language (repeatable). Default: every language of the kind.")

    def handle(self, *args, out, kinds=None, languages=None, **options):
        if kinds:
            try:
                selected = [registry.get(code) for code in kinds]
            except registry.UnknownDocumentKind:
                known = ", ".join(k.code for k in registry.all_kinds()) or "none"
                raise CommandError(f"Unknown kind in {kinds}; registered kinds: {known}.") from None
        else:
            selected = registry.all_kinds()
        if not selected:
            raise CommandError("No document kind is registered.")
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        written, failures = 0, []
        for kind in selected:
            if kind.sample is None:
                self.stderr.write(self.style.WARNING(f"{kind.code}: no sample defined, skipped."))
                continue
            obj = kind.sample()
            if obj is None:
                raise CommandError(f"{kind.code}: there is no demo {kind.model._meta.verbose_name} to render; "
                                   "run manage.py seed_demo first.")
            for language in kind.languages:
                if languages and language not in languages:
                    continue
                require_fonts(language)
                try:
                    context = build_context(kind, obj, draft_meta(kind, language))
                    html = render_html(kind.template_name(language), context, language)
                except (TemplateDoesNotExist, registry.MissingContext) as error:
                    failures.append(f"{kind.code}.{language}: {error}")
                    self.stderr.write(self.style.ERROR(failures[-1]))
                    continue
                started = time.perf_counter()
                rendered = html_to_pdf(html)
                elapsed = (time.perf_counter() - started) * 1000
                stem = folder / f"{kind.code}.{language}"
                Path(f"{stem}.html").write_text(html, encoding="utf-8")
                Path(f"{stem}.pdf").write_bytes(rendered.data)
                written += 1
                self.stdout.write(f"{stem}.pdf  {rendered.page_count} page(s), {len(rendered.data):,} bytes, "
                                  f"{elapsed:.0f} ms")
        self.stdout.write(self.style.SUCCESS(f"{written} document(s) written to {folder}."))
        if failures:
            raise CommandError(f"{len(failures)} document(s) could not be rendered: " + "; ".join(failures))
