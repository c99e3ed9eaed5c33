"""Hand-written conversion runtime that the generated converters import.

- :mod:`.policy`: ``Format``, ``Policy`` (what to do where formats differ).
- :mod:`.base`: error builders naming field paths, warnings, extras, opaque parts.
- :mod:`.content`, :mod:`.messages`, :mod:`.reasoning`, :mod:`.tools`,
  :mod:`.usage`: the named helpers rules may reference for irreducibly
  procedural steps (see ``codegen/README.md``).
"""
