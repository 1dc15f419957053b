# t/003_lock_table.pl -- 5,000 generated migrations that each create a table
# and take 20 advisory locks, with the default max_locks_per_transaction:
# 105,000 locks, far more than the shared lock table holds on any major (it
# grows into spare shared memory, which 17 and 18 have more of: 8,000 tables
# fit there).  apply() runs them in one transaction, which runs out of room
# in the shared lock table: PostgreSQL's error and SQLSTATE, with a hint
# naming max_locks_per_transaction, to_version and CALL schemata.migrate,
# and nothing applied.  CALL schemata.migrate() commits after each migration
# and applies them all.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use SchemataTAP;
use PostgreSQL::Test::Utils;
use Test::More;

my $n = 5000;
my $db = 'schemata_lock_table';

my $node = PostgreSQL::Test::Cluster->new('lock_table');
SchemataTAP::start_node($node);

my $dir = SchemataTAP::server_dir();
for my $i (1 .. $n)
{
	PostgreSQL::Test::Utils::append_to_file(
		sprintf('%s/%05d_table_%05d.sql', $dir, $i, $i),
		sprintf(
			"CREATE TABLE t%05d (id int);\nSELECT pg_advisory_xact_lock(%d, k) FROM generate_series(1, 20) k;\n",
			$i, $i));
}

$node->safe_psql('postgres', "CREATE DATABASE $db");
$node->safe_psql($db, 'CREATE EXTENSION schemata');

is($node->safe_psql($db, 'SHOW max_locks_per_transaction'),
	'64', 'max_locks_per_transaction has its default, 64');

# apply(): one transaction, fails
my ($out, $err);
my $rc = $node->psql(
	$db, "SET client_min_messages = warning;
	      SELECT count(*) FROM schemata.apply('$dir', 'lots');",
	stdout => \$out,
	stderr => \$err,
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
isnt($rc, 0, "apply() of $n table-creating migrations fails");
# psql -f names the script before the first line of an error
like(
	$err,
	qr/^(?:psql:[^\n]*: )?ERROR:  53200: out of shared memory$/m,
	"apply() fails with PostgreSQL's lock table error");
# 17 and later quote the setting's name
like(
	$err,
	qr/^HINT:  You might need to increase "?max_locks_per_transaction"?\. .*apply in steps with to_version, or use CALL schemata\.migrate\(\.\.\.\), which commits each migration\.$/m,
	"apply()'s error has the hint");
like($err, qr/^CONTEXT:  /m, "apply()'s error has a CONTEXT");
like(
	$err,
	qr/migration file "[0-9]*_table_[0-9]*\.sql", line [12]/,
	"apply()'s error names the migration file");
note $err;
is($node->safe_psql($db, 'SELECT count(*) FROM schemata.migrations'),
	'0', 'apply() failed and left no history row');
is($node->safe_psql($db, "SELECT to_regnamespace('lots') IS NULL"),
	't', 'apply() failed and left no schema lots');

# migrate(): one transaction per migration, succeeds
$node->safe_psql(
	$db, "SET client_min_messages = warning;
	      SET synchronous_commit = off;
	      CALL schemata.migrate('$dir', 'lots');");
is( $node->safe_psql(
		$db, "SELECT count(*), count(DISTINCT batch), count(DISTINCT xmin::text), max(version)
		        FROM schemata.migrations WHERE target_schema = 'lots'"),
	"$n|1|$n|0$n",
	"migrate(): $n rows in one batch and $n transactions, up to 0$n");
is( $node->safe_psql(
		$db, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		       WHERE n.nspname = 'lots' AND c.relkind = 'r'"),
	$n,
	"migrate(): $n tables in schema lots");

SchemataTAP::check_log($node, 0);

done_testing();
