"""Signing: Slack's published example and verification edge cases."""

from __future__ import annotations

from slack_sdk.signature import Clock

from slackdouble.signing import sign, signed_headers, verify

# Slack's published example (https://api.slack.com/authentication/verifying-requests-from-slack,
# also slack-sdk tests/signature/test_signature_verifier.py)
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TIMESTAMP = "1531420618"
BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
EXPECTED = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_published_example() -> None:
    assert sign(SECRET, TIMESTAMP, BODY) == EXPECTED


def test_bytes_body_and_int_timestamp_give_the_same_signature() -> None:
    assert sign(SECRET, int(TIMESTAMP), BODY.encode()) == EXPECTED


def test_verify_accepts_fresh_and_rejects_stale_or_tampered() -> None:
    now = int(TIMESTAMP) + 10
    assert verify(SECRET, TIMESTAMP, BODY, EXPECTED, now=now)
    assert not verify(SECRET, TIMESTAMP, BODY, EXPECTED, now=int(TIMESTAMP) + 301)
    assert not verify(SECRET, TIMESTAMP, BODY + "x", EXPECTED, now=now)
    assert not verify("other", TIMESTAMP, BODY, EXPECTED, now=now)
    assert not verify(SECRET, "not-a-number", BODY, EXPECTED, now=now)


def test_signed_headers_use_the_given_timestamp() -> None:
    headers = signed_headers(SECRET, BODY, timestamp=int(TIMESTAMP))
    assert headers == {"X-Slack-Request-Timestamp": TIMESTAMP, "X-Slack-Signature": EXPECTED}


def test_slack_sdk_verifier_agrees() -> None:
    from slack_sdk.signature import SignatureVerifier

    verifier = SignatureVerifier(SECRET, clock=_FixedClock(int(TIMESTAMP)))
    headers = signed_headers(SECRET, BODY, timestamp=int(TIMESTAMP))
    assert verifier.is_valid_request(BODY, {k.lower(): v for k, v in headers.items()})


class _FixedClock(Clock):
    def __init__(self, now: int) -> None:
        self._now = now

    def now(self) -> float:
        return float(self._now)
