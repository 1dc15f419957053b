#!/usr/bin/env bash
# tools/pgindent.sh -- PostgreSQL's layout for our C code, without
# PostgreSQL's source tree.
#
#   tools/pgindent.sh check [FILE...]   list the files pgindent would change,
#                                       with the diff; exit 1 if there is one
#   tools/pgindent.sh indent [FILE...]  rewrite them in place
#   tools/pgindent.sh typedefs          regenerate src/typedefs.list
#
# FILE defaults to src/*.c src/*.h. The make targets indentcheck, indent and
# typedefs call these (run from the top of the tree).
#
# It does what PostgreSQL 15's src/tools/pgindent/pgindent does to a file of
# ours: it runs pg_bsd_indent 2.1.1 (Debian 12: apt-get install
# pg-bsd-indent; PGINDENT names another binary) with the same switches and
# typedefs list, and the text rewrites around it that our code can need:
#   before: a "//" comment on a line of its own becomes "/* */"; a block
#           comment opening with a space and dashes ("/* ---") is marked so
#           that indent leaves it as it is
#   after:  the mark is taken off again; two comments run together get a tab
#           between them; a function's return type on its own line ends in
#           "type *" with a single space
# (pgindent's handling of extern "C" blocks and CATALOG() lines is left out:
# our code has neither.)
#
# The typedefs list is what the compiler knows: each src/*.c is compiled with
# debugging information for every type (-fno-eliminate-unused-debug-types),
# and the names of its DW_TAG_typedef entries are collected, so the list
# holds our typedefs and those of every header we include, PostgreSQL's and
# the C library's (as the buildfarm's lists are made); to these are added the
# names our own sources declare with typedef, also those behind a
# PG_VERSION_NUM guard that this major does not compile. CC and CPPFLAGS come
# from the Makefile (PGXS), so the headers are those of the PG_CONFIG built
# against; the committed list is made against PostgreSQL 15 on Debian 12.
# pgindent's own adjustments follow: "bool" is added, and a few names that
# headers declare but that are common words in code are dropped.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

INDENT=${PGINDENT:-pg_bsd_indent}
INDENT_VERSION=2.1.1
# pgindent's switches for pg_bsd_indent 2.1.x (PostgreSQL 13 to 15).
INDENT_OPTS=(-bad -bap -bbb -bc -bl -cli1 -cp33 -cdb -nce -d0 -di12 -nfc1
             -i4 -l79 -lp -lpl -nip -npro -sac -tpg -ts4)
TYPEDEFS=src/typedefs.list
TMP=$(mktemp -d /tmp/schemata-indent.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

die() {
    echo "pgindent.sh: $*" >&2
    exit 2
}

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

check_indent_binary() {
    command -v "$INDENT" >/dev/null 2>&1 ||
        die "$INDENT not found (apt-get install pg-bsd-indent)"
    "$INDENT" --version 2>&1 | grep -q " $INDENT_VERSION " ||
        die "$INDENT is not version $INDENT_VERSION: $("$INDENT" --version 2>&1 | head -1)"
}

# Typedef names in the DWARF information of an object file.
dwarf_typedefs() {
    objdump --dwarf=info "$1" | awk '
        /\(DW_TAG_/ { in_typedef = /\(DW_TAG_typedef\)/; next }
        in_typedef && /DW_AT_name/ { print $NF; in_typedef = 0 }'
}

# Typedef names our sources declare: "typedef ... Name;" on one line, and
# the "} Name;" closing a typedef'd struct, union or enum.
source_typedefs() {
    perl -ne '
        $in = 1 if /^typedef\s+(struct|union|enum)\b[^;]*$/;
        if ($in && /^\}\s*(\w+)\s*;/) { print "$1\n"; $in = 0; }
        print "$1\n" if /^typedef\b[^;{(]*?(\w+)\s*;/;
        print "$1\n" if /^typedef\b.*\(\s*\*\s*(\w+)\s*\)\s*\(/;
    ' src/*.h src/*.c
}

generate_typedefs() {
    local src
    [[ -n ${CPPFLAGS:-} ]] || die "CPPFLAGS not set: run it as make typedefs"
    for src in src/*.c; do
        # shellcheck disable=SC2086 # CPPFLAGS is a list of flags
        ${CC:-gcc} $CPPFLAGS -I src -g -fno-eliminate-unused-debug-types \
            -c "$src" -o "$TMP/obj.o"
        dwarf_typedefs "$TMP/obj.o"
    done >"$TMP/names"
    source_typedefs >>"$TMP/names"
    {
        grep -vxE 'ANY|FD_SET|U|abs|allocfunc|boolean|date|digit|ilist|interval|iterator|other|pointer|printfunc|reference|string|timestamp|type|wrap' "$TMP/names"
        echo bool
    } | LC_ALL=C sort -u >"$TYPEDEFS"
    echo "$TYPEDEFS: $(wc -l <"$TYPEDEFS") typedef names"
}

protect_comments() {
    perl -pe 's{^([ \t]*)//(.*)$}{$1/* $2 */}; s{/\* +---}{/*---X_X}g'
}

restore_comments() {
    perl -pe 's{/\*---X_X}{/* ---}g; s{\*/(/\*.*\*/)$}{*/\t$1}; s{^([A-Za-z_]\S*)[ \t]+\*$}{$1 *}'
}

# indent_file FILE OUT: FILE as pgindent lays it out, written to OUT.
indent_file() {
    local file=$1 out=$2 errors
    protect_comments <"$file" >"$out.pre"
    errors=$("$INDENT" "${INDENT_OPTS[@]}" "-U$TYPEDEFS" "$out.pre" "$out.ind" 2>&1) || true
    if [[ -n $errors || ! -s $out.ind ]]; then
        echo "pg_bsd_indent failed on $file: $errors" >&2
        return 1
    fi
    restore_comments <"$out.ind" >"$out"
    rm -f "$out.pre" "$out.ind"
}

# run MODE FILE...: MODE check or indent.
run() {
    local mode=$1 file differ=0 failed=0
    shift
    check_indent_binary
    [[ -f $TYPEDEFS ]] || die "$TYPEDEFS missing: run make typedefs"
    (( $# > 0 )) || set -- src/*.c src/*.h
    for file in "$@"; do
        if ! indent_file "$file" "$TMP/out"; then
            failed=$((failed + 1))
            continue
        fi
        cmp -s "$file" "$TMP/out" && continue
        differ=$((differ + 1))
        if [[ $mode == check ]]; then
            diff -u --label "a/$file" --label "b/$file" "$file" "$TMP/out" || true
        else
            cat "$TMP/out" >"$file"
            echo "indented $file"
        fi
    done
    if [[ $mode == check ]]; then
        if (( failed > 0 )); then
            echo "pgindent: $differ of $# files would change, $failed could not be indented"
        else
            echo "pgindent: $differ of $# files would change"
        fi
        (( differ == 0 && failed == 0 ))
    else
        (( failed == 0 ))
    fi
}

case ${1:-} in
    check)    shift; run check "$@" ;;
    indent)   shift; run indent "$@" ;;
    typedefs) generate_typedefs ;;
    -h|--help) usage ;;
    *)        usage >&2; exit 2 ;;
esac
