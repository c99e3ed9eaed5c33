"""Interlingua: an LLM API gateway that translates between providers' wire formats.

This package (the ``runtime/`` folder of the repository) is the hand-written
translation runtime that generated converters import: the IR helpers, the
shared stream state machines, conversion policies and the error root. It has
no web-framework imports, so conversions run and test without a server.

Subpackages mapped from other top-level folders:

- ``interlingua.generated`` (``generated/``): models and converters written by the generator.
- ``interlingua.codegen`` (``codegen/``): the generator itself.
- ``interlingua.server`` (``server/``): the Quart gateway.
"""

__version__ = "0.1.0"
