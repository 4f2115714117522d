#!/usr/bin/env bash
# Finds a PostgreSQL that answers on 127.0.0.1:5432 as user postgres without a password, or
# installs PostgreSQL from Debian's packages and starts a throwaway cluster on 127.0.0.1:54329.
# Prints the admin URL for the tests (TESSERA_TEST_POSTGRES_URL) on its last line.
set -euo pipefail

apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then
    apt-get update >&2
    export APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >&2
}

command -v psql >/dev/null || apt_install postgresql-client

if psql 'postgres://postgres@127.0.0.1:5432/postgres' -Atc 'select 1' >/dev/null 2>&1; then
  echo "Using the PostgreSQL already running on 127.0.0.1:5432." >&2
  echo 'postgres://postgres@127.0.0.1:5432/postgres'
  exit 0
fi

bin_dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin_dir" ] || [ ! -x "$bin_dir/initdb" ]; then
  apt_install postgresql
  bin_dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

# initdb refuses to run as root, so the cluster belongs to the postgres user.
cluster=$(mktemp -d /tmp/tessera-ci-postgres.XXXXXX)
chown postgres "$cluster"
runuser -u postgres -- "$bin_dir/initdb" -D "$cluster/data" -U postgres --auth=trust >&2
runuser -u postgres -- "$bin_dir/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w \
  -o "-p 54329 -c listen_addresses=127.0.0.1 -k $cluster" start >&2
echo "Started a throwaway PostgreSQL on 127.0.0.1:54329 in $cluster." >&2
echo 'postgres://postgres@127.0.0.1:54329/postgres'
