"""AWS Signature Version 4 for Bedrock upstreams, by botocore's own signer (no network).

- :func:`resolve_credentials` finds credentials the way the AWS SDKs do, *minus*
  anything that talks to the network: explicit values (config), then the standard
  environment variables (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
  ``AWS_SESSION_TOKEN``), then the shared credentials and config files
  (``AWS_PROFILE``). Instance metadata (IMDS), container credentials, SSO and
  assume-role providers are never consulted, so a gateway start never blocks
  on a metadata endpoint.
- :func:`sign` returns the headers to add to one request (``authorization``,
  ``x-amz-date``, ``x-amz-content-sha256``, ``x-amz-security-token`` with
  temporary credentials), computed by botocore's ``SigV4Auth`` over an
  ``AWSRequest`` exactly as boto3 signs (including the double encoding of an
  already percent-encoded path such as ``/model/anthropic.claude-v2%3A1/converse``).

Secrets never appear in the returned values other than as the signature, and are
never logged here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import (
    ConfigProvider,
    CredentialResolver,
    Credentials,
    EnvProvider,
    ReadOnlyCredentials,
    SharedCredentialProvider,
)

__all__ = ["SERVICE", "resolve_credentials", "sign"]

SERVICE = "bedrock"
# Headers a transport may rewrite on its own; signing them would break the signature.
_UNSIGNED = frozenset({"accept-encoding", "user-agent", "content-length", "connection", "expect"})


def resolve_credentials(
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    session_token: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> ReadOnlyCredentials | None:
    """Explicit values first, then the environment and the shared files; ``None`` if nothing is set."""
    if access_key_id and secret_access_key:
        return ReadOnlyCredentials(access_key_id, secret_access_key, session_token)
    env = dict(os.environ if environ is None else environ)
    profile = env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
    home = os.path.expanduser("~")
    creds_file = env.get("AWS_SHARED_CREDENTIALS_FILE", os.path.join(home, ".aws", "credentials"))
    config_file = env.get("AWS_CONFIG_FILE", os.path.join(home, ".aws", "config"))
    resolver = CredentialResolver(
        [
            EnvProvider(environ=env),
            SharedCredentialProvider(creds_file, profile_name=profile),
            ConfigProvider(config_file, profile_name=profile),
        ]
    )
    found: Credentials | None = resolver.load_credentials()
    return found.get_frozen_credentials() if found is not None else None


def sign(  # noqa: PLR0913 -- the request (method, url, headers, body) and the signing identity; botocore's own split
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    region: str,
    credentials: ReadOnlyCredentials,
    *,
    service: str = SERVICE,
    content_sha256: bool = True,
) -> dict[str, str]:
    """The headers to add to this request so AWS accepts it (the caller's own headers are not returned).
    ``content_sha256``: also send (and sign) the payload hash, which Bedrock accepts."""
    signed = {k: v for k, v in headers.items() if k.lower() not in _UNSIGNED}
    request = AWSRequest(method=method, url=url, headers=signed, data=body)
    auth = SigV4Auth(credentials, service, region)
    if content_sha256:
        request.headers["x-amz-content-sha256"] = auth.payload(request)
    auth.add_auth(request)
    added = ("authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token")
    return {name: str(request.headers[name]) for name in added if name in request.headers}
