"""The Dramatiq broker, built in one place from the settings, before any actor is declared."""
from __future__ import annotations

from typing import Any, Optional, Sequence
from uuid import uuid4

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.errors import ConnectionClosed
from dramatiq.common import current_millis
from dramatiq.middleware import CurrentMessage

from hub import jobs
from hub.settings import get_settings
from workers.middleware import DatabaseMiddleware, HeartbeatMiddleware, JobLogMiddleware, \
    job_counter_key, job_counters


# The longest (ms) an idle consumer of these queues sleeps between two polls of Redis. Dramatiq
# backs off up to the worker timeout (1 s) while a queue stays empty, so at a moderate rate a
# customer's message could wait most of a second before a worker even fetched it; these queues
# carry what people are waiting to see. The cost is up to 25 polls a second per queue and
# worker process while idle (about 3% of a core for the two). Routing may take a little longer:
# a new conversation shows at once, its assignment follows.
FAST_POLL_MS = {"inbound": 40, "outbound": 40, jobs.ROUTING_QUEUE: 100}


class HubRedisConsumer(_RedisConsumer):
    """Dramatiq's Redis consumer whose acknowledgement also carries the job outcome counts
    (workers.middleware.job_counters) in the same round trip: one round trip per job instead
    of two. The ack is the broker's `dispatch` script with the arguments of
    `RedisBroker._dispatch("ack")` (dramatiq 2.x), as `enqueue_many` does for enqueues."""

    def ack(self, message):
        self._settle("ack", message, super().ack)

    def nack(self, message):
        self._settle("nack", message, super().nack)

    def _settle(self, command, message, plain):
        counts = job_counters.take()
        if not counts:
            return plain(message)
        broker = self.broker
        dispatch = broker.scripts["dispatch"]
        args = [command, current_millis(), self.queue_name, broker.broker_id,
                broker.heartbeat_timeout, broker.dead_message_ttl,
                broker._should_do_maintenance(command), broker._max_unpack_size(),
                message.options["redis_message_id"]]
        try:
            pipe = broker.client.pipeline(transaction=False)
            pipe.evalsha(dispatch.sha, 1, broker.namespace, *args)
            counter = job_counter_key()
            for field, n in counts.items():
                pipe.hincrby(counter, field, n)
            result = pipe.execute(raise_on_error=False)[0]
            if isinstance(result, redis.exceptions.NoScriptError):  # a Redis that restarted
                dispatch(keys=[broker.namespace], args=args)  # loads the script, then runs it
            elif isinstance(result, Exception):
                raise result
        except redis.ConnectionError as e:
            for field, n in counts.items():  # counted with a later job's acknowledgement
                job_counters.add(field, n)
            raise ConnectionClosed(e) from None
        finally:
            self.queued_message_ids.discard(message.message_id)


class HubRedisBroker(RedisBroker):
    """Dramatiq's RedisBroker with quick polls of the queues people wait on (`consume`), plus
    `enqueue_many`: several messages in one Redis round trip.

    A web process under load enqueues a job per webhook, a batch of webhooks at a time (see
    hub.webhook_intake); one pipeline instead of a round trip each. Each message goes through
    the same steps as `RedisBroker.enqueue` (its own redis_message_id, the middleware's
    before/after hooks, the broker's `dispatch` script with the same arguments), so workers
    cannot tell the difference. Only immediate messages: delayed ones use `enqueue`.

    Its consumers (`HubRedisConsumer`) acknowledge a job and write the job outcome counts in
    one round trip (counted by workers.middleware.JobLogMiddleware).
    """

    @property
    def consumer_class(self):
        return HubRedisConsumer

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000):
        """A consumer whose idle backoff is capped by FAST_POLL_MS for its queue."""
        return super().consume(queue_name, prefetch,
                               min(timeout, FAST_POLL_MS.get(queue_name, timeout)))

    def enqueue_many(self, messages: Sequence[dramatiq.Message]) -> list[dramatiq.Message]:
        if len(messages) == 1:
            return [self.enqueue(messages[0])]
        dispatch = self.scripts["dispatch"]
        pipe = self.client.pipeline(transaction=False)
        sent, calls = [], []
        for message in messages:
            message = message.copy(options={"redis_message_id": str(uuid4())})
            self.emit_before("enqueue", message, None)
            # The arguments of RedisBroker._dispatch("enqueue") (dramatiq 2.x).
            args = ["enqueue", current_millis(), message.queue_name, self.broker_id,
                    self.heartbeat_timeout, self.dead_message_ttl,
                    self._should_do_maintenance("enqueue"), self._max_unpack_size(),
                    message.options["redis_message_id"], message.encode()]
            # EVALSHA by hand: a pipeline given the Script object first asks Redis whether the
            # script exists, a round trip of its own on every batch.
            pipe.evalsha(dispatch.sha, 1, self.namespace, *args)
            sent.append(message)
            calls.append(args)
        for args, result in zip(calls, pipe.execute(raise_on_error=False)):
            if isinstance(result, redis.exceptions.NoScriptError):  # a Redis that restarted
                dispatch(keys=[self.namespace], args=args)  # loads the script, then runs it
            elif isinstance(result, Exception):
                raise result
        for message in sent:
            self.emit_after("enqueue", message, None)
        return sent


def build_broker() -> HubRedisBroker:
    settings = get_settings()
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set; `hub` starts the embedded Redis and sets it")
    broker = HubRedisBroker(url=settings.redis_url, namespace=f"{settings.redis_namespace}:dq",
                            heartbeat_timeout=settings.broker_heartbeat_timeout_ms,
                            maintenance_chance=settings.broker_maintenance_chance)
    broker.add_middleware(CurrentMessage())
    broker.add_middleware(DatabaseMiddleware())
    broker.add_middleware(JobLogMiddleware())
    broker.add_middleware(HeartbeatMiddleware())
    return broker


broker = build_broker()
dramatiq.set_broker(broker)


def dispatch(actor_name: str, args: tuple, delay_ms: Optional[int]) -> Any:
    """Send `actor_name(*args)`; actors are looked up by name so the core needs no imports."""
    import workers.actors  # noqa: F401  (declares every actor on this broker)

    return broker.get_actor(actor_name).send_with_options(args=args, delay=delay_ms)


def dispatch_many(jobs_: Sequence[tuple[str, tuple]]) -> list[Any]:
    """Send each (actor name, args) now, in one Redis round trip."""
    import workers.actors  # noqa: F401

    return broker.enqueue_many([broker.get_actor(name).message_with_options(args=args)
                                for name, args in jobs_])


jobs.set_dispatcher(dispatch, dispatch_many)
