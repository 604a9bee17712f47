# konform (the Stasis dialer, FastAGI, CLI) from the pinned lock file; Asterisk runs in its own
# container (Dockerfile.asterisk) or on the host. Pin the base by digest in production.
FROM python:3.11-slim-bookworm
WORKDIR /opt/konform
COPY requirements.lock pyproject.toml README.md LICENSE ./
COPY konform ./konform
COPY ari_app ./ari_app
COPY agi ./agi
COPY konform_sandbox ./konform_sandbox
COPY konform_web ./konform_web
COPY dialplan ./dialplan
COPY prompts ./prompts
# The lock file first (every dependency at its tested version), then konform without
# resolving again. A fixed uid/gid: the Asterisk container gives this group the recordings.
RUN python -m venv /opt/konform/.venv \
    && /opt/konform/.venv/bin/pip install --no-cache-dir -r requirements.lock \
    && /opt/konform/.venv/bin/pip install --no-cache-dir --no-deps . \
    && groupadd --system --gid 10001 konform \
    && useradd --system --uid 10001 --gid 10001 --home /var/lib/konform konform \
    && mkdir -p /var/lib/konform/recordings && chown -R konform:konform /var/lib/konform
USER konform
ENV KONFORM_DB=/var/lib/konform/konform.db PATH=/opt/konform/.venv/bin:$PATH
# Secrets come from the environment (KONFORM_ARI_PASSWORD); konform refuses weak ones.
ENTRYPOINT ["konform"]
CMD ["--help"]
