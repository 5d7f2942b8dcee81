"""API keys the guard tests start servers with (a uniquely named module: tests/ has several
conftest.py files, so ``from conftest import ...`` could find another folder's)."""

KEY = "test-key-alice-0001"
OTHER_KEY = "test-key-bob-0002"
