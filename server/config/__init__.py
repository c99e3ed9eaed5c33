"""The gateway's configuration: YAML validated once, strictly, with errors that name field and line.

Every key, with its default, is documented for users in ``docs/config.md``
(``tests/server/test_config_reference.py`` fails when a field is missing there).

Layout: one module per top-level section, each a frozen pydantic model that rejects
unknown keys (:class:`~interlingua.server.config._base.Strict`):

- ``server.py``       ``server:``       listening, inbound keys, limits of the gateway itself
- ``providers.py``    ``providers:``    upstreams, dialects, Azure and AWS options
- ``models.py``       ``models:``       model routes; ``model_access:`` allow/block globs
- ``translation.py``  ``translation:``  what to do where formats differ (was ``policies:``)
- ``routing.py``      ``routing:``      retries, cooldowns, key pools; a model route's targets
- ``routes.py``       ``routes:``       prefix routes (a raw reverse proxy)
- ``admin.py``        ``admin:``        the admin endpoints' key
- ``root.py``         :class:`Config`, the list of sections and the checks across them
- ``_load.py``        YAML text/file -> :class:`Config` or :class:`ConfigError`
- ``_yaml.py``        YAML with the line of every value, ``${VAR}`` interpolation
- ``_migrate.py``     renamed keys (old names load with a deprecation warning)
- ``defaults.py``     the embedded config built from the environment

Adding a section (keys, limits, routing, observability, store, redis, admin, ...):

1. write ``server/config/<section>.py`` with a ``Strict`` model whose fields all have
   defaults (a missing section means "off" or "defaults");
2. add one line to :class:`Config` in ``root.py``: ``<section>: <Model> = <Model>()``;
3. document its keys in ``docs/config.md`` (the reference test names what is missing);
4. re-export the model here if other packages import it.

Checks that span sections (a route naming a provider) go in ``Config._references``; a
renamed key is one row of ``_migrate.RENAMED``.
"""

from __future__ import annotations

from interlingua.server.config._load import ConfigError, load_config, load_config_text
from interlingua.server.config.defaults import default_config
from interlingua.server.config.models import ModelAccess, ModelRoute
from interlingua.server.config.providers import AwsConfig, AzureConfig, Dialect, ProviderConfig, Timeouts
from interlingua.server.config.root import Config
from interlingua.server.config.routing import RoutingConfig, TargetConfig
from interlingua.server.config.server import ServerConfig
from interlingua.server.config.translation import TranslationConfig

# The section's name before it was renamed ``translation``; kept for importers.
Policies = TranslationConfig

__all__ = [
    "AwsConfig",
    "AzureConfig",
    "Config",
    "ConfigError",
    "Dialect",
    "ModelAccess",
    "ModelRoute",
    "Policies",
    "ProviderConfig",
    "RoutingConfig",
    "ServerConfig",
    "TargetConfig",
    "Timeouts",
    "TranslationConfig",
    "default_config",
    "load_config",
    "load_config_text",
]
