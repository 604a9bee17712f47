"""Campaign engine cores (sans-IO): the next contact, how many lines to dial, agent states.

Nothing here does I/O or reads a clock: time comes in as POSIX seconds (``float``) from the shell
(the ARI dialer, or ``bench.pacing``'s simulated clock), so the same code runs live and simulated.

- :mod:`konform.engine.scheduler`: due contacts, priorities, windows, claims with leases;
- :mod:`konform.engine.pacing`: lines to dial now (progressive, predictive);
- :mod:`konform.engine.agents`: agent states and reservations;
- :mod:`konform.engine.stats`: rolling outcome counts and duration samples per campaign.
"""
