"""The partner simulator is for development and demos: with DEBUG off it is refused (not
served, no adapter points at it, `check --deploy` fails) unless PARTNER_SIMULATOR_FORCE
says it is a demo; and DEBUG is off unless set, for manage.py as for every entry point."""

import re

import pytest
from django.core.checks import Error, Warning

from partners.simulator.checks import (
    check_real_credentials_while_simulated,
    check_simulator_in_production,
)
from tests.config.test_settings import ROOT, run_manage

SECRET = "p" + "6Kq9xV2mT8rW4zL1nB7cY3hJ5dF0sG" * 2
PRODUCTION = {"DEBUG": "false", "SECRET_KEY": SECRET, "ALLOWED_HOSTS": "partnerhub.example.org"}
SERVED = (
    "from django.conf import settings; from django.urls import resolve, Resolver404\n"
    "try:\n"
    "    resolve('/simulator/hsi/api/v1/students'); served = True\n"
    "except Resolver404:\n"
    "    served = False\n"
    "print('DEBUG', settings.DEBUG, 'SIMULATOR', settings.PARTNER_SIMULATOR, 'SERVED', served)"
)


def test_manage_py_is_production_unless_debug_is_set_as_the_readme_says(tmp_path):
    result = run_manage("shell", "-c", SERVED, SECRET_KEY=SECRET, DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "DEBUG False SIMULATOR False SERVED False" in result.stdout
    readme = (ROOT / "README.md").read_text()
    [default] = re.findall(r"^\| `DEBUG` \| `(\w+)`", readme, re.MULTILINE)
    assert default == "false"


def test_simulator_asked_for_in_production_is_refused_and_fails_check_deploy(tmp_path):
    env = {**PRODUCTION, "PARTNER_SIMULATOR": "true", "DATA_DIR": str(tmp_path)}
    served = run_manage("shell", "-c", SERVED, **env)
    assert "DEBUG False SIMULATOR False SERVED False" in served.stdout, served.stderr

    check = run_manage("check", "--deploy", **env)
    assert check.returncode != 0
    assert "simulator.E001" in check.stderr
    assert "PARTNER_SIMULATOR is on while DEBUG is off" in check.stderr
    assert "PARTNER_SIMULATOR_FORCE=true" in check.stderr


def test_a_forced_demo_serves_the_simulator_with_a_deploy_warning(tmp_path):
    env = {
        **PRODUCTION,
        "PARTNER_SIMULATOR": "true",
        "PARTNER_SIMULATOR_FORCE": "true",
        "DATA_DIR": str(tmp_path),
    }
    served = run_manage("shell", "-c", SERVED, **env)
    assert "DEBUG False SIMULATOR True SERVED True" in served.stdout, served.stderr

    check = run_manage("check", "--deploy", **env)
    assert check.returncode == 0, check.stderr
    assert "simulator.W001" in check.stderr and "simulator.E001" not in check.stderr


@pytest.mark.parametrize(
    ("debug", "simulator", "forced", "refused", "expected"),
    [
        (True, True, False, False, []),
        (False, False, False, False, []),
        (False, False, False, True, ["simulator.E001"]),  # asked for, refused by settings
        (False, True, False, False, ["simulator.E001"]),  # switched on after settings
        (False, True, True, False, ["simulator.W001"]),
    ],
)
def test_deploy_check(settings, debug, simulator, forced, refused, expected):
    settings.DEBUG = debug
    settings.PARTNER_SIMULATOR = simulator
    settings.PARTNER_SIMULATOR_FORCE = forced
    settings.PARTNER_SIMULATOR_REFUSED = refused
    messages = check_simulator_in_production()
    assert [m.id for m in messages] == expected
    if expected == ["simulator.E001"]:
        assert isinstance(messages[0], Error)
    if expected == ["simulator.W001"]:
        assert isinstance(messages[0], Warning)


def test_real_credentials_set_while_simulated_are_reported_as_ignored(settings, monkeypatch):
    settings.PARTNER_SIMULATOR = True
    monkeypatch.setenv("HSI_API_KEY", "real-hsi-key-0123456789")
    monkeypatch.setenv("NDS_API_SECRET", "real-nds-secret-0123456789")
    found = {(m.id, m.obj) for m in check_real_credentials_while_simulated()}
    assert found == {("simulator.W002", "hsi"), ("simulator.W002", "nds")}
    settings.PARTNER_SIMULATOR = False
    assert check_real_credentials_while_simulated() == []
