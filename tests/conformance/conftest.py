"""Fixtures for the conformance tests: JSON snapshots, one readable file per case."""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots stored as ``__snapshots__/<test module>/<test id>.json`` (diffs read like the wire)."""
    return snapshot.use_extension(JSONSnapshotExtension)
