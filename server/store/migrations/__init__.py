"""Alembic migrations of the store, shipped with the package and applied by
:func:`interlingua.server.store.migrate.upgrade` (at start and by ``interlingua db upgrade``)."""
