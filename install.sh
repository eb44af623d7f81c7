#!/bin/sh
# Installs x509-certificate-exporter from a release: the binary for this OS and
# CPU (checked against the release's SHA256SUMS), a starter config that is never
# overwritten, the Prometheus alert rules and the Grafana dashboard, and a
# hardened systemd unit, enabled and started. The unit's user is in the group
# x509-exporter, which install.sh creates and lets read certbot's live/ and
# archive/ (a group ACL, or group ownership where setfacl is missing).
#
#   curl -fsSL https://github.com/x509-exporter/x509-certificate-exporter-deno/releases/latest/download/install.sh | sudo sh
#   sh install.sh [--version X.Y.Z] [--prefix DIR] [--destdir DIR] [--dry-run] [--no-systemd]
#   sh install.sh --uninstall [--purge]
#
# Environment: X509_EXPORTER_VERSION, X509_EXPORTER_BASE_URL (where the assets
# and SHA256SUMS are), PREFIX, DESTDIR (install into a staging root; systemctl,
# groupadd and groupdel are then never run), X509_EXPORTER_GROUP.
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
CERTBOT_ACCESS=yes
GROUP=${X509_EXPORTER_GROUP:-x509-exporter}
TMP=
# Installed beside the binary when the release has them (0.1.0 has not).
EXTRAS="$NAME-rules.yml $NAME-dashboard.json"

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
  --group NAME    the unit's supplementary group (default: x509-exporter; env X509_EXPORTER_GROUP)
  --no-certbot-access  do not grant that group read access to /etc/letsencrypt/{live,archive}
  --dry-run       print what would be done, change nothing
  --uninstall     remove the binary and the unit (the config stays unless --purge)
  --purge         with --uninstall, also remove /etc/$NAME, the group and its certbot access
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
    --group) [ $# -ge 2 ] || die "--group needs a value"; GROUP=$2; shift ;;
    --group=*) GROUP=${1#*=} ;;
    --no-certbot-access) CERTBOT_ACCESS=no ;;
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
SHARE_DIR=$PREFIX/share/$NAME
LETSENCRYPT=/etc/letsencrypt
case $GROUP in
  '' | *[!A-Za-z0-9_.-]*) die "invalid group name: $GROUP" ;;
esac

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
  cat <<'UNIT' | sed -e "s#/usr/local/bin/$NAME#$BIN_PATH#" -e "s#^SupplementaryGroups=x509-exporter\$#SupplementaryGroups=$GROUP#"
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
# Members of x509-exporter may read certificates that are not world-readable: install.sh creates
# the group (x509-certificate-exporter.sysusers) and grants it certbot's live/ and archive/.
SupplementaryGroups=x509-exporter
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
ReadOnlyPaths=-/etc/ssl -/etc/pki -/etc/kubernetes/pki -/etc/letsencrypt -/etc/x509-certificate-exporter
PrivateTmp=yes
PrivateMounts=yes
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
# V8 asks for memory protection keys (pkey_*) for its JIT; @system-service lacks them before systemd 254.
SystemCallFilter=@system-service pkey_alloc pkey_free pkey_mprotect
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
UMask=0077
# No MemoryDenyWriteExecute=: V8's JIT needs writable executable memory.

[Install]
WantedBy=multi-user.target
UNIT
}

# True when PATH's location exists on the target: the path itself, or for a glob
# the directory before its first wildcard (the exporter's rule for its embedded default).
here() {
  case $1 in
    *[*?[]*)
      pre=${1%%[*?[]*}
      pre=${pre%/*}
      ;;
    *) pre=$1 ;;
  esac
  [ -e "$DESTDIR${pre:-/}" ]
}

# One source of the config: KIND NAME PATH... A PATH written !PATH is always
# commented out: those files hold private keys, readable by root only, and the
# unit's user is not root. Locations absent here are commented out too; a source
# left with none is commented out whole.
emit_source() {
  kind=$1 name=$2
  shift 2
  any=0
  for p in "$@"; do
    case $p in !*) ;; *) if here "$p"; then any=1; fi ;; esac
  done
  c='# '
  [ "$any" = 0 ] || c=
  printf '  %s- kind: %s\n  %s  name: %s\n  %s  paths:\n' "$c" "$kind" "$c" "$name" "$c"
  for p in "$@"; do
    pc='# '
    case $p in
      !*) p=${p#!} ;;
      *) if [ "$any" = 1 ] && here "$p"; then pc=; fi ;;
    esac
    printf '  %s    - %s\n' "$pc" "$p"
  done
}

# The embedded default's sources (src/config/default.yaml; tests/install_config_test.ts
# keeps the two in step), with what this host lacks commented out.
config_file() {
  cat <<'CONFIG'
# x509-certificate-exporter: written once by install.sh, never overwritten. Edit freely.
# These are the sources of the exporter's embedded default. install.sh commented out the
# locations this host did not have (uncomment them when they appear: a path that does not
# exist is an error, and the SourceDown alert fires). Check a change with:
#   x509-certificate-exporter --config.check --config /etc/x509-certificate-exporter/config.yaml
# More ready configs: examples/ in the repository. Reference: README.md#configuration-reference
server:
  listen: ":9793"
# The CertificateError and CertificateNotYetValid alerts of the shipped rules file read these
# metrics (one more series per certificate each):
# metrics:
#   exposePerCertError: true
#   exposeNotBefore: true
sources:
  # kubeadm's control-plane and etcd PKI.
CONFIG
  emit_source file kubeadm-pki '/etc/kubernetes/pki/*.crt' '/etc/kubernetes/pki/etcd/*.crt'
  echo "  # The kubelet's serving certificate, and its rotated ones: the -current.pem links hold"
  echo "  # private keys, readable by root only (uncomment them if the exporter runs as root)."
  emit_source file kubelet-pki '/var/lib/kubelet/pki/*.crt' \
    !/var/lib/kubelet/pki/kubelet-client-current.pem !/var/lib/kubelet/pki/kubelet-server-current.pem
  echo "  # kubeconfigs (admin.conf, kubelet.conf...): they hold client keys, root only as well."
  emit_source kubeconfig kubeconfigs '!/etc/kubernetes/*.conf'
  echo "  # certbot: each lineage's leaf once (fullchain.pem would repeat the intermediate in every"
  echo "  # lineage). install.sh lets the group $GROUP read live/ and archive/."
  emit_source file certbot '/etc/letsencrypt/live/*/cert.pem'
  echo "  # The system trust store, as one bundle (never /etc/ssl/certs/*: its links count every"
  echo "  # root three times). The shipped alert rules leave these files out."
  emit_source file system-trust-store /etc/ssl/certs/ca-certificates.crt /etc/ssl/ca-bundle.pem \
    /private/etc/ssl/cert.pem
  cat <<'CONFIG'
  # Examples:
  # - kind: file
  #   name: web-servers
  #   paths: [/etc/nginx/ssl/*.crt, /etc/haproxy/certs/*.pem]
  # - kind: file
  #   name: java-keystores # PKCS#12 and JKS
  #   paths: [/opt/app/conf/*.p12, /opt/app/conf/*.jks]
  #   formats: [pkcs12, jks]
  #   pkcs12: { passphraseFile: /etc/x509-certificate-exporter/keystore.pass }
  #   jks: { passphraseFile: /etc/x509-certificate-exporter/keystore.pass }
  # - kind: kubernetes # Secrets of a cluster (reads $KUBECONFIG or ~/.kube/config)
  #   name: cluster
  #   kubeconfig: /etc/x509-certificate-exporter/kubeconfig
  #   secrets: { types: [{ type: kubernetes.io/tls, key: tls.crt }] }
CONFIG
}

group_exists() {
  if command -v getent >/dev/null 2>&1; then
    getent group "$1" >/dev/null 2>&1
  else
    grep -q "^$1:" /etc/group 2>/dev/null
  fi
}

# The unit's SupplementaryGroups= must exist, or it does not start. Never
# created in a staging root: a package creates it with
# packaging/x509-certificate-exporter.sysusers.
ensure_group() {
  if group_exists "$GROUP"; then return 0; fi
  if [ -n "$DESTDIR" ]; then
    say "Group $GROUP does not exist on this host: create it on the target (packaging/$NAME.sysusers)"
    return 1
  fi
  if command -v groupadd >/dev/null 2>&1; then
    run groupadd --system "$GROUP"
  elif command -v addgroup >/dev/null 2>&1; then
    run addgroup -S "$GROUP"
  else
    die "cannot create the group $GROUP: neither groupadd nor addgroup is installed"
  fi
  [ "$DRY_RUN" = 1 ] || say "Created group $GROUP"
}

# Numeric id of a group, or nothing.
group_gid() {
  if command -v getent >/dev/null 2>&1; then
    getent group "$1" | cut -d: -f3
  else
    awk -F: -v g="$1" '$1 == g { print $3; exit }' /etc/group 2>/dev/null
  fi
}

# Numeric group of a file.
gid_of() {
  # shellcheck disable=SC2012 # ls -n is the portable way to the numeric group
  ls -ldn "$1" | awk '{ print $4 }'
}

# certbot makes live/ and archive/ 0700 root; what is below them is world-readable
# except privkey*.pem. Granting the group r-x on those two directories only lets
# it reach the certificates and never the keys. Idempotent.
grant_certbot() {
  [ "$CERTBOT_ACCESS" = yes ] || return 0
  for d in live archive; do
    dir=$DESTDIR$LETSENCRYPT/$d
    [ -d "$dir" ] || continue
    if command -v setfacl >/dev/null 2>&1; then
      granted=$(run setfacl -m "g:$GROUP:rx" "$dir" && echo yes)
    else
      gid=$(gid_of "$dir")
      if [ "$gid" != 0 ] && [ "$gid" != "$(group_gid "$GROUP")" ]; then
        say "install.sh: warning: $dir belongs to group $gid and setfacl is missing: give $GROUP read access yourself (apt-get install acl; setfacl -m g:$GROUP:rx $dir)"
        continue
      fi
      granted=$(run chgrp "$GROUP" "$dir" && run chmod g+rx "$dir" && echo yes)
    fi
    if [ "$granted" != yes ]; then
      say "install.sh: warning: could not grant $GROUP read access to $dir: the exporter will not read it"
    elif [ "$DRY_RUN" = 0 ]; then
      say "Granted group $GROUP read access to $dir"
    fi
  done
}

# Undoes grant_certbot (--uninstall --purge).
revoke_certbot() {
  for d in live archive; do
    dir=$DESTDIR$LETSENCRYPT/$d
    [ -d "$dir" ] || continue
    if command -v setfacl >/dev/null 2>&1; then
      run setfacl -x "g:$GROUP" "$dir" 2>/dev/null || true
    fi
    if [ -n "$(group_gid "$GROUP")" ] && [ "$(gid_of "$dir")" = "$(group_gid "$GROUP")" ]; then
      if run chgrp 0 "$dir"; then
        run chmod g-rwx "$dir"
      else
        say "install.sh: warning: cannot give $dir back to group root"
      fi
    fi
  done
}

check_root() {
  if [ -z "$DESTDIR" ] && [ "$DRY_RUN" = 0 ] && [ "$(id -u)" != 0 ]; then
    die "run as root (sudo sh install.sh), or install elsewhere with --prefix/--destdir"
  fi
}

# The SHA-256 that SHA256SUMS gives a file, or nothing.
sum_for() {
  awk -v f="$1" '$2 == f || $2 == "*" f { print $1; exit }' "$TMP/SHA256SUMS"
}

# Downloads an asset into $TMP and checks it against SHA256SUMS, or dies.
fetch_verified() {
  expected=$(sum_for "$1")
  [ -n "$expected" ] || die "SHA256SUMS has no line for $1: nothing installed"
  download "$BASE_URL/$1" "$TMP/$1"
  actual=$(sha256_of "$TMP/$1")
  [ "$actual" = "$expected" ] ||
    die "checksum mismatch for $1 (expected $expected, got $actual): nothing installed"
  say "Verified $1 ($actual)"
}

# Copies a verified download into place with MODE, then renames it, so a
# running exporter (or a Prometheus reading the rules) never sees half a file.
place() {
  mkdir -p "$(dirname "$2")"
  cp "$TMP/$1" "$2.new"
  chmod "$3" "$2.new"
  mv -f "$2.new" "$2"
  say "Installed $2"
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

  extras=
  if [ "$DRY_RUN" = 1 ]; then
    say "would download: $BASE_URL/$ASSET"
    say "would download: $BASE_URL/SHA256SUMS"
    say "would verify the SHA-256 of $ASSET"
    for x in $EXTRAS; do say "would download and verify: $BASE_URL/$x (if SHA256SUMS lists it)"; done
  else
    TMP=$(mktemp -d 2>/dev/null || mktemp -d -t "$NAME")
    trap 'rm -rf "$TMP"' EXIT
    trap 'exit 130' INT TERM
    download "$BASE_URL/SHA256SUMS" "$TMP/SHA256SUMS"
    download "$BASE_URL/$ASSET" "$TMP/$ASSET"
    expected=$(sum_for "$ASSET")
    [ -n "$expected" ] || die "SHA256SUMS has no line for $ASSET: nothing installed"
    actual=$(sha256_of "$TMP/$ASSET")
    [ "$actual" = "$expected" ] ||
      die "checksum mismatch for $ASSET (expected $expected, got $actual): nothing installed"
    say "Verified $ASSET ($actual)"
    for x in $EXTRAS; do
      if [ -n "$(sum_for "$x")" ]; then
        fetch_verified "$x"
        extras="$extras $x"
      else
        say "This release has no $x: skipped"
      fi
    done
  fi

  if [ "$DRY_RUN" = 1 ]; then
    say "would install: $DESTDIR$BIN_PATH (mode 0755)"
    for x in $EXTRAS; do say "would install: $DESTDIR$SHARE_DIR/$x (mode 0644)"; done
  else
    mkdir -p "$DESTDIR$PREFIX/bin"
    place "$ASSET" "$DESTDIR$BIN_PATH" 0755
    for x in $extras; do place "$x" "$DESTDIR$SHARE_DIR/$x" 0644; done
  fi

  if [ -e "$DESTDIR$CONFIG_PATH" ]; then
    say "Kept the existing $DESTDIR$CONFIG_PATH"
  else
    run mkdir -p "$DESTDIR$CONFIG_DIR"
    config_file | write_file "$DESTDIR$CONFIG_PATH"
    run chmod 0644 "$DESTDIR$CONFIG_PATH"
    if [ "$DRY_RUN" = 0 ]; then
      say "Wrote $DESTDIR$CONFIG_PATH"
      grep -q '^  - kind:' "$DESTDIR$CONFIG_PATH" ||
        say "install.sh: warning: none of the default locations exists here: add a source to $CONFIG_PATH (the exporter does not start without one)"
    fi
  fi

  if want_unit; then
    run mkdir -p "$DESTDIR/etc/systemd/system"
    unit_file | write_file "$DESTDIR$UNIT_PATH"
    run chmod 0644 "$DESTDIR$UNIT_PATH"
    [ "$DRY_RUN" = 1 ] || say "Wrote $DESTDIR$UNIT_PATH"
    if ensure_group; then grant_certbot; fi
    if use_systemctl; then
      run systemctl daemon-reload
      run systemctl enable "$NAME.service"
      run systemctl restart "$NAME.service"
      [ "$DRY_RUN" = 1 ] || say "Started $NAME.service: metrics on http://localhost:9793/metrics"
    fi
  else
    say "No systemd here: run $BIN_PATH --config $CONFIG_PATH under your service manager"
  fi
  case $extras in
    *rules.yml*) say "Alert rules: $SHARE_DIR/$NAME-rules.yml (add it to rule_files: in prometheus.yml)" ;;
  esac
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
  for f in "$BIN_PATH" "$SHARE_DIR/$NAME-rules.yml" "$SHARE_DIR/$NAME-dashboard.json"; do
    if [ -e "$DESTDIR$f" ]; then
      run rm -f "$DESTDIR$f"
      [ "$DRY_RUN" = 1 ] || say "Removed $DESTDIR$f"
    fi
  done
  if [ -d "$DESTDIR$SHARE_DIR" ]; then run rmdir "$DESTDIR$SHARE_DIR" 2>/dev/null || true; fi
  if [ "$PURGE" = 1 ] && [ -e "$DESTDIR$CONFIG_DIR" ]; then
    run rm -rf "$DESTDIR$CONFIG_DIR"
    [ "$DRY_RUN" = 1 ] || say "Removed $DESTDIR$CONFIG_DIR"
  elif [ -e "$DESTDIR$CONFIG_PATH" ]; then
    say "Kept $DESTDIR$CONFIG_PATH (remove it with --uninstall --purge)"
  fi
  if [ "$PURGE" = 1 ]; then
    revoke_certbot
    if [ -z "$DESTDIR" ] && group_exists "$GROUP" && command -v groupdel >/dev/null 2>&1; then
      run groupdel "$GROUP"
      [ "$DRY_RUN" = 1 ] || say "Removed group $GROUP"
    fi
  fi
}

case $ACTION in
  install) do_install ;;
  uninstall) do_uninstall ;;
esac
