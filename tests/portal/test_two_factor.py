"""TOTP codes (good once, within one step of drift) and recovery codes (good once)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp

from openkyc.portal import two_factor

NOW = datetime(2026, 12, 3, 12, 0, 10, tzinfo=UTC)


def test_a_code_is_good_for_its_step_and_one_either_side_only() -> None:
    secret = two_factor.new_secret()
    totp = pyotp.TOTP(secret)
    assert two_factor.accepted_step(secret, totp.at(NOW), now=NOW, last_step=None) == two_factor.step_of(NOW)
    assert two_factor.accepted_step(secret, totp.at(NOW - timedelta(seconds=30)), now=NOW, last_step=None)
    assert two_factor.accepted_step(secret, totp.at(NOW + timedelta(seconds=30)), now=NOW, last_step=None)
    assert (
        two_factor.accepted_step(secret, totp.at(NOW - timedelta(seconds=90)), now=NOW, last_step=None)
        is None
    )
    assert two_factor.accepted_step(secret, "12345", now=NOW, last_step=None) is None
    assert two_factor.accepted_step(secret, "abcdef", now=NOW, last_step=None) is None


def test_a_used_step_is_not_accepted_again() -> None:
    secret = two_factor.new_secret()
    code = pyotp.TOTP(secret).at(NOW)
    step = two_factor.accepted_step(secret, code, now=NOW, last_step=None)
    assert step is not None
    assert two_factor.accepted_step(secret, code, now=NOW, last_step=step) is None


def test_the_enrolment_qr_code_is_inline_svg_of_the_otpauth_uri() -> None:
    uri = two_factor.provisioning_uri(two_factor.new_secret(), "owner@example.test")
    assert uri.startswith("otpauth://totp/openkyc:owner%40example.test?") and "issuer=openkyc" in uri
    svg = two_factor.qr_svg(uri)
    assert svg.startswith("<svg") and "href" not in svg and "<script" not in svg


def test_recovery_codes_are_stored_as_digests_and_good_once() -> None:
    codes = two_factor.new_recovery_codes()
    assert len(set(codes)) == two_factor.RECOVERY_CODES
    stored = [two_factor.recovery_digest(code) for code in codes]
    assert not set(codes) & set(stored)
    left = two_factor.use_recovery_code(stored, codes[0].upper().replace("-", " "))
    assert left is not None and len(left) == two_factor.RECOVERY_CODES - 1
    assert two_factor.use_recovery_code(left, codes[0]) is None
    assert two_factor.use_recovery_code(stored, "aaaaa-aaaaa") is None
