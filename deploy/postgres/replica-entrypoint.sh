#!/usr/bin/env bash
# Entrypoint of the streaming replica (official postgres image).
#
# On the first start (empty data volume) it clones the primary with
# pg_basebackup -R: that writes standby.signal and primary_conninfo, so the
# server then starts as a hot standby that streams WAL from the primary
# through the replication slot. On later starts the data directory is kept
# as it is (including after a promotion: a promoted replica is not re-cloned).
# Then it hands over to the image's own entrypoint.
#
# Env: PRIMARY_HOST (default postgres), PRIMARY_PORT (5432),
#      POSTGRES_REPLICATION_USER (replicator), POSTGRES_REPLICATION_PASSWORD
#      (required), POSTGRES_REPLICATION_SLOT (replica_1).
set -Eeuo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
: "${PRIMARY_HOST:=postgres}"
: "${PRIMARY_PORT:=5432}"
: "${POSTGRES_REPLICATION_USER:=replicator}"
: "${POSTGRES_REPLICATION_SLOT:=replica_1}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_REPLICATION_PASSWORD:-}" ]; then
        echo >&2 "replica: POSTGRES_REPLICATION_PASSWORD is empty; set it in .env"
        exit 1
    fi
    echo "replica: $PGDATA is empty; waiting for the primary ${PRIMARY_HOST}:${PRIMARY_PORT}"
    until pg_isready --quiet --host="$PRIMARY_HOST" --port="$PRIMARY_PORT"; do
        sleep 2
    done

    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 0700 "$PGDATA"

    echo "replica: cloning the primary with pg_basebackup (slot ${POSTGRES_REPLICATION_SLOT})"
    # On failure pg_basebackup removes what it wrote, so a restart retries
    # from scratch.
    PGPASSWORD="$POSTGRES_REPLICATION_PASSWORD" gosu postgres pg_basebackup \
        --host="$PRIMARY_HOST" --port="$PRIMARY_PORT" \
        --username="$POSTGRES_REPLICATION_USER" --no-password \
        --pgdata="$PGDATA" \
        --wal-method=stream \
        --slot="$POSTGRES_REPLICATION_SLOT" \
        --write-recovery-conf \
        --checkpoint=fast \
        --progress
    echo "replica: base backup done; starting as a hot standby"
fi

exec docker-entrypoint.sh "$@"
