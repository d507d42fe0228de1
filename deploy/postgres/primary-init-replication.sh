#!/usr/bin/env bash
# Runs once, on the primary's first start (empty data volume), from
# /docker-entrypoint-initdb.d/ of the official postgres image, as the postgres
# user, while the temporary init server is up.
#
# Creates the streaming-replication role and a physical replication slot for
# the replica, and allows replication connections in pg_hba.conf.
# Env: POSTGRES_REPLICATION_USER (default replicator),
#      POSTGRES_REPLICATION_PASSWORD (required),
#      POSTGRES_REPLICATION_SLOT (default replica_1).
set -Eeo pipefail  # no -u: the image sources this file when it is not executable

: "${POSTGRES_REPLICATION_USER:=replicator}"
: "${POSTGRES_REPLICATION_SLOT:=replica_1}"
if [ -z "${POSTGRES_REPLICATION_PASSWORD:-}" ]; then
    echo >&2 "primary-init-replication: POSTGRES_REPLICATION_PASSWORD is empty; set it in .env"
    exit 1
fi

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v repl_user="$POSTGRES_REPLICATION_USER" \
     -v repl_password="$POSTGRES_REPLICATION_PASSWORD" \
     -v repl_slot="$POSTGRES_REPLICATION_SLOT" <<'SQL'
CREATE ROLE :"repl_user" WITH REPLICATION LOGIN PASSWORD :'repl_password';
SELECT pg_create_physical_replication_slot(:'repl_slot');
SQL

# Replication connections match only lines naming the `replication` database
# ("all" does not cover them). Password (SCRAM) over the compose network.
cat >> "$PGDATA/pg_hba.conf" <<HBA

# streaming replication (added by primary-init-replication.sh)
host    replication     ${POSTGRES_REPLICATION_USER}    all    scram-sha-256
HBA
echo "primary-init-replication: role '${POSTGRES_REPLICATION_USER}' and slot '${POSTGRES_REPLICATION_SLOT}' created"
