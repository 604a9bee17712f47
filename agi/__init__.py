"""The FastAGI service for plain dialplan: ``precheck`` before agents' manual calls, ``outcome``
from their hangup handler, ``optout`` and ``callback``, on the same gate and opt-out code as the
dialer.
"""
