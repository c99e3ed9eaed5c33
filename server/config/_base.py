"""What every config section shares: strict frozen models and errors that know their field."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["LocatedValueError", "Path", "Strict"]

Path = tuple[str | int, ...]


class Strict(BaseModel):
    """A config section: unknown keys are errors (a typo must not be ignored), values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LocatedValueError(ValueError):
    """A cross-field error that knows which field it is about.

    ``path`` is relative to the model whose validator raises it, so the loader can
    name the field and its line (a plain ``ValueError`` would point at the model).
    """

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path
