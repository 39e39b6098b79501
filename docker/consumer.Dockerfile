# The ccstream consumer: `ccstream consume` runs the KCL MultiLangDaemon (Java) with the Python record processors.
#
# Build (from the repository root):  docker build -f docker/consumer.Dockerfile -t ccstream-consumer .
# The OFFICIAL amazon-kclpy 2.1.5 is installed here; its setup downloads the KCL 2.5.x multilang jars from
# Maven Central at build time (the build has internet; our dev machines do not, see scripts/install_kclpy.py).

FROM python:3.11-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/*

FROM base AS build
RUN python -m venv /opt/ccstream
ENV PATH=/opt/ccstream/bin:$PATH
# Same KCL major as the tests (2.5.x); fail the build if the jars are missing or of another major.
RUN pip install "amazon-kclpy==2.1.5" \
    && python -c "import amazon_kclpy, pathlib, sys; jars = pathlib.Path(amazon_kclpy.__file__).parent / 'jars'; found = sorted(jars.glob('amazon-kinesis-client-multilang-2.5.*.jar')); print(found); sys.exit(0 if found else 1)"
WORKDIR /src
COPY pyproject.toml README.md* ./
COPY schemas ./schemas
COPY consumers ./consumers
RUN pip install .
COPY infra /opt/ccstream/infra

FROM base
COPY --from=build /opt/ccstream /opt/ccstream
ENV PATH=/opt/ccstream/bin:$PATH \
    CCSTREAM_INFRA_DIR=/opt/ccstream/infra
RUN useradd --uid 10001 --create-home ccstream
USER ccstream
WORKDIR /home/ccstream
# The KCL writes rendered properties and logs here (tmp is a writable volume on Fargate's read-only root).
ENV TMPDIR=/tmp
ENTRYPOINT ["ccstream"]
CMD ["consume", "--app", "all", "--log-dir", "/tmp/ccstream-logs"]
