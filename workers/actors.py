"""Every actor of the hub; `dramatiq workers.actors` loads this module."""
import workers.broker  # noqa: F401  (the broker first, then the actors)
from workers import inbound  # noqa: F401
from workers import maintenance  # noqa: F401
from workers import scheduled  # noqa: F401
