# syntax=docker/dockerfile:1
# procx and pushx on Debian 12: the Native AOT executables need only glibc, OpenSSL (loaded when a driver
# speaks TLS) and CA certificates; no .NET runtime. tests/runtime/chroot-test.sh proves that contract on a
# debootstrap'd bookworm root with exactly the packages installed below.
#
# Extend it (docs/container.md):   FROM ghcr.io/OWNER/procx  ...  CMD ["node", "app.js"]

# --- build: the .NET SDK (.NET 10 ships Ubuntu 24.04 SDK images, no Debian ones) plus Native AOT's linker ---
FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
ARG VERSION=0.0.0-dev
ARG TARGETARCH
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The AOT objects the SDK links in need GLIBC 2.34 at most, so a build here runs on bookworm's 2.36.
RUN case "${TARGETARCH:-amd64}" in arm64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac \
 && PROCX_SKIP_PREREQS=1 scripts/publish.sh /out "$rid" "-p:Version=${VERSION#v}"

# --- runtime: glibc (the base), libssl3, CA certificates; a non-root user ---
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --user-group --home-dir /work --create-home --shell /usr/sbin/nologin procx
COPY --from=build /out/procx /out/pushx /usr/local/bin/
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["procx"]
