"""Real services for the tests that need them: a Celery worker process, an SMTP server on
loopback and Debian's Chromium driven by Playwright. Registered in tests/conftest.py."""
