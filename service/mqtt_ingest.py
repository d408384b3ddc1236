"""MQTT ingest: subscribe (QoS 1, persistent session) and feed the same pipeline as ``POST /v1/telemetry``.

At-least-once delivery is made effectively exactly-once: messages are acknowledged to the broker only after the
batch holding them is committed (paho's manual acks), so a crash before the commit means redelivery, and a
redelivered event is a duplicate by its ``event_id``. A message may hold one payload or a JSON list of them. The
client reconnects with exponential backoff (1 s doubling to 60 s) and resubscribes on every connect.

Delivery promise, exactly: every message the broker accepted (QoS 1) is stored once, provided the broker still
holds it when the ingester comes back. While the ingester is away the broker queues its messages up to its
``max_queued_messages`` (Mosquitto's default, 1000, is minutes at fleet rates; ``service/mosquitto.conf`` ships
1,000,000, about 80 minutes at 200 messages/s). Beyond that the broker drops them: the ingester then reports
the broker's dropped count (``$SYS/broker/publish/messages/dropped``): ``broker_dropped_total`` since the broker
started (a warning at connect when it is not 0: drops during the outage), ``broker_dropped`` its rise while
connected, both in its log.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt

from service.telemetry_store import Outcome, TelemetryStore
from service.triggers import TriggerWatch

log = logging.getLogger("fleetcharge.mqtt")
DROPPED_TOPIC = "$SYS/broker/publish/messages/dropped"  # Mosquitto's count of dropped messages


def parse_broker(url: str) -> tuple[str, int]:
    """``mqtt://HOST:PORT`` -> (host, port); port 1883 by default."""
    u = urlparse(url if "://" in url else f"mqtt://{url}")
    if u.scheme not in ("mqtt", "tcp") or not u.hostname:
        raise ValueError(f"--broker: expected mqtt://HOST:PORT, got {url!r}")
    return u.hostname, u.port or 1883


@dataclass
class MqttIngest:
    """One subscriber feeding ``tenant``'s telemetry."""

    telemetry: TelemetryStore
    tenant: str
    broker: str
    topic: str = "fleet/+/telemetry"
    client_id: str = "fleetcharge-ingest"
    batch_size: int = 1000
    flush_s: float = 0.5
    counts: dict[str, int] = field(default_factory=lambda: {"accepted": 0, "duplicate": 0, "quarantined": 0})
    messages: int = 0
    connects: int = 0
    decisions: int = 0  # made by triggers
    broker_dropped: int = 0  # rise of the broker's dropped-message count since the first reading
    broker_dropped_total: int = 0  # the broker's dropped-message count since it started (its latest reading)
    dropped_baseline: int | None = None
    on_status: Callable[[str], None] | None = None  # told each connection state, in words
    state: str = "idle"  # idle | connecting | connected | failed (waiting to retry)
    failures: int = 0  # connection attempts failed in a row

    def __post_init__(self) -> None:
        self.host, self.port = parse_broker(self.broker)
        self.watch = TriggerWatch(self.telemetry.store, self.telemetry)
        self._pending: list[tuple[int, int, list[Any]]] = []  # (mid, qos, payloads)
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id, clean_session=False, manual_ack=True
        )
        self.client.reconnect_delay_set(min_delay=1, max_delay=60)
        self.client.on_connect = self._on_connect
        self.client.on_connect_fail = self._on_connect_fail
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    def _say(self, state: str, text: str) -> None:
        self.state = state
        log.info("mqtt %s: %s", state, text)
        if self.on_status is not None:
            self.on_status(text)

    def _failed(self, why: str) -> None:
        self.failures += 1
        self._say("failed", f"{why} (attempt {self.failures}); retrying with backoff, 1 s doubling to 60 s")

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            self._failed(f"{self.host}:{self.port} refused the connection ({reason})")
            return
        self.connects += 1
        self.failures = 0
        client.subscribe([(self.topic, 1), (DROPPED_TOPIC, 0)])
        self._say("connected", f"connected to {self.host}:{self.port}, subscribed to {self.topic}")

    def _on_connect_fail(self, _client: mqtt.Client, _userdata: Any) -> None:
        self._failed(f"no MQTT broker answers at {self.host}:{self.port}")

    def _on_disconnect(self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if self.state == "connected":
            self._say("failed", f"lost the connection to {self.host}:{self.port} ({reason}); reconnecting")

    def _on_dropped(self, msg: mqtt.MQTTMessage) -> None:
        """The broker's count of messages it dropped (all clients, since it started): a rise while this
        ingester holds its session means messages meant for it may be gone (its queue overflowed)."""
        try:
            count = int(msg.payload)
        except ValueError:
            return
        if self.dropped_baseline is None:
            self.dropped_baseline = count
            if count > 0:
                log.warning(
                    "the MQTT broker has dropped %d messages since it started (a queue for a persistent session "
                    "overflowed while this ingester was away?): raise max_queued_messages, see "
                    "service/mosquitto.conf",
                    count,
                )
        self.broker_dropped_total = count
        rise = count - self.dropped_baseline
        if rise > self.broker_dropped:
            log.warning(
                "the MQTT broker dropped %d messages since this ingester started (its queue for a persistent "
                "session overflowed?): raise max_queued_messages, see service/mosquitto.conf",
                rise,
            )
        self.broker_dropped = max(self.broker_dropped, rise)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        if msg.topic == DROPPED_TOPIC:
            self._on_dropped(msg)
            return
        try:
            body = json.loads(msg.payload)
        except ValueError:
            body = {"unparseable_mqtt_payload": msg.payload.decode("utf-8", "replace"), "topic": msg.topic}
        payloads = body if isinstance(body, list) else [body]
        with self._lock:
            self._pending.append((msg.mid, msg.qos, payloads))
            self.messages += 1
            due = sum(len(p) for _m, _q, p in self._pending) >= self.batch_size
        if due:
            self.flush()

    def flush(self) -> list[Outcome]:
        """Ingest what is pending in one transaction, then acknowledge those messages."""
        with self._lock:
            pending, self._pending = self._pending, []
            self._last_flush = time.monotonic()
        if not pending:
            return []
        outcomes, replans = self.watch.ingest(self.tenant, [p for _m, _q, ps in pending for p in ps])
        for o in outcomes:
            self.counts[o.status] += 1
        for mid, qos, _ps in pending:
            if qos > 0:
                self.client.ack(mid, qos)
        self.decisions += len(self.watch.plan_now(self.tenant, replans))  # after the acks: a re-plan takes seconds
        return outcomes

    def run(self, until: Any = None, poll_s: float = 0.1) -> None:
        """Connect and ingest until ``until()`` is true (forever when None); flushes every ``flush_s``."""
        self._say("connecting", f"connecting to {self.host}:{self.port}")
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()
        try:
            while until is None or not until():
                time.sleep(poll_s)
                if time.monotonic() - self._last_flush >= self.flush_s:
                    self.flush()
        finally:
            self.flush()
            self.state = "stopping"  # our own disconnect is no lost connection
            self.client.disconnect()
            self.client.loop_stop()
