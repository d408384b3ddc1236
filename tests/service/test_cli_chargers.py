"""``fleetcharge chargers``: add prints a key that authenticates, rotate-key replaces it, list shows no key."""

from __future__ import annotations

from service.cli import main
from service.ocpp.registry import ChargerRefused, ChargerRegistry, basic_credentials
from service.ocpp.simulated import basic_auth
from service.store import Store


def test_add_rotate_and_list(tmp_path, capsys) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    assert main(["chargers", "add", "CP001", "--tenant", "acme", "--depot", "d1", "--unit", "W", "--db", db]) == 0
    key = capsys.readouterr().out.strip()
    assert len(key) == 40 and int(key, 16) >= 0
    registry = ChargerRegistry(Store(db).engine)
    assert registry.authenticate("CP001", basic_auth("CP001", key)).electrics.rate_unit == "W"
    assert main(["chargers", "add", "CP001", "--tenant", "acme", "--db", db]) == 2
    assert "already registered" in capsys.readouterr().err
    assert main(["chargers", "add", "CP 2", "--tenant", "acme", "--db", db]) == 2
    assert main(["chargers", "add", "CP3", "--tenant", "acme", "--key", "abc", "--db", db]) == 2
    assert "32 to 40 hex digits" in capsys.readouterr().err
    assert main(["chargers", "rotate-key", "CP001", "--tenant", "acme", "--db", db]) == 0
    new = capsys.readouterr().out.strip()
    try:
        registry.authenticate("CP001", basic_auth("CP001", key))
        raise AssertionError("the old key still works")
    except ChargerRefused:
        pass
    assert registry.authenticate("CP001", basic_auth("CP001", new)).charger_id == "CP001"
    assert main(["chargers", "rotate-key", "CP001", "--tenant", "globex", "--db", db]) == 2
    assert main(["chargers", "list", "--tenant", "acme", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "CP001" in out and new not in out and key not in out


def test_the_shared_example_header_decodes_to_its_identity_and_key() -> None:
    """The worked example of data/ocpp/README.md: CP001 with a 20-byte AuthorizationKey."""
    header = "Basic Q1AwMDE6MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nw=="
    assert basic_credentials(header) == ("CP001", "0123456789abcdef0123456789abcdef01234567")
    assert basic_auth("CP001", "0123456789abcdef0123456789abcdef01234567") == header
    assert basic_credentials("Basic !!!") is None and basic_credentials("Bearer x") is None
