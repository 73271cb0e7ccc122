# syntax=docker/dockerfile:1
# Two stages: the builder installs the locked dependencies and the package into /opt/venv;
# the runtime stage copies only that venv and runs as an unprivileged user.

FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# The dependencies from the lock file (exact versions, hashes checked: the image gets what the
# tests ran against), in a layer of their own that a change of the code does not rebuild.
COPY requirements/run.txt requirements/run.txt
RUN pip install --require-hashes -r requirements/run.txt
COPY pyproject.toml README.md ./
COPY domain/ domain/
COPY infra/ infra/
COPY services/ services/
RUN pip wheel --no-deps --wheel-dir /wheels . \
    && pip install --no-deps /wheels/*.whl

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH
RUN groupadd --system --gid 10001 ntrack \
    && useradd --system --uid 10001 --gid ntrack --home-dir /data --shell /usr/sbin/nologin ntrack \
    && mkdir -p /data \
    && chown ntrack:ntrack /data
COPY --from=builder /opt/venv /opt/venv
# The shipped scenario, for `ntrack load /opt/ntrack/examples/security-guarantees-2021-22.json`.
COPY examples/ /opt/ntrack/examples/
# The default store, sqlite:///./ntrack.sqlite3, lands in /data (mount a volume there to keep it).
WORKDIR /data
USER ntrack
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["ntrack", "serve", "--host", "0.0.0.0", "--port", "8000"]
