"""No message about the config repeats a secret: base URLs with credentials are refused
without being quoted, YAML syntax errors show line and column only, and a key pasted in
the wrong place is masked. ``check-config`` and ``serve`` print these messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from interlingua.server.cli import check_config
from interlingua.server.config import ConfigError, load_config_text

SECRET = "sk-live-0123456789abcdef"
INTERLINGUA = Path(sys.executable).with_name("interlingua")


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config_text(text, {"KEY": SECRET})
    message = str(info.value)
    assert SECRET not in message
    assert "0123456789" not in message
    return message


@pytest.mark.parametrize(
    "url",
    [
        f"https://user:{SECRET}@api.example.com/v1",
        f"https://{SECRET}@api.example.com/v1",
        f"http://user:{SECRET}@127.0.0.1:8000",
    ],
)
def test_config_base_url_with_credentials_refused_unquoted(url: str) -> None:
    text = f"providers:\n  - {{name: p, format: openai_chat, base_url: '{url}'}}\n"
    assert _error(text) == (
        "<config>: line 2: providers[0].base_url: must not contain credentials (user:password@...);"
        " put the key in api_key or headers"
    )


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (f"https://api.example.com/v1?key={SECRET}", "must not have a query or fragment"),
        (f"https://api.example.com/v1#{SECRET}", "must not have a query or fragment"),
        (f"https://api.example.com:{SECRET}/v1", "is not a valid URL"),
        (f"ftp://{SECRET}", "must start with http:// or https://"),
    ],
)
def test_config_bad_base_url_refused_unquoted(url: str, problem: str) -> None:
    text = f"providers:\n  - {{name: p, format: openai_chat, base_url: '{url}'}}\n"
    assert problem in _error(text)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (f"providers:\n  - api_key: '{SECRET}\n", "line 3, column 1"),  # unclosed quote
        (f"server:\n  api_keys: [{SECRET}: x: y]\n", "line 2, column"),
        (f"providers:\n  - api_key: {SECRET}: tail\n", "line 2, column"),
        (f"providers:\n  - api_key: *{SECRET}\n", "line 2, column 14"),  # a key read as an alias
        (f"providers:\n  - api_key: !{SECRET} x\n", "line 2, column 14"),  # ... or as a tag
        (f"providers:\n  - name: p\n   api_key: {SECRET}\n", "line 3, column"),
        (f"providers:\n\t- api_key: {SECRET}\n", "line 2, column 1"),
    ],
)
def test_config_yaml_syntax_error_shows_position_not_text(text: str, where: str) -> None:
    message = _error(text)
    assert message.startswith(f"<config>: {where}")
    assert "invalid YAML" in message


def test_config_secret_pasted_in_the_wrong_place_is_masked() -> None:
    text = (
        "providers:\n  - {name: p, format: openai_chat, base_url: 'http://127.0.0.1:1', api_key: '${KEY}'}\n"
        "models:\n  - {name: a, provider: '${KEY}'}\n"
    )
    assert _error(text) == "<config>: line 4: models[0].provider: unknown provider '***' (providers: p)"


def test_check_config_prints_no_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gw.yaml"
    path.write_text(
        f"providers:\n  - {{name: p, format: openai_chat, base_url: 'https://u:{SECRET}@h.example/v1'}}\n"
    )
    assert check_config(str(path)) == 1
    path.write_text(
        "providers:\n  - {name: p, format: openai_chat, base_url: 'https://h.example/v1',"
        f" api_key: {SECRET}, headers: {{Authorization: 'Bearer {SECRET}'}}}}\n"
        "models:\n  - {name: '*', provider: p}\n"
    )
    assert check_config(str(path)) == 0
    captured = capsys.readouterr()
    assert "https://h.example/v1" in captured.out
    assert SECRET not in captured.out + captured.err


def test_serve_refuses_credentials_without_printing_them(tmp_path: Path) -> None:
    path = tmp_path / "gw.yaml"
    path.write_text(
        f"providers:\n  - {{name: p, format: openai_chat, base_url: 'https://u:{SECRET}@h.example/v1'}}\n"
    )
    done = subprocess.run(
        [str(INTERLINGUA), "serve", "--config", str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "providers[0].base_url: must not contain credentials" in done.stderr
    assert SECRET not in done.stdout + done.stderr
