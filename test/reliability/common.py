"""test/reliability/common.py -- what the randomized tests share.

A Driver owns one scratch database with test/reliability/harness.sql loaded,
feeds it batches of cases through psql (one psql process per batch, so a
crashed backend costs one batch, not the run; psql echoes each case's number
first, so the case that lost the connection is known), notices crashes (lost
connection, "terminated by signal" or a sanitizer report in the server log,
read after every batch) and canceled calls (57014, counted as hangs), and
prints the figures.  No batch runs under a wall-clock limit: a busy machine
only makes the run longer (a real hang is left to the caller's own limit,
CI's job timeout).  Each generator tries a fixed number of inputs
(input_count) and prints it:

    inputs tried, calls, errors by SQLSTATE, crashes, changes after error,
    half-applied successes, session settings changed, internal errors
    (XX000), hangs (57014), how many partial migrates were compared with
    apply, and how many successes had a migration edit the history itself

The run fails when any of crashes .. hangs is non-zero, or when a function
the generator calls is missing (Driver.require_functions).

Environment (set by test/run_all.sh): PGHOST, PGPORT, PGUSER, SCHEMATA_PGBIN,
SCHEMATA_WORK (server log: $SCHEMATA_WORK/server.log, or SCHEMATA_SERVER_LOG),
SCHEMATA_TMP (scratch space the server can read), SCHEMATA_SANITIZE (1 in the
sanitized pass: see input_count).
"""

import collections
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# What a server log line looks like when a backend died or a sanitizer spoke.
CRASH_IN_LOG = re.compile(
    r"terminated by signal|ERROR: AddressSanitizer|runtime error:|"
    r"ERROR: LeakSanitizer|UndefinedBehaviorSanitizer|was terminated by exception")


LOST_CONNECTION = re.compile(r"server closed the connection|connection to server was lost|"
                             r"terminating connection because of crash")

NOT_YET_UP = re.compile(r"the database system is (starting up|in recovery mode|not yet accepting connections)|"
                        r"Connection refused")


def sql_literal(text):
    """A SQL string literal (standard_conforming_strings is on)."""
    if text is None:
        return "NULL"
    return "'" + text.replace("'", "''") + "'"


def call_sql(function, *args, **named):
    """SQL text calling schemata.FUNCTION with positional then named arguments."""
    parts = [literal_of(a) for a in args]
    parts += ["%s => %s" % (k, literal_of(v)) for k, v in named.items()]
    return "SELECT * FROM schemata.%s(%s)" % (function, ", ".join(parts))


def before_args(applies):
    """Arguments of reliability.before(): for a call that applies
    migrations, applies = (target, dir, to_version, allow_out_of_order)."""
    return ", ".join(literal_of(a) for a in applies) if applies else ""


def try_call(case_id, fn, call, applies=None):
    """SQL running CALL inside reliability.try(), in an exception block;
    applies as for before_args()."""
    return "SELECT reliability.try(%d, %s, %s%s);\n" % (
        case_id, sql_literal(fn), sql_literal(call), ", " + before_args(applies) if applies else "")


def top_level_call(case_id, fn, call, applies=None, setup=None):
    """psql lines running CALL as a statement of its own (its error aborts
    the transaction, not just a subtransaction), framed by reliability.before()
    and reliability.after().  setup: for a call that commits as it goes
    (migrate), the SQL that builds the case's start state after a cleanup,
    "" when there is none; None for a call that does not commit."""
    commits = setup is not None
    after = ""
    if commits:
        after = ", commits => true, dir => %s, out_of_order => %s, setup => %s" % (
            literal_of(applies[1]), literal_of(applies[3]), sql_literal(setup or None))
    return ("SELECT reliability.before(%s);\n"
            "\\set ON_ERROR_STOP 0\n%s;\n\\set ON_ERROR_STOP 1\n"
            "SELECT reliability.after(%d, %s, :'SQLSTATE', :'LAST_ERROR_MESSAGE', true%s);\n"
            % (before_args(applies), call, case_id, sql_literal(fn), after))


def input_count(variable, plain):
    """How many inputs a generator tries: the environment VARIABLE, else
    PLAIN, or half of it in the sanitized pass (SCHEMATA_SANITIZE=1), where
    each input takes about 2.5 times as long; sized so that the plain and the
    sanitized pass on 15 take at most 15 minutes together on 2 idle cores."""
    if os.environ.get(variable):
        return int(os.environ[variable])
    return plain // 2 if os.environ.get("SCHEMATA_SANITIZE") == "1" else plain


def literal_of(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return sql_literal(value)


class Driver:
    def __init__(self, name, batch_size=None):
        self.name = name
        self.db = "reliability_" + name
        self.batch_size = batch_size or int(os.environ.get("SCHEMATA_FUZZ_BATCH", "40"))
        self.bin = os.environ.get("SCHEMATA_PGBIN", "")
        self.server_log = os.environ.get("SCHEMATA_SERVER_LOG") or os.path.join(
            os.environ.get("SCHEMATA_WORK", "/nonexistent"), "server.log")
        self.log_offset = self._log_size()
        self.inputs = 0
        self.crashes = []        # (case_id, description, why)
        self.log_reports = []
        self.descriptions = {}

    # ------------------------------------------------------------ psql

    def psql(self, sql, db=None, check=True):
        cmd = [os.path.join(self.bin, "psql") if self.bin else "psql",
               "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db or self.db]
        for _ in range(240):
            p = subprocess.run(cmd, input=sql.encode(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
            # still restarting after a crash: nothing ran, try again
            if not (p.returncode == 2 and NOT_YET_UP.search(p.stderr.decode(errors="replace"))):
                break
            time.sleep(0.5)
        if check and p.returncode != 0:
            raise RuntimeError("psql failed (%d): %s" % (p.returncode, p.stderr.decode(errors="replace")))
        return p

    def wait_ready(self, seconds=120):
        deadline = time.time() + seconds
        isready = os.path.join(self.bin, "pg_isready") if self.bin else "pg_isready"
        while time.time() < deadline:
            if subprocess.run([isready, "-q", "-d", "postgres"]).returncode == 0:
                # after a crash the postmaster accepts connections again only
                # once recovery is done; a query proves it
                if self.psql("SELECT 1", db="postgres", check=False).returncode == 0:
                    return
            time.sleep(0.5)
        raise RuntimeError("server not ready after %d s" % seconds)

    def create_database(self):
        self.psql("SET client_min_messages = warning;\n"
                  "DROP DATABASE IF EXISTS %s;\nCREATE DATABASE %s;\n" % (self.db, self.db), db="postgres")
        with open(os.path.join(HERE, "harness.sql")) as f:
            self.psql("CREATE EXTENSION schemata;\n" + f.read())

    def drop_database(self):
        self.psql("DROP DATABASE IF EXISTS %s;" % self.db, db="postgres", check=False)

    def require_functions(self, names):
        """Raise unless the installed schemata has every function in names:
        a missing one would only show up as an error (42883) of each call."""
        out = self.psql("SELECT DISTINCT p.proname FROM pg_proc p JOIN pg_namespace n "
                        "ON n.oid = p.pronamespace WHERE n.nspname = 'schemata'").stdout.decode()
        missing = sorted(set(names) - set(out.split()))
        if missing:
            raise RuntimeError("the installed extension lacks %s" % ", ".join("schemata." + m for m in missing))

    # ------------------------------------------------------------ cases

    def run_cases(self, cases):
        """cases: iterable of (case_id, description, sql). Runs them in batches."""
        batch = []
        for case in cases:
            self.inputs += 1
            self.descriptions[case[0]] = case[1]
            batch.append(case)
            if len(batch) == self.batch_size:
                self._run_batch(batch)
                batch = []
        if batch:
            self._run_batch(batch)

    def _run_batch(self, batch):
        self._run_batch_cases(batch)
        # a backend can also die after its last answer (at exit): the log tells
        for line in self._new_log_lines():
            self.log_reports.append("during cases %d-%d: %s" % (batch[0][0], batch[-1][0], line))

    def _run_batch_cases(self, batch):
        while batch:
            script = "SET client_min_messages = warning;\n" + "".join(
                "\\echo case %d\n%s" % (case_id, sql) for case_id, _, sql in batch)
            p = self.psql(script, check=False)
            out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
            if p.returncode == 0:
                return
            why = err.strip().splitlines()[-1:] or ["psql exit %d" % p.returncode]
            if not LOST_CONNECTION.search(err):
                raise RuntimeError("harness error (not a crash): " + err)
            # The case psql was running: the last one it announced.
            started = re.findall(r"^case (\d+)$", out, re.M)
            broken = int(started[-1]) if started else batch[0][0]
            self.crashes.append((broken, self.descriptions[broken], why[0]))
            self.wait_ready()
            self.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            self.psql("SELECT reliability.cleanup()")
            batch = [c for c in batch if c[0] > broken]

    # ------------------------------------------------------------ figures

    def _log_size(self):
        try:
            return os.path.getsize(self.server_log)
        except OSError:
            return 0

    def _new_log_lines(self):
        try:
            with open(self.server_log, "rb") as f:
                f.seek(self.log_offset)
                text = f.read().decode(errors="replace")
                self.log_offset = f.tell()
        except OSError:
            return []
        return [line for line in text.splitlines() if CRASH_IN_LOG.search(line)]

    def report(self, out=sys.stdout):
        """Print the figures; return True when every property held."""
        rows = self.psql("SELECT fn, sqlstate, count(*), count(*) FILTER (WHERE changed), "
                         "count(*) FILTER (WHERE half_applied), count(*) FILTER (WHERE session_changed), "
                         "count(*) FILTER (WHERE compared_with_apply), count(*) FILTER (WHERE history_edited) "
                         "FROM reliability.results "
                         "GROUP BY 1, 2 ORDER BY 1, 2").stdout.decode().splitlines()
        by_state = collections.Counter()
        calls = changed = half_applied = session_changed = compared = edited = 0
        per_fn = collections.defaultdict(collections.Counter)
        for row in rows:
            fn, state, n, ch, ha, sc, cmp, ed = row.split("|")
            by_state[state] += int(n)
            per_fn[fn][state] += int(n)
            calls += int(n)
            changed += int(ch)
            half_applied += int(ha)
            session_changed += int(sc)
            compared += int(cmp)
            edited += int(ed)
        internal = by_state.get("XX000", 0)
        hangs = by_state.get("57014", 0)
        crashes = max(len(self.crashes), len(self.log_reports))   # the log repeats what psql saw

        w = out.write
        w("==== figures: %s ====\n" % self.name)
        w("inputs tried:               %d\n" % self.inputs)
        w("calls:                      %d (%s)\n" % (calls, ", ".join(
            "%s %d" % (fn, sum(c.values())) for fn, c in sorted(per_fn.items()))))
        w("errors by SQLSTATE:         %s\n" % (", ".join(
            "%s %d" % (s, n) for s, n in sorted(by_state.items()) if s != "00000") or "none"))
        w("successes:                  %d\n" % by_state.get("00000", 0))
        w("crashes:                    %d\n" % crashes)
        w("changes after error:        %d (partial migrates compared with apply: %d)\n" % (changed, compared))
        w("half-applied successes:     %d\n" % half_applied)
        w("history edited by a migration: %d\n" % edited)
        w("session settings changed:   %d\n" % session_changed)
        w("internal errors (XX000):    %d\n" % internal)
        w("hangs:                      %d\n" % hangs)
        for case_id, desc, why in self.crashes:
            w("  lost connection at case %d: %s %s\n" % (case_id, desc, why))
        for line in self.log_reports[:20]:
            w("  server log %s\n" % line)
        bad = self.psql("SELECT case_id, fn, sqlstate, changed, half_applied, session_changed, message "
                        "FROM reliability.results "
                        "WHERE sqlstate IN ('XX000', '57014') OR changed OR half_applied OR history_edited "
                        "OR session_changed "
                        "ORDER BY case_id LIMIT 20").stdout.decode(errors="replace").splitlines()
        for row in bad:
            case_id = int(row.split("|")[0])
            w("  case %s\n      input: %s\n" % (row, self.descriptions.get(case_id, "?")))
        self.figures = dict(inputs=self.inputs, calls=calls, crashes=crashes, changed=changed,
                            half_applied=half_applied, session_changed=session_changed, internal=internal,
                            hangs=hangs, compared_with_apply=compared, history_edited=edited, by_state=dict(by_state))
        self._save_figures()
        return (crashes == 0 and changed == 0 and half_applied == 0 and edited == 0
                and session_changed == 0 and internal == 0 and hangs == 0)

    def _save_figures(self):
        """Leave the figures where test/shell/89_reliability_summary.sh finds them."""
        tmp = os.environ.get("SCHEMATA_TMP")
        if not tmp:
            return
        os.makedirs(os.path.join(tmp, "reliability"), exist_ok=True)
        with open(os.path.join(tmp, "reliability", self.name + ".figures"), "w") as f:
            for key in ("inputs", "calls", "crashes", "changed", "half_applied", "session_changed", "internal",
                        "hangs", "compared_with_apply", "history_edited"):
                f.write("%s %d\n" % (key, self.figures[key]))
            for state, n in sorted(self.figures["by_state"].items()):
                f.write("sqlstate %s %d\n" % (state, n))
