# Faraday bot image for deployment against an external PostgreSQL (with pgvector) and Redis.
# Required: DATABASE_URL, REDIS_URL (no embedded servers in the image: devtools/ is not copied),
# MICROSOFT_APP_ID (+ MICROSOFT_APP_PASSWORD, MICROSOFT_APP_TENANT_ID).
# Optional: OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL, ALLOWED_TENANTS, ALLOWED_SERVICE_URL_HOSTS (JSON lists).
FROM python:3.11-slim AS build
WORKDIR /app
COPY requirements.txt requirements.lock ./
RUN python -m venv /venv \
 && /venv/bin/pip install --no-cache-dir --upgrade pip \
 && /venv/bin/pip install --no-cache-dir -r requirements.txt -c requirements.lock

FROM python:3.11-slim
# DejaVu Sans: export PDFs print every name as written (domain/exports/pdf_base.py; without it, Latin-1 only).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 faraday
WORKDIR /app
COPY --from=build /venv /venv
COPY alembic.ini ./
COPY bot ./bot
COPY agent ./agent
COPY domain ./domain
COPY tools ./tools
COPY knowledge ./knowledge
COPY migrations ./migrations
COPY manifest ./manifest
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 HOST=0.0.0.0 PORT=3978
USER faraday
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os,urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"3978\")}/healthz', timeout=4)"
# Migrations run at start (idempotent; Alembic takes its own lock per revision).
CMD ["python", "-m", "bot", "run"]
