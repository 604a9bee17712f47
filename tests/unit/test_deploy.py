"""The deployment files (docker/asterisk templates, systemd units, compose) hold their promises."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from konform.config import DEFAULT_PASSWORDS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "docker" / "asterisk"
SYSTEMD = ROOT / "deploy" / "systemd"

Sections = list[tuple[str, list[tuple[str, str]]]]


def _asterisk_conf(path: Path) -> Sections:
    """Asterisk's format: repeated [name] (with (template) suffixes), key = value, ; comments."""
    sections: Sections = []
    for raw in path.read_text().splitlines():
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            name = line[1 : line.index("]")]
            sections.append((name, []))
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not key = value: {raw!r}"
        value = value.lstrip(">").strip()  # logger.conf's "=>"
        assert sections, f"{path.name}: {key} before any section"
        sections[-1][1].append((key.strip(), value))
    return sections


def _values(sections: Sections, key: str) -> list[str]:
    return [v for _, pairs in sections for k, v in pairs if k == key]


def test_manager_is_off_by_default_and_never_grants_originate() -> None:
    conf = _asterisk_conf(TEMPLATES / "manager.conf")
    assert _values(conf, "enabled") == ["@AMI_ENABLED@"]
    assert _values(conf, "bindaddr") == ["127.0.0.1"]
    for write in _values(conf, "write"):
        rights = {r.strip() for r in write.split(",")}
        assert not rights & {"originate", "system", "command", "config", "all"}, write


def test_ari_password_is_a_crypt_hash_never_plain() -> None:
    conf = _asterisk_conf(TEMPLATES / "ari.conf")
    assert _values(conf, "password_format") == ["crypt"]
    assert _values(conf, "password") == ["@ARI_PASSWORD_CRYPT@"]
    assert "@ARI_PASSWORD@" not in (TEMPLATES / "ari.conf").read_text()


def test_codecs_put_a_law_first_everywhere() -> None:
    conf = _asterisk_conf(TEMPLATES / "pjsip.conf")
    allows = _values(conf, "allow")
    assert allows
    for allow in allows:
        codecs = [c.strip() for c in allow.split(",")]
        assert codecs[:3] == ["!all", "alaw", "ulaw"], allow


def test_trunk_is_carrier_ready() -> None:
    conf = _asterisk_conf(TEMPLATES / "pjsip.conf")
    trunk = {k: v for name, pairs in conf if name == "trunk" for k, v in pairs}
    assert trunk["outbound_auth"] == "trunk-auth"
    assert trunk["server_uri"].startswith("sip:")
    for key in ("from_user", "from_domain", "rtp_timeout", "media_encryption"):
        assert trunk[key], key
    for key in ("rtp_symmetric", "rewrite_contact", "force_rport", "send_pai"):
        assert trunk[key] == "yes", key
    transports = {k: v for name, pairs in conf if name == "transport-udp" for k, v in pairs}
    assert transports["external_media_address"] == "@EXTERNAL_ADDRESS@"
    assert transports["external_signaling_address"] == "@EXTERNAL_ADDRESS@"
    assert any(name == "transport-tls" for name, _ in conf)


def test_agents_authenticate_and_are_not_identified_by_a_header() -> None:
    text = (TEMPLATES / "pjsip.conf").read_text()
    conf = _asterisk_conf(TEMPLATES / "pjsip.conf")
    assert "match_header" not in "".join(v for _, pairs in conf for _, v in pairs)
    assert not _values(conf, "match_header")
    agent = {k: v for name, pairs in conf if name == "agent" for k, v in pairs}
    assert agent["deny"] == "0.0.0.0/0.0.0.0"
    assert agent["permit"] == "@AGENTS_NET@"
    assert "header" not in _values(conf, "endpoint_identifier_order")[0]
    assert not re.search(r"^\s*password\s*=\s*[^@\s]", text, re.MULTILINE), "a password in git"


def test_security_log_and_prometheus_are_available() -> None:
    logger = _asterisk_conf(TEMPLATES / "logger.conf")
    assert "security" in _values(logger, "security.log")
    prometheus = _asterisk_conf(TEMPLATES / "prometheus.conf")
    assert _values(prometheus, "enabled")[0] == "@PROMETHEUS_ENABLED@"


def test_entrypoint_refuses_what_konform_refuses() -> None:
    text = (ROOT / "docker" / "asterisk-entrypoint.sh").read_text()
    found = re.search(r'^\s*""\|([a-z0-9|]+)\) return 0 ;;$', text, re.MULTILINE)
    assert found is not None
    assert {"", *found.group(1).split("|")} == DEFAULT_PASSWORDS
    assert '[ "${#1}" -lt 12 ]' in text
    assert "x86_64" not in text


@pytest.mark.parametrize("password", ["", "1234", "Konform", "short-pass1"])
def test_entrypoint_weak_check_refuses(password: str, tmp_path: Path) -> None:
    text = (ROOT / "docker" / "asterisk-entrypoint.sh").read_text()
    weak = text[text.index("weak() {") : text.index("\n}\n", text.index("weak() {")) + 3]
    script = tmp_path / "weak.sh"
    script.write_text(weak + 'weak "$1"\n')
    assert subprocess.run(["sh", str(script), password], check=False).returncode == 0
    strong = subprocess.run(["sh", str(script), "a-long-strong-pass"], check=False)
    assert strong.returncode == 1


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(SYSTEMD / name)
    return parser


@pytest.mark.parametrize("name", ["konform-serve.service", "konform-agi.service"])
def test_systemd_units_restart_drain_and_are_hardened(name: str) -> None:
    service = _unit(name)["Service"]
    assert service["Restart"] == "on-failure"
    assert service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"]) >= 30
    assert service["User"] == "konform"
    assert service["EnvironmentFile"].startswith("/etc/konform/")
    for key in ("NoNewPrivileges", "PrivateTmp"):
        assert service[key] == "yes", key
    assert service["ProtectSystem"] == "strict"
    assert "/var/lib/konform" in service["ReadWritePaths"]
    assert "--log-format json" in service["ExecStart"]


def test_serve_waits_longer_than_a_call_rings() -> None:
    from konform.config import DialerConfig

    stop = int(_unit("konform-serve.service")["Service"]["TimeoutStopSec"])
    assert stop > DialerConfig().ring_timeout + 60  # ringing plus a minute of talk at least


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed; the units are parsed above")
    for name in ("konform-serve.service", "konform-agi.service"):
        text = (SYSTEMD / name).read_text().replace("/opt/konform/.venv/bin/konform", "/bin/true")
        (tmp_path / name).write_text(text)
    (tmp_path / "asterisk.service").write_text("[Service]\nExecStart=/bin/true\n")
    done = subprocess.run(
        [analyze, "verify", "--man=no", "konform-serve.service", "konform-agi.service"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_compose_runs_serve_and_agi_on_the_host_network() -> None:
    text = (ROOT / "docker" / "compose.yaml").read_text()
    assert not re.search(r"^version:", text, re.MULTILINE)
    assert '"agi", "serve"' in text
    assert '"serve", "--campaign"' in text
    assert "--no-sandbox" not in text
    assert text.count("network_mode: host") == 2  # asterisk and the app anchor
    assert text.count("healthcheck:") == 3
    example = (ROOT / "docker" / ".env.example").read_text()
    names = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    assert {"ARI_PASSWORD", "KONFORM_ARI_PASSWORD", "KONFORM_CAMPAIGN", "TRUNK_PASSWORD"} <= names
    assert "AMI_ENABLED=no" in example


def test_the_lock_file_pins_every_dependency() -> None:
    lock = (ROOT / "requirements.lock").read_text()
    pins = dict(
        line.split("==", 1) for line in lock.splitlines() if line and not line.startswith("#")
    )
    for name in ("panoramisk", "aiohttp", "phonenumbers", "cryptography", "holidays", "numpy"):
        assert name in {p.lower() for p in pins}, name
    assert pins.get("panoramisk", "").startswith("1.4")
