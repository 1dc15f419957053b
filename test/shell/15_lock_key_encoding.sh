#!/usr/bin/env bash
# The advisory lock key of a target schema is computed from its name in UTF-8
# in every database encoding: doc/locking.md's pg_locks query (which hashes
# convert_to(name, 'UTF8')) finds the lock apply holds in a LATIN1 database
# on a schema whose name is not ASCII, and the same name has the same key in
# a UTF8 database.
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

SCHEMA='façade'
# doc/locking.md's key expression, read from its pg_locks query, for the
# schema named in UTF-8 by psql's client encoding.
KEY_SQL=$(sed -n "s/^ *AND l\.objid = \(.*\);\$/\1/p" "$SCHEMATA_SRC/doc/locking.md" | head -n 1)
[[ $KEY_SQL == *"convert_to('public', 'UTF8')"* ]] ||
    fail "doc/locking.md: no pg_locks query with the key of schema public found"
KEY_SQL=${KEY_SQL//\'public\'/\'$SCHEMA\'}

# held_lock DB: apply in an open transaction, then count the session's own
# advisory lock rows that the documented query matches.
held_lock() {
    PGCLIENTENCODING=UTF8 q -d "$1" \
        -c "SET client_min_messages = warning" \
        -c "BEGIN" \
        -c "SELECT count(*) FROM schemata.apply('$SCHEMATA_FIXTURES/basic', target_schema => '$SCHEMA')" \
        -c "SELECT count(*) FROM pg_locks l
             WHERE l.locktype = 'advisory' AND l.classid = 1396919617 AND l.objsubid = 2
               AND l.pid = pg_backend_pid() AND l.objid = $KEY_SQL" \
        -c "ROLLBACK" | tail -n 1
}

PGOPTIONS="-c client_min_messages=warning" "$SCHEMATA_PGBIN/dropdb" --if-exists key_latin1
"$SCHEMATA_PGBIN/createdb" --template=template0 --encoding=LATIN1 --locale=C key_latin1
q -d key_latin1 -c "CREATE EXTENSION schemata"
expect_eq "$(q -d key_latin1 -c 'SHOW server_encoding')" "LATIN1" "the database is LATIN1"
expect_eq "$(held_lock key_latin1)" "1" "LATIN1 database: doc/locking.md's query finds apply's lock on \"$SCHEMA\""

fresh_db key_utf8
expect_eq "$(held_lock key_utf8)" "1" "UTF8 database: the same query finds the lock"

"$SCHEMATA_PGBIN/dropdb" key_latin1
"$SCHEMATA_PGBIN/dropdb" key_utf8
