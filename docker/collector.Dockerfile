# ccstream's OTel collector distribution (collector/: contrib v0.131.0, every module pinned in go.mod/go.sum),
# the image infra/monitoring.yaml runs (CollectorImage; tag it with the release go.mod pins, e.g. 0.131.0).
#
# Build (from the repository root):  docker build -f docker/collector.Dockerfile -t otelcol-ccstream:0.131.0 .
# Same build as `make collector` (scripts/build_collector.sh): modules only from proxy.golang.org, checked against
# go.sum and sum.golang.org, -trimpath, no cgo. The configuration is not baked in: the task passes the rendered
# collector/config.yaml (SSM parameter) as --config=env:AOT_CONFIG_CONTENT.
# TLS from the load balancer needs no step here: the task sets CCSTREAM_RECEIVER_TLS=self-signed and the binary
# generates its certificate in memory at start (collector/internal/selfsigned; this image has no shell and the task's
# root filesystem is read-only).
#
# Base images: pinned by tag, and by digest through GO_DIGEST / RUNTIME_DIGEST ("@sha256:<64 hex>"). Our machines
# cannot reach an image registry, so no digest is committed; release builds pass them as --build-arg.
ARG GO_IMAGE=golang:1.26.8-bookworm
ARG GO_DIGEST=
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot
ARG RUNTIME_DIGEST=

FROM ${GO_IMAGE}${GO_DIGEST} AS build
ENV GOPROXY=https://proxy.golang.org GOSUMDB=sum.golang.org GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
WORKDIR /src/collector
COPY collector/go.mod collector/go.sum ./
RUN go mod download
COPY collector/*.go ./
COPY collector/internal ./internal
RUN go build -trimpath -ldflags="-s -w" -o /out/otelcol-ccstream .

FROM ${RUNTIME_IMAGE}${RUNTIME_DIGEST}
COPY --from=build /out/otelcol-ccstream /otelcol-ccstream
USER 65532:65532
EXPOSE 4317 4318 13133
ENTRYPOINT ["/otelcol-ccstream"]
