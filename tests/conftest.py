pytest_plugins = [
    "tests.plugins.bot_http",
    "tests.plugins.sandbox",
    "tests.plugins.azurite",
    "tests.plugins.playground",
]
