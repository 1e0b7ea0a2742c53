#!/usr/bin/env bash
# Local stack without Docker: Apache Kafka (KRaft, one combined broker+controller, jars from Maven
# Central run with the machine's Java) and a PostgreSQL cluster of the project's own (Debian's
# package). Idempotent: `up` starts only what is not already serving, and health-checks each part.
#
#   deploy/local/stack.sh install | up | down | status | kafka-classpath
#
# Settings (environment): STACK_DIR (default <repo>/.stack), KAFKA_PORT (9092),
# KAFKA_CONTROLLER_PORT (9093), KAFKA_LIBS (<STACK_DIR>/kafka/libs), KAFKA_HEAP (1G), PG_PORT (55432),
# PG_USER/PG_PASSWORD (dunghan).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
STACK_DIR=${STACK_DIR:-$ROOT/.stack}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_HEAP=${KAFKA_HEAP:-1G}
PG_PORT=${PG_PORT:-55432}
PG_USER=${PG_USER:-dunghan}
PG_PASSWORD=${PG_PASSWORD:-dunghan}
PG_DATABASES=${PG_DATABASES:-"dunghan_ingest dunghan_sla dunghan_sync_audit dunghan_notify"}

KAFKA_HOME=$STACK_DIR/kafka
# The jars may live elsewhere than the data: a second stack (other STACK_DIR) reuses the installed ones.
KAFKA_LIBS=${KAFKA_LIBS:-$KAFKA_HOME/libs}
PG_HOME=$STACK_DIR/pg
SUDO=""

log() { printf '[stack] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

apt_install() {
  log "installing Debian packages: $*"
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

install_system() {
  local pkgs=()
  have java || pkgs+=(openjdk-17-jre-headless)
  have mvn || pkgs+=(maven)
  pg_bin >/dev/null || pkgs+=(postgresql)
  have pg_isready || pkgs+=(postgresql-client)
  # Liberation Serif 2: the apology letters' embedded serif (Times-compatible; 1.x lacks Vietnamese).
  [ -f /usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf ] || pkgs+=(fonts-liberation2)
  # WeasyPrint renders the letters with Pango; pdftoppm and pdftotext (poppler) check them in tests.
  ldconfig -p | grep -q libpangoft2-1.0 || pkgs+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
  have pdftoppm || pkgs+=(poppler-utils)
  # Headless Chromium: a test renders each service's /docs (Swagger UI) with the network off.
  have chromium || pkgs+=(chromium)
  # openssl: a test makes the certificates of a private SASL_SSL broker (production's Kafka path).
  have openssl || pkgs+=(openssl)
  # gcc: make install compiles ingest's portal-format parser and translator (mypyc).
  have gcc || pkgs+=(gcc libc6-dev)
  [ ${#pkgs[@]} -eq 0 ] || apt_install "${pkgs[@]}"
}

install_kafka() {
  local stamp=$KAFKA_LIBS/.resolved pom=$ROOT/deploy/local/kafka/pom.xml
  if [ -f "$stamp" ] && [ "$stamp" -nt "$pom" ]; then return 0; fi
  log "resolving Kafka jars from Maven Central"
  rm -rf "$KAFKA_LIBS"
  mvn -q -B -f "$pom" dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA_LIBS" -DincludeScope=runtime >&2
  touch "$stamp"
}

kafka_classpath() { echo "$KAFKA_LIBS/*"; }

kafka_java() {
  # Runs a Kafka main class with the resolved jars; tools log warnings to stderr only.
  java -Xmx256m -Dlog4j.configuration="file:$ROOT/deploy/local/kafka/tools-log4j.properties" \
    -cp "$(kafka_classpath)" "$@"
}

kafka_config() {
  mkdir -p "$KAFKA_HOME/data" "$KAFKA_HOME/logs"
  cat > "$KAFKA_HOME/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_HOME/data
num.partitions=6
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=168
log.segment.bytes=268435456
num.network.threads=3
num.io.threads=4
PROPS
}

kafka_ready() {
  (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null || return 1
  kafka_java org.apache.kafka.tools.ClusterTool cluster-id --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
    >/dev/null 2>&1
}

kafka_up() {
  if kafka_ready; then log "kafka already serving on 127.0.0.1:$KAFKA_PORT"; return 0; fi
  kafka_config
  if [ ! -f "$KAFKA_HOME/data/meta.properties" ]; then
    log "formatting Kafka storage (KRaft)"
    kafka_java kafka.tools.StorageTool format -t "$(kafka_java kafka.tools.StorageTool random-uuid)" \
      -c "$KAFKA_HOME/server.properties" --ignore-formatted >&2
  fi
  log "starting Kafka on 127.0.0.1:$KAFKA_PORT"
  nohup java -Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -Dkafka.logs.dir="$KAFKA_HOME/logs" \
    -Dlog4j.configuration="file:$ROOT/deploy/local/kafka/log4j.properties" \
    -cp "$(kafka_classpath)" kafka.Kafka "$KAFKA_HOME/server.properties" \
    >"$KAFKA_HOME/logs/stdout.log" 2>&1 &
  echo $! > "$KAFKA_HOME/kafka.pid"
  local i
  for i in $(seq 1 90); do
    kafka_ready && { log "kafka ready"; return 0; }
    kill -0 "$(cat "$KAFKA_HOME/kafka.pid")" 2>/dev/null || { tail -20 "$KAFKA_HOME/logs/stdout.log" >&2; die "kafka exited"; }
    sleep 1
  done
  die "kafka not ready after 90 s (see $KAFKA_HOME/logs)"
}

kafka_down() {
  local pidf=$KAFKA_HOME/kafka.pid
  [ -f "$pidf" ] || return 0
  local pid; pid=$(cat "$pidf")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping Kafka (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidf"
}

pg_as_owner() {
  # initdb and postgres refuse to run as root: run them as the `postgres` system user then.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

make_traversable() {
  # The postgres user must reach the data directory inside the checkout (e.g. a mktemp -d clone).
  [ "$(id -u)" -eq 0 ] || return 0
  local d=$1
  while [ "$d" != "/" ]; do
    chmod o+x "$d" 2>/dev/null || true
    d=$(dirname "$d")
  done
}

pg_ready() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; }

pg_init() {
  local bin=$1
  [ -f "$PG_HOME/data/PG_VERSION" ] && return 0
  log "creating the PostgreSQL cluster in $PG_HOME/data"
  mkdir -p "$PG_HOME/data" "$PG_HOME/run"
  make_traversable "$PG_HOME"
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$PG_HOME"
  local pwfile; pwfile=$(mktemp); echo "$PG_PASSWORD" > "$pwfile"; chmod 644 "$pwfile"
  pg_as_owner "$bin/initdb" -D "$PG_HOME/data" -U "$PG_USER" --pwfile="$pwfile" \
    -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  cat >> "$PG_HOME/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_HOME/run'
max_connections = 200
shared_buffers = 512MB
synchronous_commit = on
wal_level = replica
max_wal_size = 2GB
autovacuum_naptime = 10s
log_min_messages = warning
CONF
}

pg_up() {
  local bin; bin=$(pg_bin) || die "PostgreSQL binaries not found"
  if pg_ready; then log "postgres already serving on 127.0.0.1:$PG_PORT"; else
    pg_init "$bin"
    make_traversable "$PG_HOME"
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    pg_as_owner "$bin/pg_ctl" -D "$PG_HOME/data" -l "$PG_HOME/postgres.log" -w -t 60 start >/dev/null
  fi
  pg_ready || die "postgres not ready (see $PG_HOME/postgres.log)"
  local db
  for db in $PG_DATABASES; do
    PGPASSWORD=$PG_PASSWORD psql -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 || {
        log "creating database $db"
        PGPASSWORD=$PG_PASSWORD psql -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres \
          -c "CREATE DATABASE $db"
      }
  done
  log "postgres ready"
}

pg_down() {
  local bin; bin=$(pg_bin) || return 0
  [ -f "$PG_HOME/data/postmaster.pid" ] || return 0
  log "stopping PostgreSQL"
  pg_as_owner "$bin/pg_ctl" -D "$PG_HOME/data" -m fast -w stop >/dev/null || true
}

status() {
  if kafka_ready; then echo "kafka     up    127.0.0.1:$KAFKA_PORT"; else echo "kafka     down"; fi
  if pg_ready; then echo "postgres  up    127.0.0.1:$PG_PORT"; else echo "postgres  down"; fi
}

case "${1:-}" in
  install) install_system; install_kafka ;;
  up) install_system; install_kafka; pg_up; kafka_up ;;
  down) kafka_down; pg_down ;;
  kafka-down) kafka_down ;;
  kafka-up) kafka_up ;;
  pg-down) pg_down ;;
  pg-up) pg_up ;;
  status) status ;;
  kafka-java) shift; kafka_java "$@" ;;
  kafka-classpath) kafka_classpath ;;
  *) echo "usage: $0 install|up|down|status|kafka-up|kafka-down|pg-up|pg-down|kafka-java CLASS ARGS" >&2; exit 2 ;;
esac
