"""Development only: the real Asterisk sandbox (a Debian sid root with Asterisk 22 and the
instances run in it), the demo campaign and the AMD probe. It ships with the wheel because
``konform demo`` runs on it; its dialplan and prompts are package data (``dialplan/`` and
``prompts/`` in the repository). Nothing in konform, ari_app or agi imports it.
"""
