# The compat runner must fail when it should.  Runs the deliberately
# failing fixtures in t/compat/fixtures/ through t/compat's
# Test::Nginx::Socket (whatever Test::Nginx is installed) and checks, from
# their TAP output, that exactly the expected checks fail and the others
# pass.  Plain Test::More.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(remove_tree);
use Test::More;

my $compat = dirname(abs_path(__FILE__));           # .../t/compat
chdir dirname(dirname($compat)) or die "chdir: $!";  # the repository root

my $servroot = 't/servroot_compat_fixtures';

# Run one fixture; returns its TAP test lines as [ok?, description].
sub run_fixture {
    my $file = shift;
    local $ENV{TEST_NGINX_NO_SHUFFLE} = 1;
    local $ENV{TEST_NGINX_SERVROOT}   = $servroot;
    my $out = `"$^X" -I "$compat" "$compat/fixtures/$file" 2>&1`;
    my @tests;
    while ($out =~ /^(not )?ok \d+ - (.*)$/mg) {
        push @tests, [$1 ? 0 : 1, $2];
    }
    diag("output of $file:\n$out") if $ENV{TEST_VERBOSE};
    return ($out, \@tests);
}

# --- failing.tn: one list of expected failures per block.
my ($out, $tests) = run_fixture('failing.tn');

my @expected_failures = (
    qr/TEST 1: .* - response_body - response is expected/,
    qr/TEST 2: .* - status code ok/,
    qr/TEST 3: .* - header Content-Type not present in the raw headers/,
    qr/TEST 3: .* - header X-Hello ok/,
    qr/TEST 4: .* - pattern "this text is never logged" should match a line/,
    qr/TEST 5: .* - pattern "\[error\]" should not match any line/,
    qr/^ERROR: client socket timed out - .*TEST 6: /,
    qr/TEST 7: .* - invalid chunked body received: hello/,
    qr/TEST 7: .* - status code ok/,
    qr/TEST 8: .* - header Content-Type like ok/,
    qr/TEST 8: .* - response_body_like - response is expected/,
    qr/TEST 9: .* - nginx failed to start/,
    qr/TEST 10: .* - response_body - .* \(repeated req 0, req 1\)/,
    qr/TEST 11: .* - grep_error_log_out/,
);

my @failed = map { $_->[1] } grep { !$_->[0] } @$tests;
for my $re (@expected_failures) {
    my @hits = grep { $_ =~ $re } @failed;
    is(scalar @hits, 1, "exactly one failure matches $re");
}
is(scalar @failed, scalar @expected_failures, "no other check failed")
    or diag(join "\n", "failed checks:", @failed);

# The checks that must pass next to the failing ones.
my @expected_passes = (
    qr/TEST 1: .* - status code ok/,
    qr/TEST 2: .* - response_body - response is expected/,
    qr/TEST 3: .* - header Content-Length ok/,
    qr/TEST 10: .* - response_body - .* \(repeated req 0, req 0\)/,
);
my @passed = map { $_->[1] } grep { $_->[0] } @$tests;
for my $re (@expected_passes) {
    ok((grep { $_ =~ $re } @passed), "a passing check matches $re");
}
is(scalar @$tests, 27, "failing.tn ran 27 checks") or diag($out);
like($out, qr/nginx: \[emerg\] unknown directive "no_such_directive"/,
     "nginx's own error is shown when it cannot start");

# --- only.tn: with --- ONLY, only that block runs.
($out, $tests) = run_fixture('only.tn');
is_deeply([map { $_->[0] } @$tests], [1, 1], "ONLY: two checks, both pass")
    or diag($out);
ok((grep { $_->[1] =~ /TEST 2: the only block/ } @$tests) == 2,
   "ONLY: the checks are those of the ONLY block");

remove_tree($servroot);
done_testing();
