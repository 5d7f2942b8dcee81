"""User-facing errors: one line, naming the file, row or field, and how to fix it.

The CLI turns an :class:`R1SafeError` into that one line on stderr and exit code 2; anything
else is a bug and keeps its traceback.
"""


class R1SafeError(Exception):
    """Bad input or an impossible request; the message is shown to the user as is."""


class ConfigError(R1SafeError):
    """A configuration file or override is invalid."""


class DataError(R1SafeError):
    """A dataset file or row is malformed."""
