"""The ``observability`` section of the config: metrics, access log, traces, request history.

Every key is documented in ``docs/config.md``. Every part is off unless its key is set, except ``server_timing`` (one cheap header); a
part that is off is not among the request hooks at all.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from interlingua.server.config._base import Strict

__all__ = ["AccessLogConfig", "MetricsConfig", "ObservabilityConfig", "TracingConfig"]


class MetricsConfig(Strict):
    # When set, GET /metrics needs ``Authorization: Bearer <token>``.
    token: SecretStr | None = None
    # Label requests and tokens with the key's name; off for deployments with many keys.
    key_label: bool = True


class AccessLogConfig(Strict):
    format: Literal["json", "text"] = "json"
    # ``stdout``, or a file path (reopened when logrotate moves it away).
    path: str = "stdout"


class TracingConfig(Strict):
    # The OTLP/HTTP traces endpoint, full path (Langfuse: https://cloud.langfuse.com/api/public/otel/v1/traces).
    endpoint: str
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    sample_ratio: float = Field(1.0, ge=0.0, le=1.0)
    # Message content on spans (gen_ai.input.messages / gen_ai.output.messages); opt-in.
    capture_content: bool = False
    service_name: str = "interlingua"

    @field_validator("endpoint")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return url


class ObservabilityConfig(Strict):
    metrics: MetricsConfig | None = None
    access_log: AccessLogConfig | None = None
    tracing: TracingConfig | None = None
    # ``server-timing`` on every API response: the gateway's time before the upstream call.
    server_timing: bool = True
    # Days each request's record stays in the store's request history (/metrics/summary,
    # /admin/requests, the dashboard); 0: no history. Needs a store; read at start.
    history_days: float = Field(7.0, ge=0)
