"""The web console of konform: wallboard, agent desk, supervisor controls, accounts, metrics.

A shell like ari_app: an aiohttp application over the store (its own connection and worker
thread), never importing the call path, the FastAGI shell, the CLI or the sandbox. The pages
are static files in ``static/``; the API they use is described in docs/web.md.
"""
