"""Asterisk configs and peer sounds, shipped as the package data ``konform_sandbox.dialplan``."""
