"""Telemetry building blocks: semantic-convention names, Prometheus instruments, OTLP export, request records."""
