"""Which call an ARI event belongs to, from the ids konform gives its objects."""

from __future__ import annotations

from ari_app.dialer import call_id_of


def test_events_find_their_call() -> None:
    assert call_id_of({"channel": {"id": "kabc"}}) == "kabc"
    assert call_id_of({"channel": {"id": "kabc-snoop"}}) == "kabc"
    assert call_id_of({"playback": {"id": "kabc-p3"}}) == "kabc"
    assert call_id_of({"bridge": {"id": "kabc-talk"}}) == "kabc"
    assert call_id_of({"recording": {"name": "konform-kabc"}}) == "kabc"
    assert call_id_of({"type": "Ping"}) is None
