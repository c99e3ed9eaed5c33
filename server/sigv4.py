"""AWS Signature Version 4 for Bedrock requests, by botocore's own signer.

botocore's ``SigV4Auth`` is what boto3 signs with, so the canonical request
(including the double percent-encoding of an already encoded path such as
``/model/anthropic.claude-v2%3A1/converse``) is exactly what AWS expects. The
credentials are frozen once per provider; a signature costs one HMAC chain.
"""

from __future__ import annotations

from collections.abc import Mapping

from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import ReadOnlyCredentials  # type: ignore[import-untyped]

from interlingua.server.config import AwsConfig

__all__ = ["SERVICE", "Signer"]

SERVICE = "bedrock"
# Headers the transport may rewrite or add on its own; signing them would break the signature.
_UNSIGNED = frozenset({"accept-encoding", "user-agent", "content-length", "connection"})


class Signer:
    def __init__(self, aws: AwsConfig) -> None:
        token = aws.session_token.get_secret_value() if aws.session_token else None
        secret = aws.secret_access_key.get_secret_value() if aws.secret_access_key else ""
        self._credentials = ReadOnlyCredentials(aws.access_key_id, secret, token)
        self._auth = SigV4Auth(self._credentials, SERVICE, aws.region)

    def headers(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> dict[str, str]:
        """The headers to add: ``authorization``, ``x-amz-date``, ``x-amz-content-sha256``
        and, with temporary credentials, ``x-amz-security-token``."""
        signed = {k: v for k, v in headers.items() if k.lower() not in _UNSIGNED}
        request = AWSRequest(method=method, url=url, headers=signed, data=body)
        # Bedrock accepts the payload hash header; sending it lets a proxy check the body.
        request.headers["x-amz-content-sha256"] = self._auth.payload(request)
        self._auth.add_auth(request)
        out = {
            "authorization": request.headers["Authorization"],
            "x-amz-date": request.headers["X-Amz-Date"],
            "x-amz-content-sha256": request.headers["x-amz-content-sha256"],
        }
        if self._credentials.token:
            out["x-amz-security-token"] = request.headers["X-Amz-Security-Token"]
        return out
