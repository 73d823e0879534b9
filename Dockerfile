# The server's image: one static binary (API, web client, migrations, seed, workers) on
# Debian with ffmpeg for the media pipeline. compose.yaml runs it as every role.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/tiktok ./cmd/tiktok

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/tiktok /usr/local/bin/tiktok
RUN mkdir /data && chown 65532:65532 /data
USER 65532:65532
WORKDIR /data
ENV DATA_DIR=/data PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8000/readyz || exit 1
ENTRYPOINT ["tiktok"]
CMD ["serve"]
