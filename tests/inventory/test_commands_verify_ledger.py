"""manage.py verify_ledger: OK on a clean ledger; a non-zero exit naming each broken level."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F

from inventory.models import StockLevel

pytestmark = pytest.mark.django_db


def _break(level: StockLevel) -> None:
    """Test only: change on_hand behind the ledger's back."""
    StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") + 2)


@pytest.mark.smoke
def test_verify_ledger_clean_prints_ok(stocked, capsys):
    stocked(5)
    stocked(0)

    call_command("verify_ledger")

    out, err = capsys.readouterr()
    assert "Ledger OK: 2 stock levels match their movements." in out
    assert err == ""


@pytest.mark.smoke
def test_verify_ledger_broken_level_raises_and_names_the_sku(stocked, capsys):
    stocked(5)
    broken = stocked(7)
    _break(broken)

    with pytest.raises(CommandError) as excinfo:
        call_command("verify_ledger")

    out, err = capsys.readouterr()
    assert "1 stock level(s) disagree with the ledger." in str(excinfo.value)
    # manage.py turns a CommandError into sys.exit(returncode); the process test below checks it for real.
    assert excinfo.value.returncode == 1
    assert f"MISMATCH level {broken.pk} ({broken.variant.sku} @ {broken.location.code})" in err
    assert "on_hand 9, sum of movements 7" in err
    assert err.count("MISMATCH") == 1
    assert "Ledger OK" not in out


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a second process needs a shared, committed database")
@pytest.mark.django_db(transaction=True, available_apps=["inventory", "suppliers"])
def test_verify_ledger_as_a_process_exit_status(stocked):
    """Run the real `manage.py` against the test database. The data must be committed for the
    child process to see it, hence a transactional test; available_apps keeps the flush at
    the end to the inventory tables, so the role groups from migrations survive."""
    broken = stocked(7)
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings"}
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "verify_ledger"]

    clean = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert clean.returncode == 0, clean.stderr
    assert "Ledger OK: 1 stock levels" in clean.stdout

    _break(broken)
    failed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1
    assert broken.variant.sku in failed.stderr
    assert "disagree with the ledger" in failed.stderr
