"""Settings come from the environment; production refuses insecure defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from clienteling.config.settings import database_from_url

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k3Y-9fQ2_tR7wZ1xL5nB8vC0mD4hJ6gS2aE7uI9oP3yT1qW5rX8zN0"


def load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DJANGO_ENV", "ALLOWED_HOSTS", "DEBUG"}
    }
    return subprocess.run(
        [sys.executable, "-c", "import clienteling.config.settings as s; print(s.DEBUG)"],
        env={**clean, "PYTHONPATH": str(ROOT / "src"), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = load_settings(DJANGO_ENV="production", ALLOWED_HOSTS="shop.example")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = load_settings(DJANGO_ENV="production", SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_production_refuses_debug():
    result = load_settings(
        DJANGO_ENV="production", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="x", DEBUG="true"
    )
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_development_defaults_start_with_debug_on():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_postgres_url_is_split_into_django_settings():
    db = database_from_url("postgresql://shop:p%40ss@db.internal:6543/clienteling?sslmode=require")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "shop",
        "p@ss",
        "db.internal",
        "6543",
        "clienteling",
    )
    assert db["OPTIONS"] == {"connect_timeout": 5, "sslmode": "require"}


def test_sqlite_url_serialises_writers():
    """Concurrent writers queue instead of failing half-way (R-ERR-2)."""
    db = database_from_url("sqlite:////tmp/x.sqlite3")
    assert db["NAME"] == "/tmp/x.sqlite3"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"  # type: ignore[index]


def test_unknown_database_scheme_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        database_from_url("mysql://x/y")


@pytest.mark.django_db
def test_health_probe_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_production_without_redis_is_warned_about_in_the_deploy_checks(settings):
    """R-ACT-4, R-SCALE-2: a per-process cache cannot tell other processes of a change, so
    production with several processes is warned to share one (Redis)."""
    from clienteling.core.checks import shared_cache_in_production

    settings.PRODUCTION, settings.REDIS_URL = True, ""
    assert [m.id for m in shared_cache_in_production(None)] == ["clienteling.W001"]
    settings.REDIS_URL = "redis://cache:6379/0"
    assert shared_cache_in_production(None) == []


@pytest.mark.parametrize("key", ["x", "s" * 50, "short-but-random-7fQ2"])
def test_production_refuses_a_short_or_repetitive_secret_key(key):
    """R-SEC-2: a production key of fewer than 50 random characters is refused at start."""
    result = load_settings(DJANGO_ENV="production", SECRET_KEY=key, ALLOWED_HOSTS="x")
    assert result.returncode != 0
    assert "at least 50 random characters" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    """R-SEC-2: `manage.py check --deploy` finds nothing: TLS redirect, HSTS, secure
    cookies, a strong key, a shared cache."""
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_ENV", "DEBUG"}}
    env = {
        **clean,
        "PYTHONPATH": str(ROOT / "src"),
        "DJANGO_ENV": "production",
        "SECRET_KEY": GOOD_KEY,
        "ALLOWED_HOSTS": "clienteling.example.com",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_does_not_keep_postgresql_connections_per_thread(monkeypatch):
    """runserver serves each request on a new thread: kept connections would exhaust the
    server's; production (gunicorn's few workers) keeps them for 60 s by default."""
    monkeypatch.delenv("DB_CONN_MAX_AGE", raising=False)
    assert database_from_url("postgresql://u@db:5432/shop")["CONN_MAX_AGE"] == 0
