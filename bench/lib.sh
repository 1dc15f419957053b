# bench/lib.sh — what bench/run.sh and bench/fastpath.sh share; sourced after
# they define q (psql -At -d DB -c SQL).
#
# fresh_db: a new database bench_run from bench_template, for each measured run.
# The old one is renamed, not dropped: dropping a database of 10,000 relations
# just before a run made each file the run creates cost more (the file system
# checks the inodes freed in the last minutes), for every contender, growing
# with N. Also called in subshells: the old name comes from the catalog.
fresh_db() {
    q postgres "DO \$\$ BEGIN
                    IF EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'bench_run') THEN
                        EXECUTE pg_catalog.format('ALTER DATABASE bench_run RENAME TO %I',
                            'bench_old_' || (SELECT count(*) FROM pg_catalog.pg_database));
                    END IF;
                END \$\$"
    q postgres "CREATE DATABASE bench_run TEMPLATE bench_template"
    q postgres "CHECKPOINT"
}
