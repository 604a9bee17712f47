"""Values refused at load (konform.config_checks), each with the key's name in the error."""

from __future__ import annotations

from pathlib import Path

import pytest

from ari_app.rtp import FORMATS
from konform.config import ConfigError, load_config
from konform.config_checks import MEDIA_FORMATS


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"KONFORM_DIALER_MEDIA_FORMAT": "gsm"}, "[dialer] media_format"),
        ({"KONFORM_DIALER_MEDIA_FORMAT": "ULAW"}, "[dialer] media_format"),
        ({"KONFORM_DIALER_MAX_CONCURRENT": "0"}, "[dialer] max_concurrent"),
        ({"KONFORM_DIALER_MAX_CONCURRENT": "-3"}, "[dialer] max_concurrent"),
        ({"KONFORM_DIALER_AGENT_HOLD": "-1"}, "[dialer] agent_hold"),
        ({"KONFORM_DIALER_CONSENT_WAIT": "-5"}, "[dialer] consent_wait"),
        ({"KONFORM_DIALER_OPTOUT_WAIT": "-1"}, "[dialer] optout_wait"),
        ({"KONFORM_DIALER_AGENT_RING_TIMEOUT": "0"}, "[dialer] agent_ring_timeout"),
        ({"KONFORM_AGI_PORT": "0"}, "[agi] port"),
        ({"KONFORM_AGI_PORT": "65536"}, "[agi] port"),
        ({"KONFORM_AGI_PORT": "-4573"}, "[agi] port"),
        ({"KONFORM_AGI_HOST": " "}, "[agi] host"),
        ({"KONFORM_ARI_URL": "ftp://127.0.0.1:8088"}, "[ari] url"),
        ({"KONFORM_ARI_URL": "http://:8088"}, "[ari] url"),
        ({"KONFORM_ARI_URL": "http://127.0.0.1:99999"}, "[ari] url"),
    ],
)
def test_refused_with_the_key(
    env: dict[str, str], key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        load_config(env=env)


def test_refused_in_the_file_too(tmp_path: Path) -> None:
    file = tmp_path / "konform.toml"
    file.write_text('[dialer]\nmedia_format = "gsm"\n')
    with pytest.raises(ConfigError, match="media_format must be one of ulaw, alaw, slin16"):
        load_config(file, env={})


def test_credentials_in_the_ari_url_are_refused_without_echoing_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"\[ari\] url must not carry") as refused:
        load_config(env={"KONFORM_ARI_URL": "http://konform:s3cret-pass@127.0.0.1:8088"})
    assert "s3cret" not in str(refused.value)


def test_accepted_edges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(
        env={
            "KONFORM_DIALER_MEDIA_FORMAT": "slin16",
            "KONFORM_DIALER_MAX_CONCURRENT": "1",
            "KONFORM_DIALER_AGENT_WAIT": "0",
            "KONFORM_AGI_PORT": "65535",
            "KONFORM_ARI_URL": "https://pbx.example:8089",
        }
    )
    assert config.dialer.media_format == "slin16"


def test_media_formats_are_the_ones_the_tap_decodes() -> None:
    assert set(MEDIA_FORMATS) == set(FORMATS)
