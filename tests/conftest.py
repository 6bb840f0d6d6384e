pytest_plugins = ["tests.plugins.bot_http"]
