"""The .env file that `make run` writes: read by the settings (so manage.py, Celery and the
server agree), never over a variable the environment sets."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import env_file_load

ROOT = Path(__file__).resolve().parents[2]
SHOW = "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY, settings.TIME_ZONE)"


def _manage(*args, env_file: Path | None, **env_overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEBUG", "SECRET_KEY", "TIME_ZONE", "DJANGO_SETTINGS_MODULE", "STOCKROOM_ENV_FILE"}}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env["STOCKROOM_ENV_FILE"] = str(env_file) if env_file else ""
    env.update(env_overrides)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def embedded_env(tmp_path) -> Path:
    path = tmp_path / ".env"
    path.write_text("# written by make run\nDEBUG=1\nSECRET_KEY=generated-key-0123456789abcdefghijklmnopqrstuvwxyz\n")
    return path


def test_manage_py_reads_the_env_file_written_by_make_run(embedded_env):
    result = _manage("shell", "-c", SHOW, env_file=embedded_env)

    assert result.returncode == 0, result.stderr
    shown = result.stdout.strip().splitlines()[-1].split()
    assert shown == ["True", "generated-key-0123456789abcdefghijklmnopqrstuvwxyz", "UTC"]


def test_manage_py_without_the_env_file_still_refuses_to_run_without_a_secret_key():
    result = _manage("check", env_file=None)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_environment_wins_over_the_env_file(embedded_env):
    result = _manage("shell", "-c", SHOW, env_file=embedded_env, DEBUG="0", SECRET_KEY="from-the-environment",
                     TIME_ZONE="Europe/Berlin")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "from-the-environment", "Europe/Berlin"]


def test_env_file_load_parses_comments_export_and_quotes(tmp_path, monkeypatch):
    path = tmp_path / ".env"
    path.write_text(
        "\n# a comment\nexport STOCKROOM_T_A=1\nSTOCKROOM_T_B = 'quoted value'\nSTOCKROOM_T_C=\"x=y#z\"\n"
        "not a line\n=no-name\nSTOCKROOM_T_D=already\n"
    )
    for name in ("STOCKROOM_T_A", "STOCKROOM_T_B", "STOCKROOM_T_C"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STOCKROOM_T_D", "from the environment")

    env_file_load(path)

    assert os.environ["STOCKROOM_T_A"] == "1"
    assert os.environ["STOCKROOM_T_B"] == "quoted value"
    assert os.environ["STOCKROOM_T_C"] == "x=y#z"
    assert os.environ["STOCKROOM_T_D"] == "from the environment"
    for name in ("STOCKROOM_T_A", "STOCKROOM_T_B", "STOCKROOM_T_C"):
        monkeypatch.delenv(name)


def test_env_file_load_missing_file_is_nothing(tmp_path):
    env_file_load(tmp_path / "missing.env")  # no error


def test_env_file_is_ignored_by_git_and_docker():
    assert "/.env" in (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in (ROOT / ".dockerignore").read_text().splitlines()


def test_run_script_writes_the_env_file_and_prints_the_login_last():
    script = (ROOT / "scripts" / "run-embedded.sh").read_text()

    assert "SECRET_KEY=$($PY -c" in script and "DEBUG=1" in script and "> .env.tmp" in script
    assert script.index("runserver") < script.rindex("manage.py ensure_admin")
