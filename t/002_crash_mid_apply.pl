# t/002_crash_mid_apply.pl -- crash mid-apply, mid-rollback and mid-migrate:
# a backend killed with SIGKILL in the middle of a long call makes the
# postmaster restart every backend; afterwards no migration of that apply or
# rollback is recorded or visible, and the next call finishes the job.  The
# timing is deterministic: migration 0150 of 300 waits on a table lock held
# by another session, and the call's backend is killed while it waits there.
# migrate commits each migration: there the 149 before the gate stay, and
# the killed one leaves nothing.  Last, a migrate waiting at the gate is
# ended the way an operator would, with pg_terminate_backend (the server
# does not restart, so this is where a leaked advisory lock would show): the
# same must hold, and no lock of schemata's is left in pg_locks.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use SchemataTAP;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(usleep);

my $count = 300;
my $gate = '0150';
my $before_gate = $gate - 1;
my $db = 'crash_mid_apply';

my $node = PostgreSQL::Test::Cluster->new('crash');
SchemataTAP::start_node($node, "restart_after_crash = on\n");

my $dir = SchemataTAP::server_dir();
for my $i (1 .. $count)
{
	my $v = sprintf '%04d', $i;
	my $wait_here = $v eq $gate ? 'SELECT count(*) FROM gate.gate;' : '';
	PostgreSQL::Test::Utils::append_to_file(
		"$dir/${v}_m.sql", "-- migrate:up
CREATE TABLE t$v (id int PRIMARY KEY, note text);
INSERT INTO t$v SELECT g, md5(g::text) FROM generate_series(1, 50) g;
$wait_here
-- migrate:down
$wait_here
DROP TABLE t$v;
");
}

$node->safe_psql('postgres', "CREATE DATABASE $db");
$node->safe_psql($db,
	'CREATE EXTENSION schemata; CREATE SCHEMA gate; CREATE TABLE gate.gate (x int)');

sub query
{
	return $node->safe_psql($db, shift);
}

# Runs SQL with client_min_messages = warning (the progress notices).
sub quiet
{
	return query("SET client_min_messages = warning;\n" . shift);
}

# Facts about a target schema: "HISTORY_ROWS TABLES".
sub state_of
{
	my $schema = shift;
	return query(
		"SELECT (SELECT count(*) FROM schemata.migrations WHERE target_schema = '$schema')
		        || ' ' || (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		                    WHERE n.nspname = '$schema' AND c.relkind = 'r')");
}

# left_over(STATE, EXPECTED): how many history rows and tables STATE ("ROWS
# TABLES") holds beyond or short of EXPECTED rows and tables each.
sub left_over
{
	my ($state, $expected) = @_;
	my ($rows, $tables) = split / /, $state;
	return abs($rows - $expected) + abs($tables - $expected);
}

# A psql session in the background, fed SQL on its stdin, which stays open
# until finish().
sub background
{
	my ($sql, @psql_options) = @_;
	my $session = { in => $sql, out => '', err => '' };
	$session->{run} = IPC::Run::start(
		[
			'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', @psql_options,
			'-d', $node->connstr($db), '-f', '-'
		],
		'<', \$session->{in}, '>', \$session->{out}, '2>', \$session->{err});
	$session->{run}->pump_nb while length $session->{in};
	return $session;
}

# finish(SESSION): closes its stdin and waits for it; true if psql exited 0.
sub finish
{
	my $session = shift;
	return $session->{run}->finish;
}

# wait_until(SQL, WHAT): polls SQL until it returns t.
sub wait_until
{
	my ($sql, $what) = @_;
	$node->poll_query_until($db, $sql) or die "gave up waiting: $what";
	return;
}

# gate_call(CALL, ONE_TRANSACTION): runs CALL in the background while another
# session holds the gate; returns once CALL's backend waits on the gate:
# (caller, its pid, holder, its pid).  ONE_TRANSACTION: the call's
# transaction holds the locks of all migrations so far.
sub gate_call
{
	my ($call, $one_transaction) = @_;
	my $holder =
	  background("BEGIN;\nLOCK gate.gate IN ACCESS EXCLUSIVE MODE;\n");
	wait_until(
		"SELECT EXISTS (SELECT FROM pg_locks WHERE relation = 'gate.gate'::regclass AND granted)",
		'the gate locked');
	my $holder_pid = query(
		"SELECT pid FROM pg_locks WHERE relation = 'gate.gate'::regclass AND granted");
	my $caller = background("SET client_min_messages = warning;\n$call;\n");
	my $waiting = "FROM pg_stat_activity WHERE wait_event_type = 'Lock'
	                AND query LIKE '%schemata.%' AND query NOT LIKE '%pg_stat_activity%'";
	# polled as poll_query_until does, but a call that failed ends the wait
	my $tries = 10 * $PostgreSQL::Test::Utils::timeout_default;
	until (query("SELECT EXISTS (SELECT $waiting)") eq 't')
	{
		$caller->{run}->pump_nb;
		die "the call failed before migration $gate: $caller->{err}"
		  if $caller->{err} =~ /ERROR/;
		die "gave up waiting for the call to reach migration $gate"
		  if --$tries == 0;
		usleep(100_000);
	}
	my $pid = query("SELECT pid $waiting");
	if ($one_transaction)
	{
		is( query(
				"SELECT count(DISTINCT relation) >= $before_gate FROM pg_locks
				  WHERE pid = $pid AND locktype = 'relation' AND granted"),
			't',
			"the call had run the migrations before $gate when killed");
	}
	return ($caller, $pid, $holder, $holder_pid);
}

sub log_crashes
{
	my $log = PostgreSQL::Test::Utils::slurp_file($node->logfile);
	return scalar(() = $log =~ /terminated by signal 9/g);
}

my ($killed, $terminated, $left) = (0, 0, 0);

# crash_while(CALL, ONE_TRANSACTION, WHAT): gate_call, then SIGKILL the
# call's backend, and wait for the restarted server.
sub crash_while
{
	my ($call, $one_transaction, $what) = @_;
	my $crashes_before = log_crashes();
	my ($caller, $pid, $holder) = gate_call($call, $one_transaction);
	note "killing backend $pid with SIGKILL";
	kill 'KILL', $pid;
	$killed++;
	ok(!finish($caller), "the killed $what reported no success");
	finish($holder);    # the restart ended the holder too
	wait_until('SELECT true', 'the server back after the crash');
	is(log_crashes(), $crashes_before + 1,
		"the postmaster saw a backend killed by signal 9 ($what)");
	return;
}

crash_while("SELECT count(*) FROM schemata.apply('$dir', 'crash')", 1, 'apply');
my $after = state_of('crash');
$left += left_over($after, 0);
is($after, '0 0', 'after the crash of apply: no history row, no table');
is(query("SELECT count(*) FROM pg_namespace WHERE nspname = 'crash'"),
	'0', 'after the crash of apply: the target schema it created is gone');
quiet("SELECT count(*) FROM schemata.apply('$dir', 'crash')");
is(state_of('crash'), "$count $count", 'a new apply finishes the job');
is( query(
		"SELECT count(DISTINCT batch) || ' ' || sum((SELECT count(*) FROM pg_class WHERE relname = 't' || version))
		   FROM schemata.migrations WHERE target_schema = 'crash'"),
	"1 $count",
	'one batch, each migration applied once');

crash_while("SELECT count(*) FROM schemata.rollback('crash')", 1, 'rollback');
$after = state_of('crash');
$left += left_over($after, $count);
is($after, "$count $count",
	'after the crash of rollback: every history row and table still there');
quiet("SELECT count(*) FROM schemata.rollback('crash')");
is(state_of('crash'), '0 0', 'a new rollback finishes the job');

crash_while("CALL schemata.migrate('$dir', 'crash_m')", 0, 'migrate');
$after = state_of('crash_m');
$left += left_over($after, $before_gate);
is($after, "$before_gate $before_gate",
	"after the crash of migrate: the migrations before $gate committed, the killed one left nothing"
);
is(query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"),
	'0', 'no advisory lock outlives the killed session');
quiet("CALL schemata.migrate('$dir', 'crash_m')");
is(state_of('crash_m'), "$count $count", 'a new migrate finishes the job');

# migrate ended by pg_terminate_backend: its backend exits cleanly, the
# postmaster and every other session go on
my ($caller, $pid, $holder, $holder_pid) =
  gate_call("CALL schemata.migrate('$dir', 'term_m')", 0);
note "terminating backend $pid with pg_terminate_backend";
is(query("SELECT pg_terminate_backend($pid)"),
	't', 'pg_terminate_backend signalled the migrate');
$terminated++;
ok(!finish($caller), 'the terminated migrate reported no success');
wait_until("SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $pid)",
	"backend $pid exiting");
is(query("SELECT pg_terminate_backend($holder_pid)"),
	't', "the gate's holder ended too");
finish($holder);
wait_until(
	"SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $holder_pid)",
	"backend $holder_pid exiting");
is( query(
		"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1396919617"
	),
	'0',
	"no advisory lock of schemata's outlives the terminated migrate");
$after = state_of('term_m');
$left += left_over($after, $before_gate);
is($after, "$before_gate $before_gate",
	"after pg_terminate_backend: the migrations before $gate committed and recorded"
);
is( query(
		"SELECT count(*) || ' ' || (to_regclass('term_m.t$gate') IS NOT NULL)
		   FROM schemata.migrations WHERE target_schema = 'term_m' AND version = '$gate'"
	),
	'0 false',
	'the migration waiting at the gate left no history row and no table');
quiet("CALL schemata.migrate('$dir', 'term_m')");
is(state_of('term_m'), "$count $count",
	'a new migrate finishes the job after pg_terminate_backend');

note "figures: backends_killed $killed, backends_terminated $terminated, "
  . "migrations_per_call $count, left_after_crash $left";
is($left, 0,
	'left_after_crash: no history row or table more or fewer than expected after the calls that were ended'
);

SchemataTAP::check_log($node, $killed);

done_testing();
