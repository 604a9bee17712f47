"""Configuration: TOML, environment overrides, refusal of default passwords."""

from __future__ import annotations

from pathlib import Path

import pytest

from konform.config import ConfigError, load_config, require_secret


def test_defaults_bind_to_loopback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(env={})
    assert config.ari.url.startswith("http://127.0.0.1")
    assert config.agi.host == "127.0.0.1"
    assert config.store.db == "konform.db"


def test_file_and_env_overrides(tmp_path: Path) -> None:
    file = tmp_path / "konform.toml"
    file.write_text('[ari]\nurl = "http://127.0.0.1:9999"\n[agi]\nport = 4600\n')
    config = load_config(
        file,
        env={"KONFORM_AGI_PORT": "4700", "KONFORM_DB": "/x/y.db", "KONFORM_POLICY_LANGUAGE": "en"},
    )
    assert config.ari.url == "http://127.0.0.1:9999"
    assert config.agi.port == 4700
    assert config.store.db == "/x/y.db"
    assert config.language == "en"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[nope]\n", "unknown config section"),
        ("[ari]\nuser = 'x'\n", "unknown setting"),
        ("[agi]\nport = 'many'\n", "whole number"),
        ("[policy]\nlanguage = 'fr'\n", "language"),
        ("[ari\n", "not valid TOML"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, text: str, words: str) -> None:
    file = tmp_path / "k.toml"
    file.write_text(text)
    with pytest.raises(ConfigError, match=words):
        load_config(file, env={})


@pytest.mark.parametrize("password", ["", "asterisk", "secret", "changeme", "short"])
def test_default_passwords_are_refused(password: str) -> None:
    with pytest.raises(ConfigError):
        require_secret("ARI password", password)


def test_strong_password_passes() -> None:
    assert require_secret("ARI password", "x7-Very-Long-Pass") == "x7-Very-Long-Pass"
