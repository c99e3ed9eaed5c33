"""SigV4 signing for Bedrock (interlingua.aws_sigv4): botocore's signer, credentials without network."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from botocore.credentials import ReadOnlyCredentials

from interlingua import aws_sigv4

# The AWS SigV4 test suite's "get-vanilla" case (documented credentials, fixed time).
KEY_ID, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    moment = datetime.datetime(2015, 8, 30, 12, 36, 0)
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: moment)


@pytest.mark.usefixtures("fixed_time")
def test_sign_matches_the_aws_test_suite_vector() -> None:
    creds = ReadOnlyCredentials(KEY_ID, SECRET, None)
    headers = aws_sigv4.sign(
        "GET", "https://example.amazonaws.com/", {}, b"", "us-east-1", creds, service="service", content_sha256=False
    )
    assert headers == {
        "authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "x-amz-date": "20150830T123600Z",
    }


@pytest.mark.usefixtures("fixed_time")
def test_sign_bedrock_request_signs_body_hash_and_session_token() -> None:
    creds = ReadOnlyCredentials(KEY_ID, SECRET, "session-token")
    url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-v2%3A1/converse"
    headers = aws_sigv4.sign("POST", url, {"content-type": "application/json", "user-agent": "x"}, b"{}", "us-east-1", creds)
    assert headers["x-amz-security-token"] == "session-token"
    assert headers["x-amz-content-sha256"] == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    assert "/us-east-1/bedrock/aws4_request" in headers["authorization"]
    assert "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token" in headers["authorization"]
    assert SECRET not in str(headers)


def test_credentials_explicit_then_environment_then_profile_file(tmp_path: Path) -> None:
    assert aws_sigv4.resolve_credentials("a", "b", environ={}) == ReadOnlyCredentials("a", "b", None)
    env = {"AWS_ACCESS_KEY_ID": "env-id", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "tok"}
    assert aws_sigv4.resolve_credentials(environ=env) == ReadOnlyCredentials("env-id", "env-secret", "tok")
    shared = tmp_path / "credentials"
    shared.write_text("[work]\naws_access_key_id = file-id\naws_secret_access_key = file-secret\n")
    files = {"AWS_SHARED_CREDENTIALS_FILE": str(shared), "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_PROFILE": "work"}
    assert aws_sigv4.resolve_credentials(environ=files) == ReadOnlyCredentials("file-id", "file-secret", None)


def test_credentials_never_ask_instance_metadata(tmp_path: Path) -> None:
    """Nothing set: None at once (pytest-socket would fail any attempt to reach IMDS)."""
    empty = {"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "x"), "AWS_CONFIG_FILE": str(tmp_path / "y")}
    assert aws_sigv4.resolve_credentials(environ=empty) is None
