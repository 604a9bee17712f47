# konform (the app: Stasis dialer, FastAGI, CLI) — the same install steps as scripts/setup,
# without the sandbox root (in production Asterisk runs in its own container or on the host).
# Not built in CI: there is no Docker engine on the development machines.
FROM python:3.11-slim-bookworm
WORKDIR /opt/konform
COPY pyproject.toml README.md ./
COPY konform ./konform
COPY ari_app ./ari_app
COPY agi ./agi
COPY dialplan ./dialplan
COPY prompts ./prompts
RUN python -m venv /opt/konform/.venv \
    && /opt/konform/.venv/bin/pip install --no-cache-dir -e . \
    && useradd --system --home /var/lib/konform konform \
    && mkdir -p /var/lib/konform && chown konform /var/lib/konform
USER konform
ENV KONFORM_DB=/var/lib/konform/konform.db PATH=/opt/konform/.venv/bin:$PATH
# ARI/AMI passwords come from the environment (KONFORM_ARI_PASSWORD, ...); konform refuses
# empty or default ones.
ENTRYPOINT ["konform"]
CMD ["--help"]
