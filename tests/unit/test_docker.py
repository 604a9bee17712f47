"""docker/ stays honest without a Docker engine: its sources exist and its templates fill."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "asterisk-entrypoint.sh"


@pytest.mark.parametrize("dockerfile", sorted((ROOT / "docker").glob("Dockerfile*")))
def test_copied_sources_exist(dockerfile: Path) -> None:
    for line in dockerfile.read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), f"{dockerfile.name}: {source} is missing"


def test_entrypoint_substitution_fills_every_placeholder(tmp_path: Path) -> None:
    perl = shutil.which("perl")
    assert perl, "perl is part of Debian's base system"
    text = ENTRYPOINT.read_text()
    expression = re.search(r"perl -pe '([^']+)'", text)
    assert expression is not None
    env = {
        **os.environ,
        "INSTANCE": "pbx",
        "HTTP_PORT": "8088",
        "SIP_PORT": "5060",
        "AMI_PORT": "5038",
        "RTP_START": "10000",
        "RTP_END": "10999",
        "ARI_USER": "konform",
        "AMI_USER": "konform",
        "ARI_APP": "konform",
        "ARI_PASSWORD": "p" * 16,
        "AMI_PASSWORD": "q" * 16,
        "HOST": "127.0.0.1",
        "TRUNK_HOST": "192.0.2.10",
        "TRUNK_PORT": "5060",
        "PHONES_HOST": "127.0.0.1",
        "PHONES_PORT": "5062",
        "AGI_HOST": "127.0.0.1",
        "AGI_PORT": "4573",
        "OPTOUT_LINE": "+4930555000199",
        "AGENT_DIAL": "PJSIP/agent1",
        "AGENT_CAMPAIGN": "sales",
    }
    confs = [
        *(ROOT / "dialplan" / "common").glob("*.conf"),
        *(ROOT / "dialplan" / "pbx").glob("*.conf"),
    ]
    for conf in sorted(confs):
        done = subprocess.run(
            [perl, "-pe", expression.group(1), str(conf)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert not re.search(r"@[A-Z][A-Z0-9_]*@", done.stdout), conf
