"""The ARI Stasis application: campaigns, originate, AMD on live audio, agents, recording after
consent, the opt-out IVR. Every call passes :mod:`konform.gate` first; every write of a call goes
through :mod:`konform.store.calls`.
"""
