"""Small housekeeping actors."""
import dramatiq

import workers.broker  # noqa: F401


@dramatiq.actor(queue_name="default", max_retries=0)
def noop(token: str = "") -> None:
    """Does nothing: the queue-ceiling baseline of benchmarks and a smoke test of the pipeline."""
