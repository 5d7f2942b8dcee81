"""Moved to :mod:`r1safe.cli.inspect_tasks` (the top layer, beside the CLI). Kept so an environment
installed before the move, whose ``inspect_ai`` entry point still names this module, finds the tasks
until it is installed again."""

from r1safe.cli.inspect_tasks import *  # noqa: F403
from r1safe.cli.inspect_tasks import __doc__ as _doc  # noqa: F401
