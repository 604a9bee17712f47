"""The ARI Stasis application: campaigns, originate, AMD on live audio, agents, recording after
consent, the opt-out IVR. Built with the dialer issue; it calls :mod:`konform.gate` before every
call and :mod:`konform.store.objection` for opt-outs.
"""
