"""The ``konform`` command line: one module per command group, wired in :mod:`.main`."""
