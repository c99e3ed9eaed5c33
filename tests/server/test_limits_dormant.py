"""The limits feature stays out of the hook lists while it has nothing to do (no rule, no
key issued) and is back in them before the first request that needs it reaches ``admit``:
woken by the revision poll, or at the latest by the key's own authentication (a key
created on another process, before this one polled)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from interlingua.errors import RateLimited
from interlingua.server.config import Config
from interlingua.server.keys.authenticator import VirtualKeyAuthenticator
from interlingua.server.keys.model import KeyCreate, KeyLimits
from interlingua.server.keys.repository import KeyRepository
from interlingua.server.limits.counters import LocalCounters
from interlingua.server.limits.feature import LimitsFeature
from interlingua.server.pipeline.context import RequestContext
from interlingua.server.pipeline.hooks import Feature, Hooks
from interlingua.translate import Format


def _ctx(principal: object) -> RequestContext:
    ctx = RequestContext("req_1", SimpleNamespace(format=Format.OPENAI_CHAT), "generate", None)  # type: ignore[arg-type]
    ctx.principal, ctx.client_model = principal, "gpt-4o"  # type: ignore[assignment]
    body = {"model": "gpt-4o", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    ctx.extras["call"] = SimpleNamespace(body=body, raw=b"x" * 40)
    return ctx


def _limits(auth: VirtualKeyAuthenticator, repo: KeyRepository, **config: object) -> LimitsFeature:
    return LimitsFeature(Config.model_validate(config), LocalCounters(), repo=repo, authenticator=auth)


class _Sleeper(Feature):
    name = "sleeper"
    asleep = True

    def dormant(self) -> bool:
        return self.asleep

    async def admit(self, ctx: RequestContext) -> None:
        pass

    def attach(self, wake: object) -> None:
        self.wake = wake


def test_hooks_leave_a_dormant_feature_out_until_it_wakes() -> None:
    sleeper = _Sleeper()
    hooks = Hooks([sleeper])
    assert hooks.admit_hooks == []
    assert hooks.feature("sleeper") is sleeper
    sleeper.asleep = False
    sleeper.wake()  # type: ignore[operator]
    assert hooks.admit_hooks == [sleeper.admit]


async def test_limits_dormant_without_keys_or_rules_woken_by_the_poll(repo: KeyRepository) -> None:
    auth = VirtualKeyAuthenticator(repo, poll_s=3600)  # polled by hand
    await auth.refresh()
    hooks = Hooks([_limits(auth, repo)])
    assert hooks.admit_hooks == []
    await repo.create(KeyCreate(name="a"))
    await auth.refresh()
    assert len(hooks.admit_hooks) == 1
    # Built after keys exist (a reload): awake from the start.
    assert len(Hooks([_limits(auth, repo)]).admit_hooks) == 1


async def test_limits_rules_keep_it_awake(repo: KeyRepository) -> None:
    auth = VirtualKeyAuthenticator(repo, poll_s=3600)
    await auth.refresh()
    hooks = Hooks([_limits(auth, repo, limits=[{"rpm": 5}])])
    assert len(hooks.admit_hooks) == 1


async def test_limits_woken_by_a_key_created_elsewhere_before_the_poll(repo: KeyRepository) -> None:
    auth = VirtualKeyAuthenticator(repo, poll_s=3600)
    await auth.refresh()  # no key yet; this process will not poll again
    hooks = Hooks([_limits(auth, repo)])
    assert hooks.admit_hooks == []
    assert not auth.required
    # Another worker issues a key limited to one request a minute.
    _, secret = await repo.create(KeyCreate(name="a", limits=KeyLimits(rpm=1)))
    principal = await auth.authenticate(secret.encode())
    assert len(hooks.admit_hooks) == 1  # awake before the request reaches admit
    await hooks.admit(_ctx(principal))
    with pytest.raises(RateLimited):  # the limit holds from the very first request
        await hooks.admit(_ctx(await auth.authenticate(secret.encode())))
