"""Browser tests: Chromium driven by Playwright against the live server."""
