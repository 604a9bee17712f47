# konform (the app: Stasis dialer, FastAGI, CLI) — the same install steps as scripts/setup,
# without the sandbox root (in production Asterisk runs in its own container or on the host).
# Not built in CI: there is no Docker engine on the development machines.
FROM python:3.11-slim-bookworm
WORKDIR /opt/konform
COPY pyproject.toml README.md LICENSE ./
COPY konform ./konform
COPY ari_app ./ari_app
COPY agi ./agi
COPY konform_sandbox ./konform_sandbox
COPY dialplan ./dialplan
COPY prompts ./prompts
RUN python -m venv /opt/konform/.venv \
    && /opt/konform/.venv/bin/pip install --no-cache-dir -e . \
    && useradd --system --home /var/lib/konform konform \
    && mkdir -p /var/lib/konform && chown konform /var/lib/konform
USER konform
ENV KONFORM_DB=/var/lib/konform/konform.db PATH=/opt/konform/.venv/bin:$PATH
# The ARI password comes from the environment (KONFORM_ARI_PASSWORD); konform refuses
# an empty or default one.
ENTRYPOINT ["konform"]
CMD ["--help"]
