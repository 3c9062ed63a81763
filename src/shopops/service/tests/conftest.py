from shopops.aftersales.tests.conftest import _sandbox_only, roles  # noqa: F401 - shared fixtures
