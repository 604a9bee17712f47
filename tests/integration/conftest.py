"""Fixtures for tests against the real Asterisk sandbox.

The sandbox is started once per session. When it cannot be built or started the tests fail
with the reason: they never skip, since a skipped integration test proves nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from konform_sandbox.root import SandboxError
from konform_sandbox.sandbox import Sandbox


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox()
    try:
        box.start()
    except SandboxError as exc:
        pytest.fail(f"the Asterisk sandbox did not start: {exc}", pytrace=False)
    yield box
    box.stop()
