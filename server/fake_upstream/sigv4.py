"""The fake Bedrock's check of AWS Signature Version 4, with botocore's own signer.

The fake knows one credential pair (:data:`DEMO_AWS_ACCESS_KEY_ID`,
:data:`DEMO_AWS_SECRET_ACCESS_KEY`). A request is accepted when its
``Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/bedrock/aws4_request,
SignedHeaders=..., Signature=...`` header names that key and the signature
recomputed over the signed headers, the path and the body matches. The clock
is not checked (tests replay requests).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping

from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials  # type: ignore[import-untyped]

__all__ = ["DEMO_AWS_ACCESS_KEY_ID", "DEMO_AWS_SECRET_ACCESS_KEY", "check_sigv4"]

DEMO_AWS_ACCESS_KEY_ID = "AKIADEMOINTERLINGUA0"
DEMO_AWS_SECRET_ACCESS_KEY = "demo-secret-access-key-for-the-fake-bedrock"
_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,\s*"
    r"SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$"
)


def check_sigv4(method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> str | None:
    """None when the request is signed with the demo credentials, else why not."""
    match = _AUTH.match(headers.get("authorization", ""))
    if match is None:
        return "Missing Authentication Token"
    key, _date, region, service, signed, signature = match.groups()
    if key != DEMO_AWS_ACCESS_KEY_ID:
        return "The security token included in the request is invalid."
    amz_date = headers.get("x-amz-date")
    if not amz_date:
        return "Missing X-Amz-Date header."
    names = signed.split(";")
    kept = {name: headers.get(name, "") for name in names}
    request = AWSRequest(
        method=method, url=f"http://{kept.get('host', 'localhost')}{raw_path}", data=body, headers=kept
    )
    request.context["timestamp"] = amz_date
    auth = SigV4Auth(
        Credentials(key, DEMO_AWS_SECRET_ACCESS_KEY, headers.get("x-amz-security-token")), service, region
    )
    # Only the headers the client signed: botocore signs every header it is given.
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    if not hmac.compare_digest(expected, signature):
        return "The request signature we calculated does not match the signature you provided."
    return None
