#!/usr/bin/env bash
# Tools the deployment tests need, installed only when missing (idempotent, seconds when present):
#   - promtool and prometheus: Debian's `prometheus` package (its system service is left stopped:
#     the tests start their own Prometheus on a free port);
#   - kustomize: built from source with the machine's Go into $STACK_DIR/bin, pinned.
# Schema validation uses the Python package kubernetes-validate (a dev dependency, schemas offline).
#
#   deploy/local/tools.sh            install what is missing
#   deploy/local/tools.sh check      exit 1 unless every tool is present
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
STACK_DIR=${STACK_DIR:-$ROOT/.stack}
KUSTOMIZE_VERSION=${KUSTOMIZE_VERSION:-v5.7.1}
BIN=$STACK_DIR/bin

log() { printf '[tools] %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

install_prometheus() {
  if have promtool && have prometheus; then return 0; fi
  log "installing Debian's prometheus package (promtool included)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  stop_system_prometheus
}

stop_system_prometheus() {
  # Debian enables and starts the package's service; the tests want none running in the
  # background (it would scrape nothing useful and hold port 9090).
  if have systemctl && [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus >/dev/null 2>&1 || true
  elif [ -x /etc/init.d/prometheus ]; then
    /etc/init.d/prometheus stop >/dev/null 2>&1 || true
    have update-rc.d && update-rc.d prometheus disable >/dev/null 2>&1 || true
  fi
}

install_kustomize() {
  local stamp=$BIN/.kustomize-$KUSTOMIZE_VERSION
  if [ -x "$BIN/kustomize" ] && [ -f "$stamp" ]; then return 0; fi
  have go || { log "error: Go is needed to build kustomize"; exit 1; }
  log "building kustomize $KUSTOMIZE_VERSION into $BIN"
  mkdir -p "$BIN"
  GOBIN=$BIN GOFLAGS=-mod=mod go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
  rm -f "$BIN"/.kustomize-* && touch "$stamp"
}

check() {
  local missing=0
  have promtool || { log "missing: promtool"; missing=1; }
  have prometheus || { log "missing: prometheus"; missing=1; }
  [ -x "$BIN/kustomize" ] || { log "missing: $BIN/kustomize"; missing=1; }
  return $missing
}

case "${1:-install}" in
  install) install_prometheus; install_kustomize ;;
  check) check ;;
  *) echo "usage: $0 [install|check]" >&2; exit 2 ;;
esac
