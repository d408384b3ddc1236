"""Headless Chromium (Debian's ``chromium``) driven by Playwright: the dashboard served by ``fleetcharge serve``
at ``/dashboard`` approves a decision through the API, and every notebook's main view is saved to
``build/screenshots/``. The browser tests skip with a message when Chromium or Playwright is missing (``make
test`` installs Chromium where it can); the headless dashboard run at the end needs neither."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.notebooks.conftest import SeededStore

ROOT = Path(__file__).resolve().parents[2]  # the checkout

SHOTS = ROOT / "build" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BIN = Path(sys.executable).parent


def _chromium() -> str:
    path = os.environ.get("FLEETCHARGE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("browser test skipped: Chromium not found (apt-get install chromium chromium-driver)")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser test skipped: playwright not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(cmd: list[str], log: Path, url: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start a server (output to ``log``, so no pipe fills) and wait until ``url`` answers."""
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{cmd[0]} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    pytest.fail(f"{url} did not answer in 60 s: {log.read_text()[-2000:]}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def service(seeded_store: SeededStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``fleetcharge serve`` on a free port over the seeded store; yields its base URL."""
    yield from _serve(seeded_store.path, tmp_path_factory.mktemp("serve"))


@pytest.fixture
def own_service(seeded_store: SeededStore, tmp_path: Path) -> Iterator[str]:
    """``fleetcharge serve`` over a copy of the seeded store, for a test that records decisions (an override's
    replacement would otherwise become the latest decision every later test reads)."""
    import sqlite3

    copy = tmp_path / "fleetcharge.db"
    with sqlite3.connect(seeded_store.path) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    yield from _serve(copy, tmp_path)


def _serve(db: Path, tmp: Path) -> Iterator[str]:
    port = _free_port()
    cmd = [
        str(BIN / "fleetcharge"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--db",
        str(db),
    ]
    cmd += ["--workers", "1", "--no-summary", "--demo-request", str(tmp / "demo-request.json")]
    proc = _start(cmd, tmp / "serve.log", f"http://127.0.0.1:{port}/health")
    yield f"http://127.0.0.1:{port}"
    _stop(proc)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(1500)  # let Vega finish drawing
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_dashboard_shows_the_plan_and_approves_through_the_api(browser, own_service: str, seeded_store) -> None:
    service = own_service
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(f"{service}/dashboard/")
    page.wait_for_selector("h1:has-text('Dispatcher dashboard')", timeout=60_000)
    key_box = page.locator("input[type=password]")
    key_box.fill(seeded_store.key)
    key_box.press("Enter")
    cost = f"${seeded_store.decision['cost']['bill_usd']:,.2f}"
    page.wait_for_selector(f"text={cost}", timeout=60_000)  # the plan's cost figure, as the API stored it
    page.reload()  # the browser keeps the key for the tab: no second asking
    page.wait_for_selector(f"text={cost}", timeout=60_000)
    assert page.locator("text=Enter your API key to see the latest decisions").count() == 0
    # the Gantt chart and the site load: on a busy machine the second is drawn a moment after the first
    page.locator(".vega-embed").nth(1).wait_for(timeout=60_000)  # locators see into marimo's shadow roots
    assert page.locator("text=charger occupancy").count() + page.locator(".vega-embed canvas, .vega-embed svg").count()
    bill = seeded_store.decision["cost"]["bill_usd"]
    assert page.locator(f"text={cost}").count() >= 2  # the stat and the table's bill, both to the cent
    assert page.locator(f"text={bill:,.6f}"[:-1]).count() == 0 and "datetime64" not in page.content()
    _shot(page, "dashboard")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_selector("text=approved", timeout=60_000)
    audit = httpx.get(f"{service}/v1/audit/", headers={"Authorization": f"Bearer {seeded_store.key}"}).json()
    approvals = [a for a in audit["items"] if a["action"] == "decision.approve"]
    assert [a["resource"] for a in approvals] == [f"decision:{seeded_store.decision_id}"]
    # an override through the form: the first vehicle kept off every charger for the whole horizon, accepted
    # even where that leaves it short; it shows in the audit log and as a linked, approved replacement
    vehicle = seeded_store.decision["plan"]["vehicles"][0]["vehicle_id"]
    page.get_by_label("vehicle").select_option(vehicle)
    page.get_by_label("reason (required to override)").fill("charger bank down for maintenance")
    page.get_by_label("record it even if a departure ends up short").check()
    page.get_by_role("button", name="Override").click()
    page.wait_for_selector("text=overridden", timeout=60_000)
    audit = httpx.get(f"{service}/v1/audit/", headers={"Authorization": f"Bearer {seeded_store.key}"}).json()
    (over,) = [a for a in audit["items"] if a["action"] == "decision.override"]
    assert over["resource"] == f"decision:{seeded_store.decision_id}"
    assert over["detail"]["reason"] == "charger bank down for maintenance"
    assert over["detail"]["changes"][0]["vehicle_id"] == vehicle and over["detail"]["changes"][0]["charger_id"] is None
    new = over["detail"]["replacement_decision_id"]
    replaced = httpx.get(f"{service}/v1/decisions/{new}", headers={"Authorization": f"Bearer {seeded_store.key}"})
    assert replaced.status_code == 200
    power = next(v for v in replaced.json()["plan"]["vehicles"] if v["vehicle_id"] == vehicle)["power_kw"]
    assert max(power) <= 1e-6
    _shot(page, "dashboard_override")
    page.close()


# notebook -> text that appears once its main view has rendered
MAIN_VIEWS = {
    "plan_explorer": "optimal plan, total cost",
    "trace_explorer": "binding or violated",
    "policy_lab": "Valid.",
    "tariff_explorer": "bill total",
}


@pytest.mark.parametrize("name", sorted(MAIN_VIEWS))
def test_notebook_main_view_renders_and_is_saved(browser, seeded_store: SeededStore, name: str, tmp_path) -> None:
    port = _free_port()
    cmd = [str(BIN / "marimo"), "run", str(ROOT / "notebooks" / f"{name}.py"), "--headless", "--no-sandbox"]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    proc = _start(
        cmd, tmp_path / "marimo.log", f"http://127.0.0.1:{port}/", env={"FLEETCHARGE_DB": str(seeded_store.path)}
    )
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector(f"text={MAIN_VIEWS[name]}", timeout=120_000)
        _shot(page, name)
        assert (SHOTS / f"{name}.png").stat().st_size > 10_000
        page.close()
    finally:
        _stop(proc)


def test_dashboard_runs_headless_against_the_served_api(service: str, seeded_store, monkeypatch) -> None:
    """No browser needed: the dashboard notebook as a script, reading the latest decision through the API."""
    from tests.notebooks.conftest import run_notebook

    monkeypatch.setenv("FLEETCHARGE_API_URL", service)
    assert "decision" not in run_notebook("dashboard")  # no key yet: it asks for one and stops there
    monkeypatch.setenv("FLEETCHARGE_KEY", seeded_store.key)
    defs = run_notebook("dashboard")
    assert defs["decision_id"] == seeded_store.decision_id
    assert defs["decision"].cost.bill_usd == seeded_store.decision["cost"]["bill_usd"]
    assert list(defs["per_depot"]["depot"]) == ["lax-1"]
    assert defs["open_alerts"].empty or set(defs["open_alerts"]["status"]) == {"open"}
    assert len(defs["trend"]["lax-1"]) == 7 and "energy_delivered_kwh" in defs["trend"]["lax-1"]  # 7 days of KPIs
    assert {"peak_kw", "limit_kw", "queue_time_min", "exceptions"} <= set(defs["trend"]["lax-1"].columns)


def test_the_dashboard_has_no_address_a_visitor_can_aim_its_server_at(monkeypatch) -> None:
    """Issue 15.11: the dashboard's server fetched any URL typed into its "decision API" box. Now the address
    comes from FLEETCHARGE_API_URL only (``fleetcharge serve`` sets its own), and the page has no field for it."""
    from tests.notebooks.conftest import run_notebook

    monkeypatch.setenv("FLEETCHARGE_API_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("FLEETCHARGE_KEY", raising=False)
    defs = run_notebook("dashboard")
    assert defs["api_url"] == "http://127.0.0.1:9"  # a plain string from the environment, not a widget


def test_a_wrong_key_is_said_in_words(browser, service: str) -> None:
    """Issue 18.3: the dashboard was blank on a wrong key."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{service}/dashboard/")
    page.wait_for_selector("h1:has-text('Dispatcher dashboard')", timeout=60_000)
    key_box = page.locator("input[type=password]")
    key_box.fill("fc_00000000_not-a-key")
    key_box.press("Enter")
    page.wait_for_selector("text=This key is not valid for this server", timeout=60_000)
    _shot(page, "dashboard_wrong_key")
    page.close()


def test_the_api_docs_render_with_no_request_leaving_loopback(browser, service: str) -> None:
    """Issue 18.2: Swagger UI at /schema loads every script, style and icon from the server itself; a request to any
    other host is refused and recorded (an isolated network), and the operations still render."""
    from urllib.parse import urlparse

    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    outside: list[str] = []

    def loopback_only(route) -> None:
        url = route.request.url
        if url.startswith("data:") or urlparse(url).hostname in ("127.0.0.1", "localhost", "::1"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", loopback_only)
    page.goto(f"{service}/schema")
    page.wait_for_selector(".opblock-summary-path:has-text('/v1/decisions')", timeout=30_000)
    assert page.locator(".opblock-summary-path").count() >= 20  # every operation, not an error page
    assert page.locator("text=fleetcharge decision API").count() >= 1
    assert outside == []
    _shot(page, "api_docs")
