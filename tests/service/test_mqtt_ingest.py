"""MQTT ingest against a real Mosquitto broker (127.0.0.1:1883, or FLEETCHARGE_TEST_MQTT; skips when none
answers; the reconnect test runs its own broker when the mosquitto binary exists). Redelivered messages are
duplicates by event id, never applied twice."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from datetime import UTC, datetime

import pytest

from service.mqtt_ingest import MqttIngest, parse_broker
from service.store import Store
from service.telemetry_store import TelemetryStore
from tests.service.conftest import small_problem

BROKER = os.environ.get("FLEETCHARGE_TEST_MQTT", "mqtt://127.0.0.1:1883")


def _broker_answers() -> bool:
    host, port = parse_broker(BROKER)
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


needs_broker = pytest.mark.skipif(not _broker_answers(), reason=f"no MQTT broker answers at {BROKER}")


def test_parse_broker() -> None:
    assert parse_broker("mqtt://broker.example:1884") == ("broker.example", 1884)
    assert parse_broker("127.0.0.1") == ("127.0.0.1", 1883)
    with pytest.raises(ValueError, match="--broker"):
        parse_broker("http://x:1")


@needs_broker
def test_messages_feed_the_pipeline_and_redelivery_is_a_duplicate(tmp_path) -> None:
    import paho.mqtt.publish as publish

    store = Store(f"sqlite:///{tmp_path / 'mqtt.db'}")
    store.put_fleet("acme", "depot", small_problem().model_dump(mode="json", by_alias=True))
    ts = TelemetryStore(store)
    run = uuid.uuid4().hex[:8]
    topic_root = f"fleet-test-{run}"
    ingest = MqttIngest(ts, "acme", BROKER, f"{topic_root}/+/telemetry", client_id=f"fc-test-{run}", flush_s=0.2)
    thread = threading.Thread(
        target=ingest.run, kwargs={"until": lambda: sum(ingest.counts.values()) >= 4}, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while ingest.connects == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # subscription settles
    host, port = parse_broker(BROKER)
    now = datetime.now(UTC).isoformat()
    event = {
        "event_id": f"m-{run}",
        "vehicle_id": "v1",
        "source": "mqtt",
        "event_time": now,
        "type": "soc",
        "values": {"soc_pct": 42.0},
        "payload_version": "1",
    }
    publish.single(f"{topic_root}/v1/telemetry", json.dumps(event), qos=1, hostname=host, port=port)
    # the same event again (as a broker redelivers it), plus a list holding a bad one and a position
    batch = [
        event,
        {**event, "event_id": f"bad-{run}", "values": {"soc_pct": 420}},
        {**event, "event_id": f"p-{run}", "type": "position", "values": {"lat": 34.0, "lon": -118.0, "depot_id": "d"}},
    ]
    publish.single(f"{topic_root}/v1/telemetry", json.dumps(batch), qos=1, hostname=host, port=port)
    thread.join(20)
    assert ingest.counts == {"accepted": 2, "duplicate": 1, "quarantined": 1}
    assert ts.count_events("acme") == 2
    assert ts.state("acme", "v1").latest["soc"].values == {"soc_pct": 42.0}


def test_reconnects_after_the_broker_restarts(tmp_path) -> None:
    """A private broker on a free port is stopped and started again: the subscriber reconnects on its own (paho's
    backoff), subscribes again and ingests what is published after the restart."""
    import shutil
    import subprocess

    import paho.mqtt.publish as publish

    binary = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)
    if binary is None:
        pytest.skip("mosquitto binary not installed: cannot restart a private broker")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")

    def start() -> subprocess.Popen:
        proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return proc
            except OSError:
                time.sleep(0.05)
        proc.kill()
        pytest.fail("private mosquitto did not start")

    broker = start()
    store = Store(f"sqlite:///{tmp_path / 'mqtt.db'}")
    store.put_fleet("acme", "depot", small_problem().model_dump(mode="json", by_alias=True))
    ingest = MqttIngest(TelemetryStore(store), "acme", f"mqtt://127.0.0.1:{port}", "fleet/+/telemetry", flush_s=0.1)
    thread = threading.Thread(target=ingest.run, kwargs={"until": lambda: ingest.counts["accepted"] >= 2}, daemon=True)
    thread.start()

    def publish_soc(eid: str) -> None:
        event = {
            "event_id": eid,
            "vehicle_id": "v1",
            "source": "mqtt",
            "event_time": datetime.now(UTC).isoformat(),
            "type": "soc",
            "values": {"soc_pct": 50.0},
            "payload_version": "1",
        }
        publish.single("fleet/v1/telemetry", json.dumps(event), qos=1, hostname="127.0.0.1", port=port)

    try:
        deadline = time.monotonic() + 10
        while ingest.connects < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        publish_soc("before")
        while ingest.counts["accepted"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        broker.terminate()
        broker.wait(10)
        time.sleep(1.5)  # the client notices and starts backing off
        broker = start()
        deadline = time.monotonic() + 20
        while ingest.connects < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ingest.connects >= 2, "the subscriber did not reconnect"
        time.sleep(0.3)
        publish_soc("after")
        thread.join(15)
        assert ingest.counts["accepted"] == 2
    finally:
        broker.terminate()
        broker.wait(10)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def test_without_a_broker_it_says_so_and_keeps_retrying_with_backoff(tmp_path) -> None:
    """Issue 18.5: 'subscribed' was printed when no broker answered. Now: connecting, then each failed attempt
    counted, never 'connected' (followed until the second attempt has failed, 30 s at most)."""
    store = Store(f"sqlite:///{tmp_path / 'mqtt.db'}")
    said: list[str] = []
    port = _closed_port()
    ingest = MqttIngest(TelemetryStore(store), "acme", f"mqtt://127.0.0.1:{port}", on_status=said.append)
    start = time.monotonic()
    ingest.run(until=lambda: ingest.failures >= 2 or time.monotonic() - start > 30)
    retry = "retrying with backoff, 1 s doubling to 60 s"
    assert said == [
        f"connecting to 127.0.0.1:{port}",
        f"no MQTT broker answers at 127.0.0.1:{port} (attempt 1); {retry}",
        f"no MQTT broker answers at 127.0.0.1:{port} (attempt 2); {retry}",
    ]
    assert ingest.state == "stopping" and ingest.connects == 0


@needs_broker
def test_with_a_broker_it_says_connected_and_subscribed(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'mqtt.db'}")
    said: list[str] = []
    topic = f"fleet/{uuid.uuid4().hex[:8]}/telemetry"
    ingest = MqttIngest(
        TelemetryStore(store), "acme", BROKER, topic, f"t-{uuid.uuid4().hex[:8]}", on_status=said.append
    )
    ingest.run(until=lambda: ingest.state == "connected" or len(said) > 5)
    host, port = parse_broker(BROKER)
    assert said == [f"connecting to {host}:{port}", f"connected to {host}:{port}, subscribed to {topic}"]
