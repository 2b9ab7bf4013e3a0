# ChainScout service image: build wheels in one stage, run as a non-root user in the next.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY recommender ./recommender
COPY service ./service
RUN pip wheel --no-cache-dir --wheel-dir /wheels '.[postgres]'

FROM python:3.11-slim
# LightGBM needs the OpenMP runtime.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 chainscout
WORKDIR /app
COPY --from=build /wheels /wheels
# hadolint ignore=DL3013
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY data ./data
ENV CHAINSCOUT_DATA_DIR=/app/data \
    CHAINSCOUT_VAR_DIR=/app/var \
    PYTHONUNBUFFERED=1
RUN mkdir -p /app/var && chown chainscout:chainscout /app/var
USER 10001
# The README's commands: build the demo world into var/ and train its first model.
RUN chainscout demo build && chainscout train
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health')"]
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-", "service.wsgi:app"]
