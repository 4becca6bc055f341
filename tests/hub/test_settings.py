"""Settings are read from the environment in one place, with the embedded default."""
from pathlib import Path

from hub.embedded_redis import EmbeddedRedis
from hub.settings import load_settings


def test_embedded_default_without_urls(tmp_path):
    settings = load_settings({"HUB_DATA_DIR": str(tmp_path)})
    assert settings.database_url is None and settings.redis_url is None
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    assert settings.port == 5000
    # A generated SECRET_KEY is kept, so a restart does not log everyone out.
    assert load_settings({"HUB_DATA_DIR": str(tmp_path)}).secret_key == settings.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_environment_overrides(tmp_path):
    settings = load_settings({
        "HUB_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgresql://u@h/db",
        "REDIS_URL": "redis://r:6379/1", "SECRET_KEY": "k" * 40, "PORT": "8080",
        "HUB_PUBLIC_URL": "https://hub.example.com/", "HUB_SCHEDULE_ARCHIVE": "0 3 * * *"})
    assert settings.resolved_database_url == "postgresql://u@h/db"
    assert settings.redis_url == "redis://r:6379/1"
    assert settings.public_url == "https://hub.example.com"
    assert settings.port == 8080
    assert settings.schedules == {"archive": "0 3 * * *"}


def test_embedded_redis_starts_once_per_data_dir(tmp_path):
    import redis

    first = EmbeddedRedis(tmp_path)
    url = first.start()
    try:
        client = redis.Redis.from_url(url)
        client.set("k", "v")
        second = EmbeddedRedis(tmp_path)
        assert second.start() == url and second.process is None  # found the running one
        assert client.get("k") == b"v"
        assert Path(url[len("unix://"):]).exists()
    finally:
        first.stop()
    assert not EmbeddedRedis(tmp_path).path.exists() or not first.process
