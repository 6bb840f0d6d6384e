"""Fixtures of the HTTP tests: the bot on a sandbox of the fixes scenario (tests/http/fixbot.py)."""

from tests.http.fixbot import fix_bot, fix_bots  # noqa: F401 - fixtures for this directory's tests
