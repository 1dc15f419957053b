# t/001_dump_restore.pl -- pg_dump and pg_restore keep the history: the
# restored database has the same rows, and applying the same directory there
# applies nothing.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use SchemataTAP;
use PostgreSQL::Test::Utils;
use Test::More;

my $basic = "$FindBin::RealBin/../test/fixtures/basic";

my $node = PostgreSQL::Test::Cluster->new('dump');

# pg_dump refuses a server of a newer major than its own: test/run_all.sh
# stages Debian 12's pg_dump (15) beside the servers of 17 and 18.
my ($version) = run_command([ 'pg_dump', '--version' ]);
my ($client) = $version =~ /^pg_dump \(PostgreSQL\) (\d+)/
  or BAIL_OUT("cannot read the version of pg_dump: $version");
my $server = $node->pg_version->major(separator => '.');
plan skip_all => "pg_dump $client cannot dump a PostgreSQL $server server"
  if $server > $client;

SchemataTAP::start_node($node);
my $dump = PostgreSQL::Test::Utils::tempdir() . '/dump_src.dump';

$node->safe_psql('postgres', 'CREATE DATABASE dump_src');
$node->safe_psql('postgres', 'CREATE DATABASE dump_dst');
$node->safe_psql(
	'dump_src', qq{
	CREATE EXTENSION schemata;
	SET client_min_messages = warning;
	SELECT count(*) FROM schemata.apply('$basic');
	SELECT count(*) FROM schemata.apply('$basic', 'tenant');
});

$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, 'dump_src' ], 'pg_dump');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', 'dump_dst', $dump ],
	'pg_restore');

my $history = q{
	SELECT target_schema, version, name, checksum, batch, applied_at, down_sql
	  FROM schemata.migrations ORDER BY 1, 2};
is( $node->safe_psql('dump_dst', $history),
	$node->safe_psql('dump_src', $history),
	'history restored row for row');
is($node->safe_psql('dump_dst', 'SELECT count(*) FROM schemata.migrations'),
	'8', 'eight history rows');

is( $node->safe_psql(
		'dump_dst', qq{
	SET client_min_messages = warning;
	SELECT count(*) FROM schemata.apply('$basic');
}),
	'0',
	'apply on the restored database applies nothing');
is( $node->safe_psql(
		'dump_dst', qq{
	SET client_min_messages = warning;
	SELECT string_agg(DISTINCT state, ',') FROM schemata.status('$basic');
}),
	'applied',
	'every migration applied after restore');

SchemataTAP::check_log($node, 0);

done_testing();
