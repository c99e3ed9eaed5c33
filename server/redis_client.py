"""The process's Redis client (``redis:``): one server (or a primary with replicas), or a
Redis Cluster when ``redis.cluster`` is set, the URL naming any one of its nodes (the
client learns the others and follows the cluster's redirections).

Each component keeps the keys one script touches in one hash slot with a hash tag
(``{il:lim}:`` for limit counters, ``{interlingua:routing}:`` for cooldowns), so every
script runs on one node in a cluster as on a single server. The cost: those keys live on
one shard, which is ample (a check is one script of a few microseconds); cached answers
are single keys and spread over the cluster.

Imported only when ``redis.url`` is set: the client costs ~9 MB of every worker's memory.
"""

from __future__ import annotations

from typing import TypeAlias

import redis.asyncio as redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisClusterException, RedisError

__all__ = ["REDIS_ERRORS", "RedisClient", "open_redis"]

RedisClient: TypeAlias = "redis.Redis | RedisCluster"

# What an unreachable or unsettled Redis raises: a cluster that cannot be discovered (or
# has a slot no node serves) raises RedisClusterException, which is not a RedisError.
REDIS_ERRORS: tuple[type[Exception], ...] = (RedisError, RedisClusterException, OSError)


def open_redis(url: str, *, cluster: bool, timeout_s: float) -> RedisClient:
    """A client of ``url``; it connects on first use, so a Redis that is down at start
    is an outage like any other (logged, retried), not a failed start."""
    if cluster:
        return RedisCluster.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    return redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
