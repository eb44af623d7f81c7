# syntax=docker/dockerfile:1.7
# The exporter on an empty image: the compiled binary, the glibc it links to, CA
# certificates and a passwd entry for the unprivileged user 65534. Build targets:
#   docker buildx build --platform linux/amd64,linux/arm64 .                   # FROM scratch
#   docker buildx build --platform linux/amd64,linux/arm64 --target busybox .  # with a shell
ARG DENO_VERSION=2.9.6

# Compiles on the build machine's own platform; deno compile cross-compiles to TARGETARCH.
FROM --platform=$BUILDPLATFORM denoland/deno:${DENO_VERSION} AS build
USER root
WORKDIR /src
COPY deno.json deno.lock* ./
RUN deno install
COPY . .
ARG TARGETARCH
ARG REVISION=unknown
RUN X509_EXPORTER_REVISION="${REVISION}" deno task compile --target "linux-${TARGETARCH}" \
 && install -D -m 0755 "dist/x509-certificate-exporter-linux-${TARGETARCH}" /out/x509-certificate-exporter

# Runs on the target platform: gathers what the binary needs at run time into /rootfs.
FROM debian:bookworm-slim AS rootfs
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/x509-certificate-exporter /usr/local/bin/x509-certificate-exporter
RUN set -eu; \
    mkdir -p /rootfs/etc /rootfs/tmp; \
    chmod 1777 /rootfs/tmp; \
    echo 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' > /rootfs/etc/passwd; \
    echo 'nogroup:x:65534:' > /rootfs/etc/group; \
    for lib in $(ldd /usr/local/bin/x509-certificate-exporter | grep -o '/[^ ]*'); do \
      cp --parents -L "$lib" /rootfs; \
    done

FROM busybox:1.37-glibc AS busybox
COPY --from=rootfs /rootfs/ /
COPY --from=rootfs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/x509-certificate-exporter /usr/local/bin/x509-certificate-exporter
USER 65534:65534
EXPOSE 9793
ENTRYPOINT ["/usr/local/bin/x509-certificate-exporter"]

# The default target: nothing but the exporter and what it needs.
FROM scratch
COPY --from=rootfs /rootfs/ /
COPY --from=rootfs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/x509-certificate-exporter /usr/local/bin/x509-certificate-exporter
USER 65534:65534
EXPOSE 9793
ENTRYPOINT ["/usr/local/bin/x509-certificate-exporter"]
