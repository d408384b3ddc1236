"""Signatures as the Standard Webhooks convention says, against its published test vector
(data/webhooks/README.md, from the reference libraries' tests)."""

from __future__ import annotations

from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from service.webhooks.delivery import message_id, signature_header

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG = "msg_p5jXN8AQM9LWM0D4loKWxJek"
AT = datetime.fromtimestamp(1614265330, UTC)
BODY = '{"test": 2432232314}'


def test_the_published_vector() -> None:
    assert signature_header((SECRET,), MSG, AT, BODY) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_during_a_rotation_both_secrets_sign() -> None:
    new = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"  # 24 bytes
    header = signature_header((new, SECRET), MSG, AT, BODY)
    assert header.split(" ") == [Webhook(new).sign(MSG, AT, BODY), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="]


def test_a_re_serialised_body_does_not_verify() -> None:
    assert (
        signature_header((SECRET,), MSG, AT, '{"test":2432232314}') == "v1,Vif40peJBP7Iyl0XGmu61n4MwdrcHov5CFREBpE0svs="
    )


def test_message_ids_are_per_condition() -> None:
    a = message_id("acme", "charger.unavailable", "charger_unavailable:ac1:faulted:2026-12-07T00:00:00+00:00")
    assert a == message_id("acme", "charger.unavailable", "charger_unavailable:ac1:faulted:2026-12-07T00:00:00+00:00")
    assert a != message_id("globex", "charger.unavailable", "charger_unavailable:ac1:faulted:2026-12-07T00:00:00+00:00")
    assert a.startswith("msg_") and len(a) == 28 and "." not in a
