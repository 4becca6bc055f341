"""/healthz names what is failing; /metrics speaks Prometheus."""


def test_healthz_ok_with_a_live_worker(client, worker):
    import time

    deadline = time.monotonic() + 10
    body = client.get("/healthz").get_json()
    while body["workers"] == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
        body = client.get("/healthz").get_json()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "broker": "ok",
                                   "workers": 1}


def test_healthz_without_workers_is_503_naming_workers(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["workers"] and body["database"] == "ok"


def test_healthz_with_database_down_is_503(client, unreachable_database):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert "database" in body["failing"] and body["database"].startswith("error")


def test_metrics_counts_requests_jobs_and_queues(client, worker, tenant):
    from hub.jobs import enqueue

    enqueue("noop", "x")
    worker.drain()
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    assert "hub_http_requests_total{" in text and 'endpoint="/healthz"' in text
    assert 'hub_jobs_total{actor="noop",outcome="ok"} 1.0' in text
    assert 'hub_queue_depth{queue="default",state="ready"}' in text


def test_every_request_gets_an_id_a_count_and_a_log_line(client, caplog):
    import logging
    import re

    def count(text: str) -> float:  # /healthz answers, whatever their status
        return sum(float(n) for n in re.findall(
            r'hub_http_requests_total\{endpoint="/healthz",method="GET",status="\d+"\} ([0-9.]+)',
            text))

    before = count(client.get("/metrics").get_data(as_text=True))
    with caplog.at_level(logging.INFO, logger="hub.http"):
        given = client.get("/healthz", headers={"X-Request-Id": "abc123"})
        made = client.get("/healthz")
    assert given.headers["X-Request-Id"] == "abc123"
    assert re.fullmatch(r"[0-9a-f]{16}", made.headers["X-Request-Id"])
    assert any("request id=abc123 method=GET path=/healthz" in r.getMessage()
               for r in caplog.records)
    assert count(client.get("/metrics").get_data(as_text=True)) == before + 2
