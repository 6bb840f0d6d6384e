from tests.resilience.test_auth_keys import *  # noqa
import pytest
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
@pytest.fixture(autouse=True)
def _unfixed(monkeypatch):
    import bot.adapter as a
    monkeypatch.setattr(a._RefusingAuthentication, "authenticate_request", ConfigurationBotFrameworkAuthentication.authenticate_request)
