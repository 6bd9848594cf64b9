"""Demo and benchmark scaffolding never runs with production settings."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "command", ["seed_demo", "fake_services", "insights_demo", "seed_scale", "bench"]
)
def test_each_demo_and_bench_command_refuses_production_settings(settings, command):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match=f"{command} refuses to run with production settings"):
        call_command(command, stdout=StringIO())


def test_production_settings_do_not_install_the_demo_and_bench_apps():
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}},
        "DJANGO_ENV": "production",
        "SECRET_KEY": "demo-refusal-k3Y9fQ2tR7wZ1xL5nB8vC0mD4hJ6gS2aE7uI9oP3yT1",
        "ALLOWED_HOSTS": "shop.example",
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "seed_demo"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "Unknown command: 'seed_demo'" in result.stderr
