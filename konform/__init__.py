"""konform: compliance-first outbound calling for Asterisk.

The package holds the sans-IO cores (numbers, calling time, policy) and the shells around them
(store, CLI). The Asterisk-facing shells live in the sibling packages ``ari_app`` and ``agi``; the
development sandbox and the demo in ``konform_sandbox``. pyproject.toml's import contracts keep
the layers apart.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
