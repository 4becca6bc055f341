"""Domain verification against a local DNS server and a local file server; the daily recheck."""
from __future__ import annotations

import pytest

from hub import db as hubdb
from hub.settings import configure, get_settings
from tests.widget.servers import LocalDNS, StaticServer


@pytest.fixture
def dns_server():
    server = LocalDNS().start()
    yield server
    server.stop()


@pytest.fixture
def use_settings():
    """Override settings for one test (the web app and the services read the same object)."""
    original = get_settings()

    def apply(**changes):
        configure(original.with_overrides(**changes))

    yield apply
    configure(original)


def _widget_with_domain(client, tenant, domain):
    w = client.post("/api/widgets", json={"name": "Shop"}, headers=tenant.headers).get_json()
    d = client.post(f"/api/widgets/{w['id']}/domains", json={"domain": domain},
                    headers=tenant.headers).get_json()
    return w, d


def _verify(client, tenant, w, d):
    return client.post(f"/api/widgets/{w['id']}/domains/{d['id']}/verify", headers=tenant.headers)


def test_dns_txt_at_the_verification_name_verifies(client, tenant, dns_server, use_settings):
    use_settings(widget_dns_resolver=dns_server.address, widget_verify_port=1)  # file: refused
    w, d = _widget_with_domain(client, tenant, "shop.example.com")
    r = _verify(client, tenant, w, d)
    assert r.status_code == 200 and r.get_json()["verified"] is False
    assert "no TXT record" in r.get_json()["lastError"]
    dns_server.records["_hub-verification.shop.example.com"] = [f"hub-verification={d['token']}"]
    r = _verify(client, tenant, w, d).get_json()
    assert r["verified"] is True and r["method"] == "dns" and r["verifiedAt"]
    assert "_hub-verification.shop.example.com" in dns_server.queries


def test_dns_txt_on_the_domain_itself_and_wrong_tokens(client, tenant, dns_server, use_settings):
    use_settings(widget_dns_resolver=dns_server.address, widget_verify_port=1)
    w, d = _widget_with_domain(client, tenant, "example.org")
    dns_server.records["example.org"] = ["v=spf1 -all", "hub-verification=wrong"]
    assert _verify(client, tenant, w, d).get_json()["verified"] is False
    dns_server.records["example.org"].append(f"hub-verification={d['token']}")
    assert _verify(client, tenant, w, d).get_json()["verified"] is True


def test_file_verification(client, tenant, dns_server, use_settings):
    files = StaticServer().start()
    try:
        use_settings(widget_dns_resolver=dns_server.address, widget_verify_scheme="http",
                     widget_verify_port=files.port)
        w, d = _widget_with_domain(client, tenant, "localhost")
        assert _verify(client, tenant, w, d).get_json()["verified"] is False
        files.files["/.well-known/hub-verification.txt"] = (200, b"someone-else\n", "text/plain")
        assert _verify(client, tenant, w, d).get_json()["verified"] is False
        files.files["/.well-known/hub-verification.txt"] = (200, d["token"].encode() + b"\n",
                                                            "text/plain")
        r = _verify(client, tenant, w, d).get_json()
        assert r["verified"] is True and r["method"] == "file"
    finally:
        files.stop()


def test_daily_recheck_unverifies_a_removed_proof_and_keeps_it_on_outage(
        client, tenant, dns_server, use_settings, worker):
    from workers.widgets import recheck_widget_domains

    use_settings(widget_dns_resolver=dns_server.address, widget_verify_port=1)
    w, d = _widget_with_domain(client, tenant, "shop.example.com")
    name = "_hub-verification.shop.example.com"
    dns_server.records[name] = [f"hub-verification={d['token']}"]
    assert _verify(client, tenant, w, d).get_json()["verified"] is True
    # The resolver is down: a transient failure keeps the domain verified.
    dns_server.stop()
    from hub.widget_domains import recheck_all

    with hubdb.db.connection_context():
        counts = recheck_all()
    assert counts == {"checked": 1, "verified": 1, "lost": 0}
    # The owner removed the record: the real worker's run unverifies the domain.
    fresh = LocalDNS().start()
    try:
        use_settings(widget_dns_resolver=fresh.address, widget_verify_port=1)
        recheck_widget_domains.send()
        worker.drain()
        domains = client.get(f"/api/widgets/{w['id']}/domains", headers=tenant.headers).get_json()
        assert domains[0]["verified"] is False and domains[0]["lastCheckedAt"]
    finally:
        fresh.stop()


def test_recheck_is_scheduled_daily():
    import workers.actors  # noqa: F401
    from workers.scheduler import SCHEDULE

    assert SCHEDULE["widget_domains_recheck"] == ("recheck_widget_domains", "17 3 * * *")
