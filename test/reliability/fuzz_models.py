#!/usr/bin/env python3
"""test/reliability/fuzz_models.py -- randomized table models.

Mutates the model files (test/models/*.json, or a small built-in model when
there are none) and calls the model functions on each -- diff, bootstrap,
diff again, sync, teardown (see CALLS; each must exist).  Same properties and figures
as fuzz_dirs.py: no crash, no XX000, a failed call changes nothing, the
caller's settings are left alone.

Deterministic for a given seed.  Knobs (environment):
    SCHEMATA_FUZZ_SEED          seed (default 1)
    SCHEMATA_FUZZ_MODEL_INPUTS  models to try (default 1000; 500 in the
                                sanitized pass: common.input_count)
"""

import copy
import glob
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Driver, input_count, sql_literal, top_level_call, try_call  # noqa: E402

# Used when the tree has no test/models yet.
BUILT_IN = [
    {"dbSchema": "public", "table": "authors", "hasAuditFields": True,
     "columns": [{"name": "id", "type": "serial"}, {"name": "name", "type": "varchar(100)", "notNull": True},
                 {"name": "born", "type": "date", "default": "now()"}],
     "constraints": {"primaryKey": ["id"], "unique": [["name"]], "checks": ["born > '1900-01-01'"]}},
    {"dbSchema": "public", "table": "books",
     "columns": [{"name": "id", "type": "bigint"}, {"name": "author_id", "type": "int", "notNull": True},
                 {"name": "title", "type": "text", "default": "''"}],
     "constraints": {"primaryKey": ["id"],
                     "foreignKeys": [{"columns": ["author_id"], "references": {"table": "authors", "columns": ["id"]},
                                      "onDelete": "CASCADE"}],
                     "indexes": [{"columns": ["title"]}]}},
]

ODD_STRINGS = [
    "", " ", "x" * 63, "x" * 64, "é" * 31 + "x", "é" * 32, "a\"b", "a'b", "a;b", "a b", "A", "$$", "$1",
    "x); DROP TABLE fm.books; --", "'; SELECT pg_sleep(10); --",
    "日本語", "\U0001F600", "-- comment", "/*", "pg_catalog", "public", "fm", "id", "name", "oid", "ctid",
    "1", "null", "true", "x" * 10000,
]
ODD_TYPES = [
    "int", "int[]", "int[][]", "varchar(-1)", "varchar(0)", "numeric(1000,2000)", "numeric(5,10)",
    "text COLLATE \"C\"", "int; DROP TABLE x", "serial[]", "\"char\"", "pg_catalog.int4", "nonexistent_type",
    "integer primary key", "timestamp(7) with time zone", "bit varying(3)", "interval year to month",
    "double precision", "int4range", "jsonb", "uuid", "varchar(10485761)", "char(2147483647)", "void",
    "record", "anyelement", "trigger", "cstring", "int)", "(int", "setof int", "pg_class", "regclass",
]
ODD_DEFAULTS = [
    "1", "1; DROP TABLE x", "(SELECT 1)", "1) , (2", "now()", "nextval('nope')", "''", "'unterminated",
    "1 +", "", "DEFAULT", "NULL", "random()", "pg_sleep(0)", "$$x$$", "1::nonexistent", "(1,2)", "ARRAY[1]",
    "current_user", "gen_random_uuid()", "'x' COLLATE \"C\"", "$1", "(SELECT count(*) FROM pg_class)",
]


def nodes(value, path=()):
    """Every (path, value) in a JSON document."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from nodes(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from nodes(v, path + (i,))


def at(doc, path):
    for p in path:
        doc = doc[p]
    return doc


def pick(rng, doc, want=None):
    found = [(p, v) for p, v in nodes(doc) if p and (want is None or want(p, v))]
    return rng.choice(found) if found else (None, None)


def replace(doc, path, value):
    at(doc, path[:-1])[path[-1]] = value


# Each mutation changes the models in place and returns what it did.

def m_delete(rng, doc):
    path, _ = pick(rng, doc)
    if path is None:
        return "nothing to delete"
    parent = at(doc, path[:-1])
    del parent[path[-1]]
    return "deleted %s" % (path,)


def m_wrong_type(rng, doc):
    path, _ = pick(rng, doc)
    if path is None:
        return "nothing to retype"
    value = rng.choice([None, 0, -1, 1.5, 2 ** 70, True, "", [], {}, [[]], {"x": 1}, "x" * 300])
    replace(doc, path, value)
    return "%s = %r" % (path, value)


def m_odd_string(rng, doc):
    path, _ = pick(rng, doc, lambda p, v: isinstance(v, str))
    if path is None:
        return "no string"
    value = rng.choice(ODD_STRINGS)
    replace(doc, path, value)
    return "%s = %r" % (path, value[:40])


def m_odd_type(rng, doc):
    path, _ = pick(rng, doc, lambda p, v: p[-1] == "type")
    if path is None:
        return "no type"
    value = rng.choice(ODD_TYPES)
    replace(doc, path, value)
    return "%s = %r" % (path, value)


def m_odd_default(rng, doc):
    path, _ = pick(rng, doc, lambda p, v: isinstance(v, dict) and "type" in v)
    if path is None:
        return "no column"
    value = rng.choice(ODD_DEFAULTS)
    at(doc, path)["default"] = value
    return "%s.default = %r" % (path, value)


def m_duplicate(rng, doc):
    path, v = pick(rng, doc, lambda p, v: isinstance(v, (dict, list)) and isinstance(at_parent(doc, p), list))
    if path is None:
        return "nothing to duplicate"
    at(doc, path[:-1]).append(copy.deepcopy(v))
    return "duplicated %s" % (path,)


def at_parent(doc, path):
    return at(doc, path[:-1])


def m_reference(rng, doc):
    path, _ = pick(rng, doc, lambda p, v: p[-1] == "references")
    if path is None:
        return "no reference"
    ref = at(doc, path)
    if not isinstance(ref, dict):
        return "reference not an object"
    key = rng.choice(["table", "columns", "dbSchema"])
    ref[key] = rng.choice(["nowhere", ["nowhere"], [], ["id", "id"], "books", "authors", None])
    return "%s.%s = %r" % (path, key, ref[key])


def m_renamed_from(rng, doc):
    path, _ = pick(rng, doc, lambda p, v: isinstance(v, dict) and ("table" in v or "type" in v))
    if path is None:
        return "nothing to rename"
    value = rng.choice(["nowhere", "id", "books", "authors", "", "x" * 64])
    at(doc, path)["renamedFrom"] = value
    return "%s.renamedFrom = %r" % (path, value)


def renamed_in(value, old, new):
    """value with every use of column "old" named "new": list items and
    {"column": ...} equal to it, and the word in expressions."""
    if isinstance(value, str):
        return re.sub(r"\b%s\b" % re.escape(old), new, value)
    if isinstance(value, list):
        return [renamed_in(v, old, new) for v in value]
    if isinstance(value, dict):
        # a key's references name the other table's columns
        return {k: (v if k in ("type", "name", "table", "dbSchema", "default", "references")
                    else renamed_in(v, old, new))
                for k, v in value.items()}
    return value


def m_rename_column(rng, doc):
    """A column renamed as a user renames one: a new name, renamedFrom the
    old one, and its table's keys, checks, indexes and generation
    expressions following it, so that after the original models diff and
    sync meet a real rename."""
    path, _ = pick(rng, doc, lambda p, v: len(p) >= 2 and p[-2] == "columns" and isinstance(v, dict)
                   and isinstance(v.get("name"), str) and re.fullmatch(r"[a-z_][a-z0-9_]*", v["name"]))
    if path is None:
        return "no column to rename"
    table = at(doc, path[:-2])
    old = at(doc, path)["name"]
    new = rng.choice([old + "_renamed", "renamed_" + old])
    for key in ("constraints", "columns"):
        if key in table:
            table[key] = renamed_in(table[key], old, new)
    column = at(doc, path)
    column["name"], column["renamedFrom"] = new, old
    return "%s renamed from %r to %r" % (path, old, new)


def m_shape(rng, doc):
    """Whole-document shapes: object form, scalars, deep nesting."""
    shape = rng.randrange(6)
    if shape == 0:
        return {str(i): t for i, t in enumerate(doc)} if isinstance(doc, list) else doc, "object form"
    if shape == 1:
        return rng.choice([[], {}, 1, "x", None, [None], [1], [[]]]), "scalar or empty models"
    if shape == 2:
        deep = []
        for _ in range(rng.choice([50, 400])):
            deep = [deep]
        return deep, "deeply nested arrays"
    if shape == 3:
        return doc + doc if isinstance(doc, list) else doc, "every table twice"
    if shape == 4:
        return [dict(t, dbSchema=rng.choice(ODD_STRINGS[:14])) if isinstance(t, dict) else t
                for t in (doc if isinstance(doc, list) else [])], "odd dbSchema everywhere"
    return doc * 50 if isinstance(doc, list) else doc, "fifty copies of the tables"


MUTATIONS = [m_delete, m_wrong_type, m_odd_string, m_odd_string, m_odd_type, m_odd_type, m_odd_default,
             m_odd_default, m_duplicate, m_reference, m_renamed_from, m_rename_column, m_rename_column]


# bootstrap's extensions argument: NULL means the default, {pgcrypto}
ODD_EXTENSIONS = [None, None, None, "{}", "{plpgsql}", "{nonexistent}", "{\"\"}", "{NULL}",
                  "{pgcrypto,pgcrypto}", "{\"x; DROP TABLE y\"}", "{schemata}"]


class Case:
    def __init__(self, models, original, target, destructive, extensions):
        self.models, self.original = models, original
        self.target, self.destructive, self.extensions = target, destructive, extensions


def models_call(function, models, *rest):
    """SQL calling schemata.FUNCTION(models, *rest); a (text, type) pair in
    rest is passed as text cast to type."""
    args = ["%s::jsonb" % sql_literal(models)]
    for r in rest:
        if isinstance(r, tuple):
            args.append("%s::%s" % (sql_literal(r[0]), r[1]))
        else:
            args.append(str(r).lower() if isinstance(r, bool) else sql_literal(r))
    return "SELECT * FROM schemata.%s(%s)" % (function, ", ".join(args))


# The calls made for each model, in order, by name of the function they call
# (each must exist): add new model functions here.
CALLS = [
    ("diff", lambda c: models_call("diff", c.models, c.target)),
    ("bootstrap", lambda c: models_call("bootstrap", c.models, c.target,
                                        *([] if c.extensions is None else [(c.extensions, "text[]")]))),
    ("diff", lambda c: models_call("diff", c.models, c.target)),
    ("sync", lambda c: models_call("sync", c.models, c.target, c.destructive)),
    ("teardown", lambda c: models_call("teardown", c.models, c.target)),
]


def make_case(rng, case_id, seeds):
    name, original = rng.choice(seeds)
    doc = copy.deepcopy(original)
    what = [name]
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        what.append(rng.choice(MUTATIONS)(rng, doc))
    if rng.random() < 0.1:
        doc, shape = m_shape(rng, doc)
        what.append(shape)
    target = rng.choice([None, "fm_odd", "fm \"q\"", "pg_catalog", "x" * 64]) if rng.random() < 0.15 else "fm"
    case = Case(json.dumps(doc), json.dumps(original), target, rng.random() < 0.5, rng.choice(ODD_EXTENSIONS))
    what.append("target %r, allow_destructive %s, extensions %s" % (target, case.destructive, case.extensions))

    sql = []
    if rng.random() < 0.4:
        # tables of the original models first, so that the mutated models
        # meet existing tables
        what.append("after bootstrapping the original")
        sql.append(try_call(case_id, "bootstrap original", models_call("bootstrap", case.original, target)))
    top_level = rng.random() < 0.25
    for fn, build in CALLS:
        if fn == "bootstrap" and top_level:
            sql.append(top_level_call(case_id, fn + " (statement)", build(case)))
        else:
            sql.append(try_call(case_id, fn, build(case)))
    sql.append("SELECT reliability.cleanup();\n")
    return case_id, "; ".join(what), "".join(sql)


def load_seeds():
    src = os.environ.get("SCHEMATA_SRC", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    seeds = []
    for path in sorted(glob.glob(os.path.join(src, "test", "models", "*.json"))):
        with open(path) as f:
            seeds.append((os.path.basename(path), json.load(f)))
    return seeds or [("built-in", BUILT_IN)]


def main():
    seed = int(os.environ.get("SCHEMATA_FUZZ_SEED", "1"))
    count = input_count("SCHEMATA_FUZZ_MODEL_INPUTS", 1000)
    driver = Driver("fuzz_models")
    driver.create_database()
    functions = sorted({fn for fn, _ in CALLS})
    driver.require_functions(functions)
    seeds = load_seeds()
    print("fuzz_models: seed %d, %d inputs from %d model files, calls: %s"
          % (seed, count, len(seeds), ", ".join(functions)))
    rng = random.Random(seed)
    driver.run_cases(make_case(rng, i, seeds) for i in range(1, count + 1))
    ok = driver.report()
    if ok:
        driver.drop_database()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
