"""Browser journeys through the Agents Playground use the fixtures in tests/plugins/playground.py
(registered in tests/conftest.py)."""
