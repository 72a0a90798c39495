"""Benchmark: render the demo factoring agreement to PDF, in English and Chinese, in a warm process.

    taskset -c 0 .venv/bin/python bench/render_contract.py [-n 15] [--profile en|zh] [--save DIR]

Creates the demo data in a throw-away test database (nothing touches db.sqlite3), builds the agreement's
HTML once per language with the same functions as document_issue (build_context, document_meta-like
facts, render_html), warms the renderer up, then times documents.rendering.html_to_pdf N times each.
The last line is machine-readable:

    render_contract: en_median_ms=N en_p95_ms=N zh_median_ms=N zh_p95_ms=N

Targets on one core: Chinese median < 300 ms, English median < 250 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from benchkit import calibrate, percentile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scf.settings.test")


def stock_html_to_pdf():
    """documents.rendering.html_to_pdf as it was before the speed-ups, for --stock."""
    import weasyprint
    from django.conf import settings
    from weasyprint.text.fonts import FontConfiguration

    from documents.rendering import RenderedPdf

    font_config = FontConfiguration()

    def html_to_pdf(html: str) -> RenderedPdf:
        document = weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).render(font_config=font_config)
        data = document.write_pdf()
        return RenderedPdf(data=data, sha256="", page_count=len(document.pages))

    return html_to_pdf


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=15, help="timed renders per language (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed renders per language first (default 2)")
    parser.add_argument("--profile", choices=["en", "zh"], help="print a cProfile of the renders of one language")
    parser.add_argument("--save", metavar="DIR", help="also write the two PDFs into DIR")
    parser.add_argument("--stock", action="store_true",
                        help="for comparison: render the way documents.rendering did before its speed-ups (plain "
                             "WeasyPrint with a shared FontConfiguration; same templates)")
    args = parser.parse_args()
    print(f"machine: a 3,000,000-step Python loop takes {calibrate():.0f} ms (min of 5); compare runs with it")

    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)  # axes and friends announce themselves; keep the output to figures
    from django.db import connection
    from django.test.utils import setup_test_environment
    from django.utils import timezone, translation

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from documents import registry, rendering
        from documents.rendering import html_to_pdf, render_html

        if args.stock:
            rendering._install_speedups = lambda weasyprint: None
            html_to_pdf = stock_html_to_pdf()
        from documents.issuing import build_context
        from scf.parties.demo import seed_demo

        seed_demo(password="x")
        kind = registry.get("factoring_agreement")
        financing = kind.sample()
        assert financing is not None, "the demo has no factoring financing"

        htmls = {}
        for short, language in (("en", "en"), ("zh", "zh-hans")):
            with translation.override(language):
                title = str(kind.title)
            meta = {"number": "FAC-BENCH-000001", "version": 1, "title": title, "language": language,
                    "issued_date": timezone.localdate(), "kind": kind.code}
            context = build_context(kind, financing, meta)
            htmls[short] = render_html(kind.template_name(language), context, language)

        results: dict[str, list[float]] = {}
        for short, html in htmls.items():
            started = time.perf_counter()
            first = html_to_pdf(html)
            first_ms = (time.perf_counter() - started) * 1000
            assert first.data.startswith(b"%PDF-"), "not a PDF"
            assert first.page_count >= 3, f"{short}: {first.page_count} pages, expected at least 3"
            print(f"{short}: first render {first_ms:.0f} ms, {first.page_count} pages, {len(first.data):,} bytes")
            if args.save:
                Path(args.save).mkdir(parents=True, exist_ok=True)
                Path(args.save, f"factoring_agreement.{short}.pdf").write_bytes(first.data)
            for _ in range(args.warmup):
                html_to_pdf(html)
            profiler = None
            if args.profile == short:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            timings = []
            for _ in range(args.n):
                started = time.perf_counter()
                html_to_pdf(html)
                timings.append((time.perf_counter() - started) * 1000)
            if profiler is not None:
                import pstats

                profiler.disable()
                stats = pstats.Stats(profiler).sort_stats("cumulative")
                stats.print_stats(45)
                stats.sort_stats("tottime").print_stats(25)
            results[short] = timings
            print(f"{short}: median {statistics.median(timings):.0f} ms, p95 {percentile(timings, 0.95):.0f} ms, "
                  f"min {min(timings):.0f} ms, max {max(timings):.0f} ms over {args.n} renders")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    if args.stock:
        print("(--stock: the renderer as it was before the speed-ups)")
    else:
        print(f"speed-ups in force: {', '.join(rendering.SPEEDUPS) or 'none'}")
    figures = {short: (round(statistics.median(t)), round(percentile(t, 0.95))) for short, t in results.items()}
    print(f"render_contract: en_median_ms={figures['en'][0]} en_p95_ms={figures['en'][1]} "
          f"zh_median_ms={figures['zh'][0]} zh_p95_ms={figures['zh'][1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
