"""The broker: several jobs in one Redis round trip, quick polls of the queues people wait on."""
from __future__ import annotations

import dramatiq

from hub import jobs


def test_enqueue_many_reaches_a_real_worker_like_single_sends(worker, monkeypatch):
    import workers.actors  # noqa: F401
    from workers.broker import broker

    ran: list[tuple[str, ...]] = []

    @dramatiq.actor(queue_name="default", actor_name="test_enqueue_many_probe", max_retries=0)
    def probe(*args):
        ran.append(args)

    try:
        # Given Redis forgot the broker's scripts (a restart): the pipeline must still go through
        broker.client.script_flush()
        jobs.enqueue_many([("test_enqueue_many_probe", (f"a{i}", i)) for i in range(5)])
        jobs.enqueue_many([("test_enqueue_many_probe", ("lone", 0))])
        worker.drain()
        assert sorted(ran) == sorted([(f"a{i}", i) for i in range(5)] + [("lone", 0)])
        # Nothing is left in the queue
        assert broker.do_qsize("default") == 0
    finally:
        broker.actors.pop("test_enqueue_many_probe", None)


def test_idle_consumers_of_the_inbound_and_outbound_queues_poll_quickly():
    """Dramatiq backs off to the worker timeout (1 s) on an empty queue; not on these."""
    from workers.broker import FAST_POLL_MS, broker

    for queue in ("inbound", "outbound"):
        assert broker.consume(queue, timeout=1000).timeout == FAST_POLL_MS[queue] <= 50
    assert broker.consume("scheduled", timeout=1000).timeout == 1000


def test_a_job_is_acknowledged_and_counted_in_one_round_trip_even_after_a_script_flush(worker):
    """The consumer writes the job outcome counts with the ack (or the nack of a job failed
    for good): both are in Redis once the queue is drained, and a Redis that forgot the
    broker's scripts still gets the ack."""
    import workers.actors  # noqa: F401
    from hub.redis_client import get_redis
    from workers.broker import broker
    from workers.middleware import job_counter_key, job_counters

    @dramatiq.actor(queue_name="default", actor_name="test_ack_count_ok", max_retries=0)
    def ok(n):
        if n == 0:  # Redis forgets the scripts between this job and its ack (once: a restart)
            broker.client.script_flush()

    @dramatiq.actor(queue_name="default", actor_name="test_ack_count_fails", max_retries=0)
    def fails(n):
        raise RuntimeError("for good")

    def counts():
        raw = get_redis().hgetall(job_counter_key())
        return {k.decode() if isinstance(k, bytes) else k: int(v) for k, v in raw.items()}

    try:
        before = counts()
        for i in range(3):
            ok.send(i)
        fails.send(0)
        worker.drain()
        after = counts()
        assert after.get("test_ack_count_ok|ok", 0) - before.get("test_ack_count_ok|ok", 0) == 3
        assert after.get("test_ack_count_fails|error", 0) \
            - before.get("test_ack_count_fails|error", 0) == 1
        assert job_counters.take() == {}  # nothing left behind in the process
        # Acked (and the failed one nacked to the dead letters): nothing waits or runs
        assert broker.do_qsize("default") == 0
        assert not any(broker.client.smembers(k) for k in broker.client.keys(
            f"{broker.namespace}:__acks__.*"))
    finally:
        broker.actors.pop("test_ack_count_ok", None)
        broker.actors.pop("test_ack_count_fails", None)


def test_an_acknowledgement_lost_to_a_connection_error_is_retried_and_counted_once(
        worker, monkeypatch):
    """Redis drops the connection as a job is acknowledged: the job is not run again, its
    acknowledgement goes through once Redis answers, and its outcome is counted once."""
    import redis

    import dramatiq.worker
    import workers.actors  # noqa: F401
    from hub.redis_client import get_redis
    from workers.broker import broker
    from workers.middleware import job_counter_key

    monkeypatch.setattr(dramatiq.worker, "POST_PROCESS_MESSAGE_RETRY_DELAY_SECS", 0.1)
    ran: list[int] = []
    real_pipeline = broker.client.pipeline
    failures = []

    def flaky_pipeline(*args, **kwargs):
        pipe = real_pipeline(*args, **kwargs)
        real_execute = pipe.execute

        def execute(*a, **k):
            if not failures:  # the first acknowledgement's round trip is lost
                failures.append(1)
                pipe.reset()
                raise redis.ConnectionError("connection reset by peer")
            return real_execute(*a, **k)

        pipe.execute = execute
        return pipe

    @dramatiq.actor(queue_name="default", actor_name="test_ack_lost_once", max_retries=0)
    def job(n):
        ran.append(n)
        monkeypatch.setattr(broker.client, "pipeline", flaky_pipeline)

    def count():
        raw = get_redis().hget(job_counter_key(), "test_ack_lost_once|ok")
        return int(raw or 0)

    try:
        before = count()
        job.send(7)
        worker.drain()
        assert failures == [1]  # the acknowledgement did fail once
        assert ran == [7]  # and the job was not run a second time
        assert count() - before == 1
        assert broker.do_qsize("default") == 0
        assert not any(broker.client.smembers(k) for k in broker.client.keys(
            f"{broker.namespace}:__acks__.*"))
    finally:
        broker.actors.pop("test_ack_lost_once", None)
