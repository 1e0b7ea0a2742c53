"""The door's pure parts: the Standard Webhooks test vector, codes, and the fast path agreeing."""

from __future__ import annotations

import pytest
from dunghan_common.events import EXAMPLES, to_kafka
from dunghan_common.events.codec import from_kafka
from dunghan_common.events.envelope import event_adapter
from dunghan_common.events.fast import decode_topic_event
from dunghan_common.events.validation import EventValidationError
from hypothesis import given
from hypothesis import strategies as st
from ingest.domain.signature import SignatureError, SignatureHeaders, sign, verify

# The specification's test vector (standard-webhooks/standard-webhooks, its libraries' tests).
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID, TIMESTAMP, PAYLOAD = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specification_test_vector() -> None:
    assert sign(SECRET, MSG_ID, TIMESTAMP, PAYLOAD) == EXPECTED
    headers = SignatureHeaders(MSG_ID, str(TIMESTAMP), f"v1,bm9wZQ== {EXPECTED}")
    verify([SECRET], headers, PAYLOAD, now_s=TIMESTAMP + 10, tolerance_s=300)


@pytest.mark.parametrize("header", ["1614265330.0", "+1614265330", "1614265330 ", "1.6e9", ""])
def test_a_timestamp_not_in_plain_digits_is_refused(header: str) -> None:
    headers = SignatureHeaders(MSG_ID, header, sign(SECRET, MSG_ID, header, PAYLOAD))
    with pytest.raises(SignatureError):
        verify([SECRET], headers, PAYLOAD, now_s=TIMESTAMP, tolerance_s=300)


def test_the_timestamp_is_signed_as_sent() -> None:
    padded = f"0{TIMESTAMP}"
    as_sent = SignatureHeaders(MSG_ID, padded, sign(SECRET, MSG_ID, padded, PAYLOAD))
    verify([SECRET], as_sent, PAYLOAD, now_s=TIMESTAMP, tolerance_s=300)
    rerendered = SignatureHeaders(MSG_ID, padded, EXPECTED)
    with pytest.raises(SignatureError):
        verify([SECRET], rerendered, PAYLOAD, now_s=TIMESTAMP, tolerance_s=300)


_CODE_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",))


@given(st.text(_CODE_CHARS, min_size=1, max_size=30))
def test_the_fast_path_and_the_model_agree_on_codes(code: str) -> None:
    """A subject is accepted by the consumers' fast decoder exactly when the envelope takes it."""
    event = dict(EXAMPLES["dossier.submitted"], subject="000.00.12.H50-1")
    message = to_kafka(event_adapter("topic").validate_python(event))
    headers = [(k, code.encode() if k == "ce_subject" else v) for k, v in message.headers]
    try:
        from_kafka(None, message.value, headers)
        model_accepts = True
    except EventValidationError:
        model_accepts = False
    try:
        decode_topic_event(message.value, headers)
        fast_accepts = True
    except EventValidationError:
        fast_accepts = False
    assert fast_accepts == model_accepts
    assert model_accepts == (code.isascii() and all(c.isalnum() or c in "_.:/-" for c in code))
