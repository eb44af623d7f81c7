#!/bin/sh
# Installs x509-certificate-exporter from a release: the binary for this OS and
# CPU (checked against the release's SHA256SUMS), a starter config that is never
# overwritten, and a hardened systemd unit, enabled and started.
#
#   curl -fsSL https://github.com/x509-exporter/x509-certificate-exporter-deno/releases/latest/download/install.sh | sudo sh
#   sh install.sh [--version X.Y.Z] [--prefix DIR] [--destdir DIR] [--dry-run] [--no-systemd]
#   sh install.sh --uninstall [--purge]
#
# Environment: X509_EXPORTER_VERSION, X509_EXPORTER_BASE_URL (where the assets
# and SHA256SUMS are), PREFIX, DESTDIR (install into a staging root; systemctl is
# then never run).
set -eu

NAME=x509-certificate-exporter
REPO=x509-exporter/x509-certificate-exporter-deno
VERSION=${X509_EXPORTER_VERSION:-latest}
BASE_URL=${X509_EXPORTER_BASE_URL:-}
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
ACTION=install
DRY_RUN=0
PURGE=0
SYSTEMD=auto
TMP=

say() { printf '%s\n' "$*" >&2; }
die() {
  say "install.sh: error: $*"
  exit 1
}

usage() {
  cat <<EOF
Usage: sh install.sh [options]       install or upgrade $NAME
       sh install.sh --uninstall     remove it
Options:
  --version V     release to install (default: latest; env X509_EXPORTER_VERSION)
  --base-url URL  where the release assets are (env X509_EXPORTER_BASE_URL)
  --prefix DIR    install the binary into DIR/bin (default: /usr/local)
  --destdir DIR   prefix every installed path with DIR, skip systemctl
  --no-systemd    do not install the systemd unit
  --dry-run       print what would be done, change nothing
  --uninstall     remove the binary and the unit (the config stays unless --purge)
  --purge         with --uninstall, also remove /etc/$NAME
EOF
}

while [ $# -gt 0 ]; do
  case $1 in
    --version) [ $# -ge 2 ] || die "--version needs a value"; VERSION=$2; shift ;;
    --version=*) VERSION=${1#*=} ;;
    --base-url) [ $# -ge 2 ] || die "--base-url needs a value"; BASE_URL=$2; shift ;;
    --base-url=*) BASE_URL=${1#*=} ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; PREFIX=$2; shift ;;
    --prefix=*) PREFIX=${1#*=} ;;
    --destdir) [ $# -ge 2 ] || die "--destdir needs a value"; DESTDIR=$2; shift ;;
    --destdir=*) DESTDIR=${1#*=} ;;
    --no-systemd) SYSTEMD=no ;;
    --dry-run) DRY_RUN=1 ;;
    --uninstall) ACTION=uninstall ;;
    --purge) PURGE=1 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done

VERSION=${VERSION#v}
BIN_PATH=$PREFIX/bin/$NAME
CONFIG_DIR=/etc/$NAME
CONFIG_PATH=$CONFIG_DIR/config.yaml
UNIT_PATH=/etc/systemd/system/$NAME.service

# Runs a command, or only prints it with --dry-run.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    say "would run: $*"
  else
    "$@"
  fi
}

# Writes standard input to a file, or only says so with --dry-run.
write_file() {
  if [ "$DRY_RUN" = 1 ]; then
    say "would write: $1"
    cat >/dev/null
  else
    cat >"$1"
  fi
}

# systemctl only on a live systemd host, never into a staging root.
use_systemctl() {
  [ -z "$DESTDIR" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1
}

want_unit() {
  case $SYSTEMD in
    no) return 1 ;;
    *) [ -n "$DESTDIR" ] || use_systemctl ;;
  esac
}

detect_asset() {
  case $(uname -s) in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) die "unsupported OS: $(uname -s) (on Windows, download $NAME-windows-amd64.exe)" ;;
  esac
  case $(uname -m) in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "unsupported CPU: $(uname -m) (builds exist for amd64 and arm64)" ;;
  esac
  if [ "$os" = linux ] && ls /lib/ld-musl-* >/dev/null 2>&1 && ! ls /lib*/ld-linux* >/dev/null 2>&1; then
    say "install.sh: warning: the Linux builds need glibc; on musl use the container image"
  fi
  ASSET=$NAME-$os-$arch
}

download() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    die "neither curl nor wget is installed"
  fi || die "cannot download $1"
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  else
    die "neither sha256sum nor shasum is installed: cannot verify the download"
  fi
}

unit_file() {
  # Keep in sync with packaging/x509-certificate-exporter.service (tests/install_test.ts checks).
  cat <<'UNIT' | sed "s#/usr/local/bin/$NAME#$BIN_PATH#"
[Unit]
Description=Prometheus exporter for X.509 certificate expiry
Documentation=https://github.com/x509-exporter/x509-certificate-exporter-deno/blob/main/docs/install.md
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=/usr/local/bin/x509-certificate-exporter --config /etc/x509-certificate-exporter/config.yaml
Restart=on-failure
RestartSec=5s

# A throwaway unprivileged user; the exporter only reads certificates and listens on :9793.
DynamicUser=yes
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
ReadOnlyPaths=-/etc/ssl -/etc/pki -/etc/kubernetes/pki -/etc/x509-certificate-exporter
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
UMask=0077
# No MemoryDenyWriteExecute=: V8's JIT needs writable executable memory.

[Install]
WantedBy=multi-user.target
UNIT
}

config_file() {
  cat <<'CONFIG'
# x509-certificate-exporter: written once by install.sh, never overwritten. Edit freely.
server:
  listen: ":9793"
sources:
  - kind: file
    name: host-pki
    paths:
      - /etc/ssl/certs
      # - /etc/kubernetes/pki
      # - /etc/pki/tls/certs
CONFIG
}

check_root() {
  if [ -z "$DESTDIR" ] && [ "$DRY_RUN" = 0 ] && [ "$(id -u)" != 0 ]; then
    die "run as root (sudo sh install.sh), or install elsewhere with --prefix/--destdir"
  fi
}

do_install() {
  detect_asset
  if [ -z "$BASE_URL" ]; then
    if [ "$VERSION" = latest ]; then
      BASE_URL=https://github.com/$REPO/releases/latest/download
    else
      BASE_URL=https://github.com/$REPO/releases/download/v$VERSION
    fi
  fi
  BASE_URL=${BASE_URL%/}
  check_root

  if [ "$DRY_RUN" = 1 ]; then
    say "would download: $BASE_URL/$ASSET"
    say "would download: $BASE_URL/SHA256SUMS"
    say "would verify the SHA-256 of $ASSET"
  else
    TMP=$(mktemp -d 2>/dev/null || mktemp -d -t "$NAME")
    trap 'rm -rf "$TMP"' EXIT
    trap 'exit 130' INT TERM
    download "$BASE_URL/SHA256SUMS" "$TMP/SHA256SUMS"
    download "$BASE_URL/$ASSET" "$TMP/$ASSET"
    expected=$(awk -v f="$ASSET" '$2 == f || $2 == "*" f { print $1; exit }' "$TMP/SHA256SUMS")
    [ -n "$expected" ] || die "SHA256SUMS has no line for $ASSET: nothing installed"
    actual=$(sha256_of "$TMP/$ASSET")
    [ "$actual" = "$expected" ] ||
      die "checksum mismatch for $ASSET (expected $expected, got $actual): nothing installed"
    say "Verified $ASSET ($actual)"
  fi

  if [ "$DRY_RUN" = 1 ]; then
    say "would install: $DESTDIR$BIN_PATH (mode 0755)"
  else
    mkdir -p "$DESTDIR$PREFIX/bin"
    # Copy then rename, so a running exporter is never overwritten in place.
    cp "$TMP/$ASSET" "$DESTDIR$BIN_PATH.new"
    chmod 0755 "$DESTDIR$BIN_PATH.new"
    mv -f "$DESTDIR$BIN_PATH.new" "$DESTDIR$BIN_PATH"
    say "Installed $DESTDIR$BIN_PATH"
  fi

  if [ -e "$DESTDIR$CONFIG_PATH" ]; then
    say "Kept the existing $DESTDIR$CONFIG_PATH"
  else
    run mkdir -p "$DESTDIR$CONFIG_DIR"
    config_file | write_file "$DESTDIR$CONFIG_PATH"
    run chmod 0644 "$DESTDIR$CONFIG_PATH"
    [ "$DRY_RUN" = 1 ] || say "Wrote $DESTDIR$CONFIG_PATH"
  fi

  if want_unit; then
    run mkdir -p "$DESTDIR/etc/systemd/system"
    unit_file | write_file "$DESTDIR$UNIT_PATH"
    run chmod 0644 "$DESTDIR$UNIT_PATH"
    [ "$DRY_RUN" = 1 ] || say "Wrote $DESTDIR$UNIT_PATH"
    if use_systemctl; then
      run systemctl daemon-reload
      run systemctl enable "$NAME.service"
      run systemctl restart "$NAME.service"
      [ "$DRY_RUN" = 1 ] || say "Started $NAME.service: metrics on http://localhost:9793/metrics"
    fi
  else
    say "No systemd here: run $BIN_PATH --config $CONFIG_PATH under your service manager"
  fi
}

do_uninstall() {
  check_root
  if use_systemctl && [ "$SYSTEMD" != no ]; then
    run systemctl disable --now "$NAME.service" || true
  fi
  if [ -e "$DESTDIR$UNIT_PATH" ]; then
    run rm -f "$DESTDIR$UNIT_PATH"
    [ "$DRY_RUN" = 1 ] || say "Removed $DESTDIR$UNIT_PATH"
    if use_systemctl; then run systemctl daemon-reload; fi
  fi
  if [ -e "$DESTDIR$BIN_PATH" ]; then
    run rm -f "$DESTDIR$BIN_PATH"
    [ "$DRY_RUN" = 1 ] || say "Removed $DESTDIR$BIN_PATH"
  fi
  if [ "$PURGE" = 1 ] && [ -e "$DESTDIR$CONFIG_DIR" ]; then
    run rm -rf "$DESTDIR$CONFIG_DIR"
    [ "$DRY_RUN" = 1 ] || say "Removed $DESTDIR$CONFIG_DIR"
  elif [ -e "$DESTDIR$CONFIG_PATH" ]; then
    say "Kept $DESTDIR$CONFIG_PATH (remove it with --uninstall --purge)"
  fi
}

case $ACTION in
  install) do_install ;;
  uninstall) do_uninstall ;;
esac
