#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on localhost for the test suite.
# Started when installed but stopped; installed from Debian's packages when missing and we are root;
# otherwise a clear message saying what is missing and how to get it.
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_PORT=6379
is_root() { [ "$(id -u)" -eq 0 ]; }
log() { echo "[services] $*"; }

pg_answers() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; }
redis_answers() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

apt_install() {
  log "installing $* from Debian's packages"
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

start_postgres() {
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  if [ -z "$version" ]; then
    if command -v pg_createcluster >/dev/null; then
      version=$(ls /usr/lib/postgresql | sort -V | tail -1)
      pg_createcluster "$version" main >/dev/null
    else
      return 1
    fi
  fi
  log "starting PostgreSQL $version"
  if is_root; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  else
    pg_ctlcluster "$version" main start || true
  fi
  for _ in $(seq 1 30); do pg_answers && return 0; sleep 1; done
  return 1
}

ensure_postgres() {
  if pg_answers; then return 0; fi
  if command -v pg_ctlcluster >/dev/null && [ -d /usr/lib/postgresql ]; then
    start_postgres && return 0
  fi
  if is_root; then
    apt_install postgresql postgresql-contrib
    start_postgres && return 0
  fi
  echo "PostgreSQL is not answering on $PG_HOST:$PG_PORT and is not installed." >&2
  echo "Install it (sudo apt-get install postgresql) and start it, or run 'make test' as root to do both." >&2
  exit 1
}

ensure_postgres_login() {
  # Tests connect as postgres/postgres over TCP. Trust auth accepts it as is; otherwise set that password.
  if PGPASSWORD=postgres psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -tAc "select 1" >/dev/null 2>&1; then
    return 0
  fi
  if is_root; then
    log "setting the local postgres role's password for the test suite"
    su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
    return 0
  fi
  echo "Cannot log in to PostgreSQL as postgres/postgres on $PG_HOST:$PG_PORT." >&2
  echo "Set TEST_DATABASE_URL=postgres://USER:PASSWORD@127.0.0.1:5432/shopops (a role that may create databases)." >&2
  exit 1
}

start_redis() {
  log "starting Redis"
  mkdir -p /tmp/shopops-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /tmp/shopops-redis --logfile /tmp/shopops-redis/redis.log
  for _ in $(seq 1 20); do redis_answers && return 0; sleep 0.5; done
  return 1
}

ensure_redis() {
  if redis_answers; then return 0; fi
  if command -v redis-server >/dev/null; then start_redis && return 0; fi
  if is_root; then
    apt_install redis-server
    start_redis && return 0
  fi
  echo "Redis is not answering on 127.0.0.1:$REDIS_PORT and is not installed." >&2
  echo "Install it (sudo apt-get install redis-server) and start it, or run 'make test' as root to do both." >&2
  exit 1
}

if ! command -v pg_isready >/dev/null || ! command -v redis-cli >/dev/null; then
  if is_root; then
    apt_install postgresql-client redis-tools
  else
    echo "pg_isready/redis-cli missing: sudo apt-get install postgresql-client redis-tools" >&2
    exit 1
  fi
fi
ensure_postgres
ensure_postgres_login
ensure_redis
log "PostgreSQL and Redis answer on localhost"
