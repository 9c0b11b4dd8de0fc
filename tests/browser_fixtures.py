"""Browser fixtures (Playwright + Debian's chromium): filled in by the browser tests' author."""
