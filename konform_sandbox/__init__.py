"""The real Asterisk sandbox: a Debian sid root with Asterisk 22 and the instances run in it."""
