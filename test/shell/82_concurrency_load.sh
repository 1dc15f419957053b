#!/usr/bin/env bash
# Concurrency under load: 16 pgbench sessions for SCHEMATA_LOAD_SECONDS
# (default 20) apply, plan, read status, migrate and roll back, on one
# shared and four other target schemas: 12 sessions in READ
# COMMITTED, 4 applying in REPEATABLE READ (their 40001 serialization
# failures are retried by pgbench and counted).  Afterwards:
#   - no session saw an error (READ COMMITTED clients never retry), the
#     server log holds no deadlock, no XX000 and no crashed backend;
#   - per schema, history is a prefix 0001..N of the versions, the tables
#     are exactly those of the recorded versions, and the event log written
#     by the migrations themselves shows every migration's up and down
#     strictly alternating (so none ran twice) and ending in "up" exactly
#     for the recorded ones;
#   - then one more apply per schema converges: every schema ends with all
#     versions, each recorded once, its tables exactly those, and every
#     migration's events still alternate and end in "up".
set -euo pipefail
source "$(dirname "$0")/../lib/shell.sh"

SECONDS_RUN=${SCHEMATA_LOAD_SECONDS:-20}
COUNT=30 DB=concurrency_load
work=$SCHEMATA_TMP/concurrency_load
dir=$work/migrations
rm -rf "$work"
mkdir -p "$dir"
trap 'rm -rf "$work"' EXIT
for i in $(seq 1 $COUNT); do
    v=$(printf '%04d' "$i")
    cat >"$dir/${v}_m.sql" <<EOF
-- migrate:up
CREATE TABLE t$v (id int PRIMARY KEY);
INSERT INTO t$v SELECT generate_series(1, 20);
INSERT INTO public.events (target, version, op) VALUES (current_schema(), '$v', 'up');
-- migrate:down
DROP TABLE t$v;
INSERT INTO public.events (target, version, op) VALUES (current_schema(), '$v', 'down');
EOF
done

fresh_db "$DB"
q -d "$DB" -c "CREATE TABLE public.events (seq bigserial PRIMARY KEY, target name, version text, op text)" \
           -c "ALTER DATABASE $DB SET log_error_verbosity = verbose" \
           -c "ALTER DATABASE $DB SET client_min_messages = warning"
# other sessions may have rolled back migrations since: not an error here
q -d "$DB" -c "
    CREATE FUNCTION public.rollback_some(target name, steps int) RETURNS bigint LANGUAGE plpgsql AS \$\$
    BEGIN
        RETURN (SELECT count(*) FROM schemata.rollback(target, steps => steps));
    EXCEPTION WHEN object_not_in_prerequisite_state OR invalid_parameter_value THEN
        IF SQLERRM LIKE '%has no applied migrations to roll back'
           OR SQLERRM LIKE 'steps is %, but schema % has only % applied migration%' THEN
            RETURN 0;
        END IF;
        RAISE;
    END \$\$"

# pgbench scripts; :t picks one of the other schemas
s=$work/scripts
mkdir -p "$s"
echo "SELECT count(*) FROM schemata.apply('$dir', 'load_shared');" >"$s/apply_shared.sql"
printf '\\set t random(0, 3)\nSELECT count(*) FROM schemata.apply('"'$dir'"', ('"'load_'"' || :t)::name);\n' >"$s/apply_other.sql"
printf '\\set t random(0, 3)\n\\set v random(1, %d)\nSELECT count(*) FROM schemata.apply('"'$dir'"', ('"'load_'"' || :t)::name, lpad(:v::text, 4, '"'0'"'));\n' $COUNT >"$s/apply_to.sql"
printf '\\set t random(0, 3)\nSELECT count(*) FROM schemata.status('"'$dir'"', ('"'load_'"' || :t)::name);\nSELECT count(*) FROM schemata.status('"'$dir'"', '"'load_shared'"');\nSELECT schemata.version('"'load_shared'"');\n' >"$s/status.sql"
printf '\\set t random(0, 3)\nSELECT count(*) FROM schemata.plan('"'$dir'"', ('"'load_'"' || :t)::name);\n' >"$s/plan.sql"
printf '\\set t random(0, 3)\n\\set n random(1, 3)\nSELECT rollback_some(('"'load_'"' || :t)::name, :n);\n' >"$s/rollback.sql"
echo "SELECT rollback_some('load_shared', 2);" >"$s/rollback_shared.sql"
printf 'BEGIN ISOLATION LEVEL REPEATABLE READ;\n\\set t random(0, 3)\nSELECT count(*) FROM schemata.apply('"'$dir'"', ('"'load_'"' || :t)::name);\nSELECT count(*) FROM schemata.apply('"'$dir'"', '"'load_shared'"');\nCOMMIT;\n' >"$s/apply_rr.sql"
printf '\\set t random(0, 3)\nCALL schemata.migrate('"'$dir'"', ('"'load_'"' || :t)::name);\n' >"$s/migrate_other.sql"
echo "CALL schemata.migrate('$dir', 'load_shared');" >"$s/migrate_shared.sql"
chmod -R a+rX "$work"

rc_scripts=(-f "$s/apply_shared.sql@3" -f "$s/apply_other.sql@3" -f "$s/apply_to.sql@3" -f "$s/status.sql@3" -f "$s/plan.sql@1"
            -f "$s/rollback.sql@3" -f "$s/rollback_shared.sql@1" -f "$s/migrate_other.sql@2" -f "$s/migrate_shared.sql@1")

log=$SCHEMATA_WORK/server.log
log_from=$(($(stat -L -c %s "$log") + 1))
echo "16 sessions for ${SECONDS_RUN}s"
rc_rc=0 rr_rc=0
"$SCHEMATA_PGBIN/pgbench" -n -c 12 -j 2 -T "$SECONDS_RUN" "${rc_scripts[@]}" "$DB" >"$work/rc.out" 2>&1 &
rc_pid=$!
"$SCHEMATA_PGBIN/pgbench" -n -c 4 -j 1 -T "$SECONDS_RUN" --max-tries=1000 --failures-detailed \
    -f "$s/apply_rr.sql" "$DB" >"$work/rr.out" 2>&1 &
rr_pid=$!
wait "$rc_pid" || rc_rc=$?
wait "$rr_pid" || rr_rc=$?
tail -c +"$log_from" "$log" >"$work/server.log"

figure() {   # figure FILE PATTERN: the first number after PATTERN in FILE
    sed -nE "s/^$2[^0-9]*([0-9]+).*/\1/p" "$1" | head -n 1
}
echo "==== figures: concurrency_load ===="
echo "READ COMMITTED:  $(figure "$work/rc.out" 'number of transactions actually processed') transactions, $(figure "$work/rc.out" 'number of failed transactions') failed"
echo "REPEATABLE READ: $(figure "$work/rr.out" 'number of transactions actually processed') transactions, $(figure "$work/rr.out" 'number of transactions retried') retried (40001), $(figure "$work/rr.out" 'number of failed transactions') failed"
echo "server log errors by SQLSTATE: $(sed -nE 's/.*(ERROR|FATAL|PANIC): +([0-9A-Z]{5}):.*/\2/p' "$work/server.log" | sort | uniq -c | awk '{printf "%s%s %s", sep, $2, $1; sep = ", "}')"
echo "migrations applied: $(q -d "$DB" -c "SELECT count(*) FROM events WHERE op = 'up'"), rolled back: $(q -d "$DB" -c "SELECT count(*) FROM events WHERE op = 'down'")"

mkdir -p "$SCHEMATA_TMP/reliability"
cat >"$SCHEMATA_TMP/reliability/concurrency_load.figures" <<EOF
sessions 16
seconds $SECONDS_RUN
transactions $(( $(figure "$work/rc.out" 'number of transactions actually processed') + $(figure "$work/rr.out" 'number of transactions actually processed') ))
retried_40001 $(figure "$work/rr.out" 'number of transactions retried')
failed $(( $(figure "$work/rc.out" 'number of failed transactions') + $(figure "$work/rr.out" 'number of failed transactions') ))
deadlocks $(grep -cE 'deadlock detected|: +40P01:' "$work/server.log" || true)
internal_errors $(grep -cE ': +XX000:' "$work/server.log" || true)
migrations_applied $(q -d "$DB" -c "SELECT count(*) FROM events WHERE op = 'up'")
migrations_rolled_back $(q -d "$DB" -c "SELECT count(*) FROM events WHERE op = 'down'")
EOF

if (( rc_rc != 0 || rr_rc != 0 )); then
    grep -E 'error|abort|ERROR' "$work/rc.out" "$work/rr.out" | head -n 20 >&2 || true
    fail "pgbench reported errors (exit $rc_rc and $rr_rc)"
fi
echo "ok: no session saw an error"
expect_eq "$(figure "$work/rc.out" 'number of failed transactions')" 0 "no failed transaction in READ COMMITTED"
expect_eq "$(figure "$work/rr.out" 'number of failed transactions')" 0 "no failed transaction in REPEATABLE READ after retries"
expect_eq "$(grep -cE 'deadlock detected|: +40P01:' "$work/server.log" || true)" 0 "no deadlock"
expect_eq "$(grep -cE ': +XX000:' "$work/server.log" || true)" 0 "no internal error"
expect_eq "$(grep -cE 'terminated by signal' "$work/server.log" || true)" 0 "no crashed backend"
expect_eq "$(grep -vE ': +40001:' "$work/server.log" | grep -cE '(ERROR|FATAL|PANIC): ' || true)" 0 \
          "no error in the server log other than retried serialization failures"
expect_eq "$(q -d "$DB" -c "SELECT count(*) > 0 FROM events WHERE op = 'up' AND target = 'load_shared'")" t \
          "the shared schema got migrations"
expect_eq "$(q -d "$DB" -c "SELECT count(*) > 0 FROM events WHERE op = 'down'")" t "some migrations were rolled back"

# per schema: history is a prefix 0001..N and the tables are those of history
consistent() {
    local when=$1
    expect_eq "$(q -d "$DB" -c "
        SELECT string_agg(target_schema || ': ' || versions, '; ' ORDER BY target_schema)
          FROM (SELECT target_schema, count(*) AS n, max(version::int) AS top,
                       string_agg(version, ',' ORDER BY version) AS versions
                  FROM schemata.migrations GROUP BY target_schema) h
         WHERE n <> top")" "" "$when: history of every schema is a prefix 0001..N"
    expect_eq "$(q -d "$DB" -c "
        SELECT count(*) FROM (
            SELECT n.nspname AS target, substr(c.relname, 2) AS version FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname LIKE 'load\_%' AND c.relkind = 'r'
            EXCEPT SELECT target_schema, version FROM schemata.migrations) t")" 0 "$when: no table without its history row"
    expect_eq "$(q -d "$DB" -c "
        SELECT count(*) FROM schemata.migrations m
         WHERE NOT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE n.nspname = m.target_schema AND c.relname = 't' || m.version)")" 0 \
              "$when: no history row without its table"
    # every migration's events alternate up, down, up, ... and end in up exactly when recorded
    expect_eq "$(q -d "$DB" -c "
        WITH e AS (SELECT target, version, op, lag(op) OVER w AS prev, row_number() OVER w AS k,
                          count(*) OVER (PARTITION BY target, version) AS total
                     FROM events WINDOW w AS (PARTITION BY target, version ORDER BY seq))
        SELECT count(*) FROM e
         WHERE op = prev OR (k = 1 AND op <> 'up')
            OR (k = total AND (op = 'up') <> EXISTS (SELECT FROM schemata.migrations m
                                                      WHERE m.target_schema = e.target AND m.version = e.version))")" 0 \
              "$when: no migration applied twice or rolled back twice; the last event matches history"
}
consistent "after the load"

# convergence: one more apply per schema brings each to every version
schemas=(load_0 load_1 load_2 load_3 load_shared)   # in name order
schema_array="{$(IFS=,; echo "${schemas[*]}")}"
for t in "${schemas[@]}"; do
    q -d "$DB" -c "SELECT count(*) FROM schemata.apply('$dir', '$t')" >/dev/null
done
consistent "after one more apply per schema"
expect_eq "$(q -d "$DB" -c "
    SELECT string_agg(t || ': ' || (SELECT count(*) || ' rows, ' || count(DISTINCT version) || ' versions, '
                                           || coalesce(min(version), '-') || '..' || coalesce(max(version), '-')
                                      FROM schemata.migrations WHERE target_schema = t)
                        || ', ' || (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                     WHERE n.nspname = t AND c.relkind = 'r') || ' tables', '; ' ORDER BY t)
      FROM unnest('$schema_array'::name[]) t")" \
    "$(for t in "${schemas[@]}"; do printf '%s: %d rows, %d versions, 0001..%04d, %d tables; ' "$t" $COUNT $COUNT $COUNT $COUNT; done | sed 's/; $//')" \
    "every schema ends with all $COUNT versions, each once, and exactly their tables"
expect_eq "$(q -d "$DB" -c "
    SELECT count(*) FROM (SELECT DISTINCT ON (target, version) op FROM events
                           WHERE target = ANY ('$schema_array'::name[])
                           ORDER BY target, version, seq DESC) last WHERE op = 'up'")" \
    "$(( ${#schemas[@]} * COUNT ))" "every migration's last event is its up"
