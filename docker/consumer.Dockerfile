# The ccstream consumer: `ccstream consume` runs the KCL MultiLangDaemon (Java) with the Python record processors.
#
# Build (from the repository root):  docker build -f docker/consumer.Dockerfile -t ccstream-consumer .
# Python packages come only from requirements/runtime.lock.txt (--require-hashes --no-deps). The OFFICIAL
# amazon-kclpy 2.1.5 is installed by scripts/install_kclpy.py, as on the dev machines: the KCL 2.5.8 jars are fetched
# by Maven with strict checksums, and each one is checked against Maven Central's .sha1 and requirements/kcl-jars.txt.
#
# Base image: pinned by tag, and by digest through PYTHON_DIGEST ("@sha256:<64 hex>", the digest of
# PYTHON_IMAGE: `docker buildx imagetools inspect python:3.11-slim-bookworm`). Our machines cannot reach an image
# registry, so no digest is committed; release builds pass it: --build-arg PYTHON_DIGEST=@sha256:...
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG PYTHON_DIGEST=

FROM ${PYTHON_IMAGE}${PYTHON_DIGEST} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/*

FROM base AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends maven \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/ccstream
ENV PATH=/opt/ccstream/bin:$PATH
WORKDIR /src
COPY requirements/runtime.lock.txt requirements/kcl-jars.txt ./requirements/
RUN pip install --require-hashes --no-deps -r requirements/runtime.lock.txt
COPY scripts/install_kclpy.py ./scripts/
# Verified jars only (the script refuses any jar whose sha1 or sha256 differs), then the import must work.
RUN python scripts/install_kclpy.py --cache /tmp/kcl \
    && rm -rf /tmp/kcl \
    && python -c "import amazon_kclpy, pathlib, sys; jars = sorted((pathlib.Path(amazon_kclpy.__file__).parent / 'jars').glob('*.jar')); print(len(jars), 'jars'); sys.exit(0 if len(jars) == 76 else 1)"
COPY pyproject.toml README.md* ./
COPY schemas ./schemas
COPY consumers ./consumers
RUN pip install --no-deps --no-build-isolation . && pip check
COPY infra /opt/ccstream/infra

FROM base
COPY --from=build /opt/ccstream /opt/ccstream
ENV PATH=/opt/ccstream/bin:$PATH \
    CCSTREAM_INFRA_DIR=/opt/ccstream/infra
RUN useradd --uid 10001 --create-home ccstream
USER ccstream
WORKDIR /home/ccstream
# The KCL writes rendered properties and logs under tmp (a writable volume on Fargate's read-only root); the
# daemon's and processors' output goes to stderr, which the awslogs driver sends to CloudWatch Logs.
ENV TMPDIR=/tmp \
    CCSTREAM_LOG_DIR=/tmp/ccstream/logs \
    CCSTREAM_DAEMON_OUTPUT=stderr
ENTRYPOINT ["ccstream"]
CMD ["consume", "--app", "all"]
