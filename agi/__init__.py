"""The FastAGI service for plain dialplan: ``precheck`` before agents' manual calls, ``optout``
and ``callback``. Built with the FastAGI issue on the same gate and opt-out code as the dialer.
"""
