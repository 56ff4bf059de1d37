"""A faithful HTTP emulator of the ECS Image Builder API (2014-05-26) for tests.

The official SDK talks to it unchanged through ``Config(endpoint=emulator.endpoint,
protocol="http")``. See ``server.Emulator`` for the knobs and ``world.World`` for the objects.
"""

from .errors import ApiError
from .server import TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, Emulator, Faults, Logged
from .world import ACCOUNT_ID, World

__all__ = ["ACCOUNT_ID", "TEST_ACCESS_KEY_ID", "TEST_ACCESS_KEY_SECRET", "ApiError", "Emulator", "Faults", "Logged",
           "World"]
