# t/SchemataTAP.pm -- what the TAP tests in t/ share: a throwaway cluster on
# PostgreSQL::Test::Cluster with schemata's settings, started in the
# environment that test/run_all.sh asks for (the sanitized pass preloads the
# ASan runtime there), and the closing check of its server log.
#
# The tests need PostgreSQL::Test::Cluster (15 and later; 13 and 14 ship
# PostgresNode instead): without it they are skipped, with the reason.
package SchemataTAP;

use strict;
use warnings;
use Test::More;
use Cwd;

BEGIN
{
	unless (eval { require PostgreSQL::Test::Cluster; 1 })
	{
		plan skip_all =>
		  'PostgreSQL::Test::Cluster is missing (PostgreSQL 15 or later '
		  . 'ships it with the server development files): ' . $@;
	}
	require PostgreSQL::Test::Utils;
}

# An interrupted test still stops its clusters: exit runs the END block of
# PostgreSQL::Test::Cluster.
$SIG{$_} = sub { exit 1 } for qw(INT TERM HUP);

# A line of the server log that starts a sanitizer report.
my $sanitizer_report =
  qr/ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer/;

# SCHEMATA_TAP_SERVER_ENV: NAME=VALUE lines, one a line, that the server
# runs with (test/run_all.sh sets it in the sanitized pass).
sub server_env
{
	my %env;
	for my $line (split /\n/, $ENV{SCHEMATA_TAP_SERVER_ENV} // '')
	{
		my ($name, $value) = split /=/, $line, 2;
		$env{$name} = $value if defined $value;
	}
	return %env;
}

# start_node(NODE, CONF): initdb for NODE (a new PostgreSQL::Test::Cluster),
# CONF appended to its postgresql.conf, and start it; each test creates the
# extension itself.
sub start_node
{
	my ($node, $conf) = @_;
	$node->init;
	$node->append_conf('postgresql.conf',
		"timezone = 'UTC'\nlc_messages = 'C'\n" . ($conf // ''));
	my %env = server_env();
	local @ENV{ keys %env } = values %env;
	$node->start;
	return;
}

# server_dir(): a new directory for files the server reads, by its full
# path (the tests run from the source tree, and PostgreSQL::Test::Utils's
# directories are relative to it where make installcheck does not set
# TESTDIR, as 17's PGXS does not).
sub server_dir
{
	return Cwd::abs_path(PostgreSQL::Test::Utils::tempdir());
}

# check_log(NODE, KILLED): stops NODE (a report may come at shutdown), then
# checks its server log: exactly KILLED backends died by a signal, each of
# them by SIGKILL, and no sanitizer reported anything.
sub check_log
{
	my ($node, $killed) = @_;
	$node->stop;
	my $log = PostgreSQL::Test::Utils::slurp_file($node->logfile);
	my $died = () = $log =~ /terminated by signal/g;
	my $sigkill = () = $log =~ /terminated by signal 9: Killed/g;
	is($died, $killed,
		"server log: $killed backends died by a signal, those killed on purpose");
	is($sigkill, $killed, "server log: $killed backends died by SIGKILL");
	my @reports = grep { /$sanitizer_report/ } split /\n/, $log;
	is(scalar @reports, 0, 'server log: no sanitizer report')
	  or diag(join "\n", @reports);
	return;
}

1;
