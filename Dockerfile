# The bot's container: what `azd up` builds (azure.yaml) and Container Apps runs (infra/resources.bicep).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0 \
    PORT=3978

WORKDIR /app

# The pinned runtime requirements first, so code changes reuse this layer.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

# The bot's code and the data it reads; tests, tools and the sandbox's generators stay out (.dockerignore).
COPY app.py settings.py telemetry.py ./
COPY bot/ bot/
COPY cards/ cards/
COPY dialogs/ dialogs/
COPY migration/ migration/
COPY sandbox/ sandbox/
COPY storage/ storage/
COPY workers/ workers/

# An unprivileged user; data/ is the only place it writes (SQLite when STORAGE_URL is left at its default).
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin bot \
    && mkdir data && chown bot data
USER 10001

EXPOSE 3978
CMD ["python", "app.py"]
