"""Widget jobs: the daily re-check of authorized domains."""
import dramatiq

import workers.broker  # noqa: F401
from hub.db import connection
from hub.widget_domains import recheck_all
from workers.scheduler import register


@dramatiq.actor(queue_name="default", max_retries=3)
def recheck_widget_domains() -> None:
    """Check every widget domain's TXT record or file again; lost proofs stop the widget there."""
    with connection():
        recheck_all()


# Every day at 03:17 UTC (off the hour, away from other daily jobs).
register("widget_domains_recheck", "recheck_widget_domains", "17 3 * * *")
