# The ccstream CLI without Java: `generate` and `replay` (synthetic or captured telemetry), `deploy` (the stacks in
# infra/), `dashboard`, `query`. Used by docker-compose.yml for the init, generator, replayer and dashboard services.
#
# Build (from the repository root):  docker build -f docker/generator.Dockerfile -t ccstream-cli .

# Base image pinned by tag, and by digest through --build-arg PYTHON_DIGEST=@sha256:<64 hex> (see consumer.Dockerfile).
# Python packages come only from requirements/runtime.lock.txt (--require-hashes --no-deps).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG PYTHON_DIGEST=

FROM ${PYTHON_IMAGE}${PYTHON_DIGEST} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/ccstream
ENV PATH=/opt/ccstream/bin:$PATH
WORKDIR /src
COPY requirements/runtime.lock.txt ./requirements/
RUN pip install --require-hashes --no-deps -r requirements/runtime.lock.txt
COPY pyproject.toml README.md* ./
COPY schemas ./schemas
COPY consumers ./consumers
RUN pip install --no-deps --no-build-isolation . && pip check
COPY infra /opt/ccstream/infra

FROM ${PYTHON_IMAGE}${PYTHON_DIGEST}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY --from=build /opt/ccstream /opt/ccstream
ENV PATH=/opt/ccstream/bin:$PATH \
    CCSTREAM_INFRA_DIR=/opt/ccstream/infra
RUN useradd --uid 10001 --create-home ccstream && mkdir -p /data && chown ccstream /data
USER ccstream
WORKDIR /home/ccstream
ENTRYPOINT ["ccstream"]
CMD ["--help"]
