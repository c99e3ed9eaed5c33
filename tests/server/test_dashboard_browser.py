"""The dashboard in a real browser: Playwright drives Debian's chromium (``/usr/bin/chromium``,
installed by .ci/run; never a browser downloaded by ``playwright install``) against a real
gateway and fake upstream on loopback. Screenshots of every view at 1280x800 and at phone
width (390x844) are saved in each test's pytest tmp dir (``<tmp_path>/screens/``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import openai
import pytest
from keys_helpers import ADMIN_KEY, admin_client, keys_config
from playwright.async_api import Browser, Page, async_playwright, expect
from server_helpers import OPENAI_BODY

from interlingua.server.app import create_app
from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_app

CHROMIUM = Path("/usr/bin/chromium")
# The tail first: once the request shows there it is in the history the other views read.
VIEWS = ("tail", "overview", "usage", "limits", "targets", "keys")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="chromium is not installed (/usr/bin/chromium: apt-get install chromium)"
)


@pytest.fixture
async def gateway_url(upstream: FakeUpstream, tmp_path: Path) -> AsyncIterator[str]:
    config = keys_config(upstream, tmp_path / "keys.db")
    async with running_app(create_app(config), config) as url:
        yield url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        # Assertions wait for what they expect, up to a bound well above a loaded machine's
        # delays (Playwright's 5 s default failed under load); they pass as soon as it shows.
        expect.set_options(timeout=30_000)
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield browser
        finally:
            await browser.close()


async def _page(browser: Browser, url: str, width: int = 1280, height: int = 800) -> Page:
    context = await browser.new_context(viewport={"width": width, "height": height}, base_url=url)
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    page = await context.new_page()
    page.set_default_timeout(30_000)
    return page


async def _sign_in(page: Page, key: str = ADMIN_KEY) -> None:
    await page.goto("/ui/signin")
    await page.fill("#key", key)
    # Until the form's answer has loaded: a goto right after the click could otherwise
    # interrupt the sign-in (no session cookie yet) on a slow machine.
    async with page.expect_navigation():
        await page.click("button[type=submit]")


async def _until_recorded(url: str, count: int) -> None:
    """Until the request history holds ``count`` records (written in batches), so the tail's
    first fetch shows them rather than a later live event."""
    async with admin_client(url) as admin:
        for _ in range(600):
            r = await admin.get("/admin/requests", params={"limit": count})
            if r.status_code == 200 and len(r.json()) >= count:
                return
            await asyncio.sleep(0.1)
    raise AssertionError(f"the history did not record {count} requests")


async def _chat(url: str, key: str) -> None:
    async with openai.AsyncOpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0) as client:
        assert (await client.chat.completions.create(**OPENAI_BODY)).choices


async def test_dashboard_browser_sign_in_and_out(browser: Browser, gateway_url: str) -> None:
    page = await _page(browser, gateway_url)
    await page.goto("/ui")
    assert page.url.endswith("/ui/signin")
    await _sign_in(page, "this-is-not-the-admin-key")
    await expect(page.locator("#message")).to_have_text("Wrong admin key.")
    await _sign_in(page)
    await expect(page.locator('[data-metric="Requests"]')).to_have_text("0")
    await page.click("#signout")
    await page.wait_for_url("**/ui/signin")
    await page.goto("/ui")
    assert page.url.endswith("/ui/signin")


async def test_dashboard_browser_key_lifecycle_with_live_tail(
    browser: Browser, gateway_url: str, tmp_path: Path
) -> None:
    """Create a key in the UI, use it with the SDK and watch the request arrive in the
    live tail and the overview, revoke it in the UI and see the SDK get 401."""
    page = await _page(browser, gateway_url)
    await _sign_in(page)
    await page.goto("/ui#keys")
    await page.fill("#key-create [name=name]", "ui-key")
    await page.click("#key-create button[type=submit]")
    secret = page.locator("#secret")
    await expect(page.locator("#secret-box")).to_be_visible()
    key = (await secret.text_content()) or ""
    assert key.startswith("il-")
    await page.click("#copy-secret")
    assert await page.evaluate("navigator.clipboard.readText()") == key
    await expect(page.locator("#keys tr", has_text="ui-key")).to_contain_text("active")

    await page.goto("/ui#tail")
    await expect(page.locator("#tail-state")).to_have_text("live")
    await _chat(gateway_url, key)
    row = page.locator("#tail-rows tr", has_text="ui-key")
    await expect(row).to_contain_text("gpt-4o-mini")
    await expect(row).to_contain_text("200")
    await page.screenshot(path=tmp_path / "tail.png")
    filters = page.locator("#tail-filters")
    await filters.locator("[name=key]").fill("ui-key")
    await filters.locator("[name=client_format]").select_option("openai_chat")
    await filters.locator("button[type=submit]").click()
    await expect(page.locator("#tail-state")).to_have_text("live")
    await expect(page.locator("#tail-rows tr")).to_have_count(1)  # the recent one, refetched
    await _chat(gateway_url, key)
    await expect(page.locator("#tail-rows tr")).to_have_count(2)  # and the live one
    await filters.locator("[name=model]").fill("no-such-model")
    await filters.locator("button[type=submit]").click()
    await expect(page.locator("#tail-state")).to_have_text("live")
    await expect(page.locator("#tail-rows tr")).to_have_count(0)

    await page.goto("/ui#overview")
    await expect(page.locator('[data-metric="Requests"]')).to_have_text("2")
    await expect(page.locator('[data-metric="Errors"]')).to_have_text("0")
    await page.goto("/ui#usage")
    await expect(page.locator("#by-key tr", has_text="ui-key").locator("td").nth(1)).to_have_text("2")

    await page.goto("/ui#keys")
    page.once("dialog", lambda dialog: dialog.accept())
    await page.click('[data-revoke="ui-key"]')
    await expect(page.locator("#keys tr", has_text="ui-key")).to_contain_text("revoked")
    with pytest.raises(openai.AuthenticationError):
        await _chat(gateway_url, key)


async def test_dashboard_browser_change_without_csrf_token_is_403(browser: Browser, gateway_url: str) -> None:
    page = await _page(browser, gateway_url)
    await _sign_in(page)
    await expect(page.locator("#cards")).to_be_visible()
    post = """async (token) => {
        const headers = {"content-type": "application/json"};
        if (token) headers["x-csrf-token"] = token;
        const r = await fetch("/admin/keys", {method: "POST", headers, body: JSON.stringify({name: "csrf-test"})});
        return r.status;
    }"""
    assert await page.evaluate(post, None) == 403
    token = await page.evaluate('async () => (await (await fetch("/ui/session")).json()).csrf')
    assert await page.evaluate(post, token) == 201


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
async def test_dashboard_browser_every_view_fits_the_window(
    browser: Browser, gateway_url: str, tmp_path: Path, width: int, height: int
) -> None:
    page = await _page(browser, gateway_url, width, height)
    await _sign_in(page)
    await page.goto("/ui#keys")
    await page.fill("#key-create [name=name]", "layout-key")
    await page.fill("#key-create [name=rpm]", "60")
    await page.fill("#key-create [name=usd]", "5")
    await page.click("#key-create button[type=submit]")
    await expect(page.locator("#secret-box")).to_be_visible()
    key = (await page.locator("#secret").text_content()) or ""
    await _chat(gateway_url, key)
    await _until_recorded(gateway_url, 1)
    screens = tmp_path / "screens"
    screens.mkdir()
    for view in VIEWS:
        # A hash change keeps the page: clear the mark so the wait below is for this view's
        # own summary load, not the previous view's (its tables re-render when it loads).
        await page.evaluate("delete document.body.dataset.loaded")
        await page.goto(f"/ui#{view}")
        await expect(page.locator(f"#view-{view}")).to_be_visible()
        if view == "tail":
            await expect(page.locator("#tail-rows tr").first).to_be_visible()
        elif view == "keys":
            await expect(page.locator("#keys tr", has_text="layout-key")).to_be_visible()
        else:
            await expect(page.locator("body[data-loaded=summary]")).to_be_attached()
        await page.screenshot(path=screens / f"{view}-{width}x{height}.png", full_page=True)
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{view} at {width}px overflows by {overflow}px"


async def test_dashboard_browser_client_text_is_never_markup(browser: Browser, gateway_url: str) -> None:
    """Anyone holding a client key chooses the model name the admin's tail shows: it is
    shown as text, never run (and the page's CSP would refuse inline script anyway)."""
    page = await _page(browser, gateway_url)
    await _sign_in(page)
    await page.goto("/ui#tail")
    await expect(page.locator("#tail-state")).to_have_text("live")
    hostile = '<img src=x onerror="window.pwned=1">'
    async with httpx.AsyncClient(base_url=gateway_url) as client:
        r = await client.post("/v1/chat/completions", json={**OPENAI_BODY, "model": hostile})
        assert r.status_code >= 400
    await expect(page.locator("#tail-rows tr", has_text=hostile)).to_be_visible()
    assert await page.locator("#tail-rows img").count() == 0
    assert await page.evaluate("window.pwned") is None
