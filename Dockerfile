# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements.lock pyproject.toml README.md ./
RUN /opt/venv/bin/pip install --require-hashes -r requirements.lock
COPY api ./api
COPY auth ./auth
COPY billing ./billing
COPY config ./config
COPY models ./models
COPY schema ./schema
COPY webhooks ./webhooks
RUN /opt/venv/bin/pip install --no-deps .

FROM python:3.11-slim AS runtime
RUN groupadd --system billing && useradd --system --gid billing --home /app billing
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The staff console's static files, served at /console/ from the working folder.
COPY web ./web
USER billing
ENV PATH=/opt/venv/bin:$PATH \
    BILLING_ENV=production \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# DATABASE_URL (postgres://...), the secrets and PUBLIC_BASE_URL come from the environment;
# the service refuses to start without them. Run `billing migrate` once per release.
EXPOSE 8000
CMD ["billing", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
