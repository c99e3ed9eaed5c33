"""The response cache: exact match on a request's canonical IR, replayed in any client format.

- :mod:`.key`: the cache key (canonical IR, partition).
- :mod:`.answer`: an answer as an IR response, from and to IR stream events.
- :mod:`.store`: the bounded in-memory LRU with per-entry expiry.
- :mod:`.serve`: lookups, replays and the recording of fresh answers.
"""
