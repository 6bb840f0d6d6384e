"""Browser journeys through the Agents Playground use the fixtures in tests/plugins/playground.py.

pytest only honours `pytest_plugins` in the top-level conftest, so the fixtures are imported here.
"""

from tests.plugins.playground import bot_server, e2e_out, playground  # noqa: F401  (pytest fixtures)
