from tests.plugins.sandbox import gateway_factory, sandbox_factory  # noqa: F401  (sandbox fixtures)
