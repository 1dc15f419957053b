#!/usr/bin/env python3
"""test/reliability/fuzz_dirs.py -- randomized migration directories.

Builds directories from mutations of the fixture directories (test/fixtures/*)
and calls status, plan, apply, migrate, repair, rollback, baseline and
version on each (see CALLS), with random arguments and settings.  Every call
must succeed or fail with a SQLSTATE other than XX000; a failed call must
leave catalog and history as they were, except that a failed migrate keeps
what it committed, which must be exactly what apply up to its last recorded
version makes of the same start; a successful apply or migrate must record
exactly the migrations plan() listed as pending; no call may leave the
caller's settings changed, and the server must stay up.  Prints the figures
(common.Driver.report); exits 1 when a property failed.

Deterministic for a given seed.  Knobs (environment):
    SCHEMATA_FUZZ_SEED    seed (default 1)
    SCHEMATA_FUZZ_INPUTS  directories to try (default 2000; 1000 in the
                          sanitized pass: common.input_count)
"""

import os
import random
import shutil
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Driver, call_sql, input_count, sql_literal, top_level_call, try_call  # noqa: E402

NAME_MAX = 255

# ---------------------------------------------------------------- names

ODD_STEMS = [
    "0042_naïve_ünïcödé", "0042_日本語の移行", "0042 with  spaces", "0042_" + "l" * (NAME_MAX - 9),
    "0042", "42", "00000000000000000000042_zeros", "9" * 40 + "_huge", "2024-13-45_bad_date",
    "19_short_date", "20240115093000_x", "2024-01-15-093000_x", "0042_x.sql", "0042_x.up",
    "0042_x.down", "0042_x.up.sql.down", "-0042_dash", "_0042_underscore", "0042_quote'\"",
    "0042_back\\slash", "0042_percent%s%d", "0042_new\nline", "0042_tab\there", "0042_x.SQL",
    "0042_\u200b_zero_width", "0042_\U0001F600_emoji", "0042_a..b", "0042__x", "0042-", "0042.",
    "0001", "001_dup", "1_dup",
]


def odd_name(rng, suffix):
    stem = rng.choice(ODD_STEMS)
    name = stem + suffix
    while len(name.encode()) > NAME_MAX:
        stem = stem[:-1]
        name = stem + suffix
    return name


# ---------------------------------------------------------------- contents

STRAY_STATEMENTS = [
    "BEGIN;", "COMMIT;", "ROLLBACK;", "END;", "ABORT;", "START TRANSACTION ISOLATION LEVEL SERIALIZABLE;",
    "SAVEPOINT s;", "RELEASE SAVEPOINT s;", "ROLLBACK TO SAVEPOINT s;", "COMMIT AND CHAIN;",
    "PREPARE TRANSACTION 'fuzz';", "COMMIT PREPARED 'fuzz';", "SET TRANSACTION READ ONLY;",
    "CREATE INDEX CONCURRENTLY fuzz_idx ON fuzz_t (a);", "DROP INDEX CONCURRENTLY fuzz_idx;",
    "REINDEX TABLE CONCURRENTLY fuzz_t;", "VACUUM;", "VACUUM FULL fuzz_t;", "CREATE DATABASE fuzz;",
    "ALTER SYSTEM SET work_mem = '1MB';", "CLUSTER;", "CHECKPOINT;", "DISCARD ALL;", "LISTEN fuzz;",
    "COPY fuzz_t FROM STDIN;", "COPY fuzz_t TO STDOUT;", "\\i /etc/passwd", "\\set x 1", "\\gset",
    "SET search_path = pg_catalog;", "SET LOCAL search_path = nowhere;", "RESET ALL;",
    "SET SESSION AUTHORIZATION DEFAULT;", "SET ROLE NONE;", "SELECT set_config('work_mem', '1MB', false);",
    "CREATE TEMP TABLE fuzz_tmp (a int);", "DO $$ BEGIN RAISE EXCEPTION 'fuzz'; END $$;",
    "SELECT 1/0;", "CREATE TABLE fuzz_t (a int);", "CREATE TABLE fuzz_t (a int);",
    "DROP SCHEMA schemata CASCADE;", "DELETE FROM schemata.migrations;",
    "ALTER TYPE fuzz_e ADD VALUE 'x';", "CREATE TYPE fuzz_e AS ENUM ('a');",
    "-- migrate:up", "-- migrate:down", "--migrate:UP", "-- migrate:sideways",
    ";", ";;;", "", "SELECT " + "(" * 20000 + "1" + ")" * 20000 + ";",
    "SELECT 1 " * 2000 + ";", "\ufeffSELECT 1;",
]

# Text that leaves a construct open when the file ends right after it.
UNTERMINATED = [
    "DO $$ BEGIN RAISE NOTICE 'cut", "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1",
    "SELECT $a$ inner $b$ not closed $b$", "/* a comment that never ends", "/* nested /* comment */",
    "SELECT 'unterminated literal", "SELECT E'escape \\", 'SELECT "unterminated identifier',
    "SELECT U&'\\", "SELECT $1", "COPY x FROM STDIN;\n1\t2\n", "SELECT B'1", "SELECT X'",
]


def script_files(d):
    """Regular files ending in .sql under d (not following links)."""
    found = []
    for root, dirs, files in os.walk(d):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            if f.endswith(".sql") and os.path.isfile(p) and not os.path.islink(p):
                found.append(p)
    return found


def any_script(rng, d):
    files = script_files(d)
    if files:
        return rng.choice(files)
    p = os.path.join(d, "0001_new.sql")
    with open(p, "w") as f:
        f.write("CREATE TABLE t_new (a int);\n")
    return p


def read(p):
    with open(p, "rb") as f:
        return f.read()


def write(p, data):
    with open(p, "wb") as f:
        f.write(data)


def at_line_boundary(rng, data):
    lines = data.split(b"\n")
    return rng.randrange(len(lines) + 1), lines


# ---------------------------------------------------------------- mutations
# Each takes (rng, directory), changes the directory, returns what it did.

def m_odd_name(rng, d):
    p = any_script(rng, d)
    suffix = rng.choice([".sql", ".sql", ".up.sql", ".down.sql", ".sql.sql", ""])
    new = os.path.join(os.path.dirname(p), odd_name(rng, suffix))
    os.rename(p, new)
    return "rename %s -> %r" % (os.path.relpath(p, d), os.path.basename(new))


def m_random_bytes(rng, d):
    p = any_script(rng, d)
    write(p, bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000))))
    return "random bytes in " + os.path.relpath(p, d)


def m_splice_bytes(rng, d):
    p = any_script(rng, d)
    data = bytearray(read(p))
    for _ in range(rng.randrange(1, 8)):
        pos = rng.randrange(len(data) + 1)
        data[pos:pos] = bytes([rng.choice([0, 0x80, 0xc3, 0xe2, 0xf0, 0xff, 0x27, 0x24, 0x3b, 0x5c, 0x0d])])
    write(p, bytes(data))
    return "odd bytes spliced into " + os.path.relpath(p, d)


def m_truncated_utf8(rng, d):
    p = any_script(rng, d)
    data = read(p)
    char = rng.choice(["é", "€", "😀", "日"]).encode()
    cut = char[:rng.randrange(1, len(char))]
    pos = rng.choice([len(data), rng.randrange(len(data) + 1)])
    write(p, data[:pos] + cut + data[pos:])
    return "truncated UTF-8 sequence in " + os.path.relpath(p, d)


def m_nul(rng, d):
    p = any_script(rng, d)
    data = read(p)
    pos = rng.randrange(len(data) + 1)
    write(p, data[:pos] + b"\0" + data[pos:])
    return "NUL byte in " + os.path.relpath(p, d)


def m_empty(rng, d):
    p = any_script(rng, d)
    write(p, rng.choice([b"", b"\n", b"   \n\t", b"-- only a comment\n", b"\xef\xbb\xbf", b";"]))
    return "empty file " + os.path.relpath(p, d)


def m_cut(rng, d):
    p = any_script(rng, d)
    data = read(p)
    write(p, data[:rng.randrange(len(data) + 1)])
    return "cut " + os.path.relpath(p, d)


def m_unterminated(rng, d):
    p = any_script(rng, d)
    data = read(p)
    pos, lines = at_line_boundary(rng, data)
    write(p, b"\n".join(lines[:pos]) + b"\n" + rng.choice(UNTERMINATED).encode())
    return "unterminated construct at end of " + os.path.relpath(p, d)


def m_stray_statement(rng, d):
    p = any_script(rng, d)
    stmt = rng.choice(STRAY_STATEMENTS)
    pos, lines = at_line_boundary(rng, read(p))
    lines.insert(pos, stmt.encode())
    write(p, b"\n".join(lines))
    return "stray %r in %s" % (stmt[:40], os.path.relpath(p, d))


# Statements that parse, pass every check and fail when they run.
FAILING_AT_RUN_TIME = [
    "SELECT 1/0;", "DO $$ BEGIN RAISE EXCEPTION 'fails late'; END $$;", "SELECT * FROM no_such_table;",
    "CREATE TABLE fail_twice (a int); CREATE TABLE fail_twice (a int);",
]


def m_fail_late(rng, d):
    """A script that fails when it runs, so that the ones before it have
    run: what a failed migrate keeps is then more than nothing."""
    p = any_script(rng, d)
    stmt = rng.choice(FAILING_AT_RUN_TIME)
    up, marker, down = read(p).partition(b"-- migrate:down")
    write(p, up + b"\n" + stmt.encode() + b"\n" + marker + down)
    return "%r at the end of the up script of %s" % (stmt[:40], os.path.relpath(p, d))


def m_crlf(rng, d):
    p = any_script(rng, d)
    write(p, rng.choice([b"\xef\xbb\xbf", b""]) + read(p).replace(b"\n", rng.choice([b"\r\n", b"\r"])))
    return "CRLF/CR line ends in " + os.path.relpath(p, d)


def m_many_statements(rng, d):
    p = os.path.join(d, "0999_many.sql")
    write(p, b"CREATE TABLE many (a int);\n" + b"INSERT INTO many VALUES (1);\n" * rng.randrange(100, 3000))
    return "many statements in 0999_many.sql"


def m_unreadable(rng, d):
    target = rng.choice([any_script(rng, d), d] + [os.path.join(d, e) for e in os.listdir(d)
                                                   if os.path.isdir(os.path.join(d, e))])
    os.chmod(target, 0)
    return "chmod 000 " + (os.path.relpath(target, d) if target != d else "the directory")


def m_symlink(rng, d):
    kind = rng.randrange(8)
    if any(e.startswith("050") for e in os.listdir(d)):
        return m_cut(rng, d)    # applied once already: the names would clash
    if kind == 0:
        os.symlink("0500_self.sql", os.path.join(d, "0500_self.sql"))
        return "symlink loop 0500_self.sql -> itself"
    if kind == 1:
        os.symlink("0501_b.sql", os.path.join(d, "0501_a.sql"))
        os.symlink("0501_a.sql", os.path.join(d, "0501_b.sql"))
        return "symlink loop 0501_a.sql <-> 0501_b.sql"
    if kind == 2:
        os.symlink(".", os.path.join(d, "0502_dir_loop"))
        return "symlink 0502_dir_loop -> ."
    if kind == 3:
        os.symlink("/nonexistent/x.sql", os.path.join(d, "0503_dangling.sql"))
        return "dangling symlink 0503_dangling.sql"
    if kind == 4:
        os.symlink("/etc/passwd", os.path.join(d, "0504_outside.sql"))
        return "symlink 0504_outside.sql -> /etc/passwd"
    if kind == 5:
        dev = rng.choice(["/dev/zero", "/dev/null", "/dev/urandom"])
        os.symlink(dev, os.path.join(d, "0505_device.sql"))
        return "symlink 0505_device.sql -> " + dev
    if kind == 6:
        os.mkfifo(os.path.join(d, "0506_fifo.sql"))
        return "FIFO 0506_fifo.sql"
    os.makedirs(os.path.join(d, "0507_folder"))
    os.symlink("../0507_folder", os.path.join(d, "0507_folder", "up.sql"))
    return "folder 0507_folder whose up.sql links to the folder"


def m_dir_for_file(rng, d):
    name = rng.choice(["0600_x.sql", "0600_x.up.sql", "0600_x.down.sql", "0600_x"])
    os.makedirs(os.path.join(d, name), exist_ok=True)
    inner = rng.choice([None, "up.sql", "down.sql", "nested/up.sql", "up.sql/inner.sql"])
    if inner:
        p = os.path.join(d, name, inner)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if inner.endswith("inner.sql"):
            write(p, b"SELECT 1;\n")
        else:
            write(p, b"CREATE TABLE in_folder (a int);\n")
    return "directory %s/ (holding %s)" % (name, inner)


def m_duplicate(rng, d):
    p = any_script(rng, d)
    base = os.path.basename(p)
    digits = "".join(ch for ch in base.split("_")[0] if ch.isdigit()) or "1"
    new = os.path.join(d, "0" + digits + "_dup" + rng.choice([".sql", ".down.sql", ".up.sql"]))
    if not os.path.exists(new):
        shutil.copyfile(p, new)
    return "same version again as " + os.path.basename(new)


def m_large(rng, d):
    p = any_script(rng, d)
    write(p, read(p) + b"\n-- padding\n" + b"SELECT 1;\n" * rng.randrange(120, 400))
    return "file over 1kB in " + os.path.relpath(p, d) + " (with max_file_size 1kB)"


# schemata.max_file_size: its default and its largest value, in kB
DEFAULT_MAX_FILE_KB = 100 * 1024
LARGEST_MAX_FILE_KB = 512 * 1024 - 1     # 512 MB less 1 kB (src/schemata.c)

# Sizes for m_huge (sparse files: no disk, no time): over the default limit,
# over the largest limit,
# and over 4 GiB (a size that wraps in 32 bits).
HUGE_SIZES = [DEFAULT_MAX_FILE_KB * 1024 + 1, LARGEST_MAX_FILE_KB * 1024 + 1, 2 ** 32 + 1]


def m_huge(rng, d):
    """Grows a script, or a new one, past a limit.  Applied after every
    other mutation, which read the scripts."""
    size = rng.choice(HUGE_SIZES)
    p = rng.choice([any_script(rng, d), os.path.join(d, "0700_huge.sql")])
    with open(p, "ab"):
        pass
    os.truncate(p, size)
    return "sparse file of %d bytes: %s" % (size, os.path.relpath(p, d))


MUTATIONS = [
    m_odd_name, m_odd_name, m_random_bytes, m_splice_bytes, m_truncated_utf8, m_nul, m_empty, m_cut,
    m_unterminated, m_stray_statement, m_stray_statement, m_stray_statement, m_fail_late, m_fail_late, m_crlf, m_many_statements,
    m_unreadable, m_symlink, m_symlink, m_dir_for_file, m_duplicate, m_large, m_huge,
]

# ---------------------------------------------------------------- arguments

ODD_TARGETS = ["fz_odd", "fz \"quoted\" 'name'", "fz " + "x" * 70, "fz_ünï", "fz_" + "é" * 40, "",
               "pg_catalog", "pg_temp", "pg_toast", "pg_fuzz", "FZ_Upper", "fz.dot", "fz;drop"]
ODD_VERSIONS = ["", "abc", "0", "-1", "0001", "1", "9" * 40, "2024-01-15", "2024-13-45", "0002x",
                "1e3", " 1", "٣", "0001_init", "00000000000000000000000000000000000000001"]


class Case:
    def __init__(self, case_id, dir, target, to_version, out_of_order, prestate):
        self.id, self.dir, self.target = case_id, dir, target
        self.to_version, self.out_of_order, self.prestate = to_version, out_of_order, prestate


# The calls made for each directory, in order, by name of the function they
# call (each must exist: a new function is covered by adding it here).
# apply and migrate are also checked against plan() (APPLIES).  migrate
# commits after each migration: it runs as a statement of its own (CALL
# cannot run inside an exception block), and after an error what it
# committed is compared with apply (reliability.after).
CALLS = [
    ("status", lambda c, rng: call_sql("status", c.dir, c.target)),
    ("plan", lambda c, rng: call_sql("plan", c.dir, c.target, c.to_version, c.out_of_order)),
    ("apply", lambda c, rng: call_sql("apply", c.dir, c.target, c.to_version, c.out_of_order)),
    ("migrate", lambda c, rng: "CALL schemata.migrate(%s, %s, %s, %s)" % (
        sql_literal(c.dir), sql_literal(c.target), sql_literal(c.to_version), str(c.out_of_order).lower())),
    ("repair", lambda c, rng: call_sql("repair", c.dir, c.target)),
    ("rollback", lambda c, rng: call_sql(
        "rollback", target_schema=c.target,
        **rng.choice([{}, {"steps": rng.randrange(-1, 4)}, {"to_version": c.to_version or "0"},
                      {"dir": c.dir}, {"steps": 1, "dir": c.dir}]))),
    ("baseline", lambda c, rng: call_sql("baseline", c.to_version or "0001", c.target,
                                         rng.choice([None, c.dir]))),
    ("version", lambda c, rng: "SELECT schemata.version(%s)" % sql_literal(c.target)),
]
APPLIES = {"apply", "migrate"}


def odd_dir(rng, root, case_dir):
    return rng.choice([
        None, "", "relative/dir", case_dir + "/", case_dir + "//", case_dir + "/./", case_dir + "/../" +
        os.path.basename(case_dir), root + "/nonexistent", "/", "/proc", "/etc/passwd", "/dev/null",
        case_dir + "/" + "x" * 5000,
    ])


def settings_for(rng, root):
    """Session settings for one case: SET statements, RESET statements, description."""
    pick = rng.randrange(10)
    if pick == 0:
        return "SET schemata.max_file_size = '1kB';\n", "RESET schemata.max_file_size;\n", "max_file_size 1kB"
    if pick == 1:
        allowed = rng.choice([root, "/nonexistent", root + "/c00000", "/"])
        return ("SET schemata.allowed_directories = %s;\n" % sql_literal(allowed),
                "RESET schemata.allowed_directories;\n", "allowed_directories " + allowed)
    if pick == 2:
        return ("SET search_path = 'nowhere', pg_temp, \"$user\";\n", "RESET search_path;\n",
                "odd search_path")
    if pick == 3:
        return "SET lock_timeout = '1ms';\n", "RESET lock_timeout;\n", "short lock_timeout"
    return "", "", ""


def make_case(rng, case_id, seeds, root):
    seed = rng.choice(seeds)
    d = os.path.join(root, "c%05d" % case_id)
    shutil.copytree(seed, d, symlinks=True)
    what = [os.path.basename(seed)]
    mutations = [rng.choice(MUTATIONS) for _ in range(rng.choice([0, 1, 1, 1, 1, 2, 3]))]
    mutations.sort(key=lambda m: m is m_huge)
    if m_large in mutations:
        set_sql, reset_sql, setting = "SET schemata.max_file_size = '1kB';\n", "RESET schemata.max_file_size;\n", ""
    elif m_huge in mutations and rng.random() < 0.5:
        set_sql, reset_sql, setting = ("SET schemata.max_file_size = '%dkB';\n" % LARGEST_MAX_FILE_KB,
                                       "RESET schemata.max_file_size;\n", "largest max_file_size")
    else:
        set_sql, reset_sql, setting = settings_for(rng, root)
    for m in mutations:
        what.append(m(rng, d))
    if setting:
        what.append(setting)

    target = rng.choice(ODD_TARGETS) if rng.random() < 0.15 else "fz"
    to_version = rng.choice(ODD_VERSIONS) if rng.random() < 0.2 else None
    call_dir = odd_dir(rng, root, d) if rng.random() < 0.05 else d
    case = Case(case_id, call_dir, target, to_version, rng.random() < 0.3, rng.random() < 0.4)
    if call_dir != d:
        what.append("dir argument %r" % call_dir)
    if target != "fz" or to_version is not None:
        what.append("target %r, to_version %r" % (target, to_version))

    sql = [set_sql]
    setup = ""
    if case.prestate:
        # history and tables from the unmutated directory first, so that the
        # mutated one meets applied migrations (drift, missing, out of order)
        what.append("after applying the original")
        setup = call_sql("apply", seed, target)
        sql.append(try_call(case_id, "apply original", setup))
    top_level = rng.random() < 0.25
    applies = (case.target, case.dir, case.to_version, case.out_of_order)
    for fn, build in CALLS:
        checked = applies if fn in APPLIES else None
        if fn == "migrate":
            sql.append(top_level_call(case_id, fn, build(case, rng), checked, setup=setup))
        elif fn == "apply" and top_level:
            sql.append(top_level_call(case_id, fn + " (statement)", build(case, rng), checked))
        else:
            sql.append(try_call(case_id, fn, build(case, rng), checked))
    sql.append(reset_sql)
    sql.append("SELECT reliability.cleanup();\n")
    return case_id, "; ".join(what), "".join(sql)


def make_writable(root):
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                os.chmod(p, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)


def main():
    seed = int(os.environ.get("SCHEMATA_FUZZ_SEED", "1"))
    count = input_count("SCHEMATA_FUZZ_INPUTS", 2000)
    fixtures = os.environ["SCHEMATA_FIXTURES"]
    root = os.path.join(os.environ.get("SCHEMATA_TMP", "/tmp"), "fuzz_dirs")
    if os.path.exists(root):
        make_writable(root)
        shutil.rmtree(root)
    os.makedirs(root)
    os.chmod(root, 0o755)

    seeds = sorted(os.path.join(fixtures, e) for e in os.listdir(fixtures)
                   if os.path.isdir(os.path.join(fixtures, e)))
    driver = Driver("fuzz_dirs")
    driver.create_database()
    driver.require_functions(fn for fn, _ in CALLS)
    print("fuzz_dirs: seed %d, %d inputs, calls: %s" % (seed, count, ", ".join(fn for fn, _ in CALLS)))
    rng = random.Random(seed)
    driver.run_cases(make_case(rng, i, seeds, root) for i in range(1, count + 1))
    ok = driver.report()
    if ok:
        make_writable(root)
        shutil.rmtree(root)
        driver.drop_database()
    else:
        print("fuzz_dirs: directories kept in %s; rerun with SCHEMATA_FUZZ_SEED=%d" % (root, seed))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
