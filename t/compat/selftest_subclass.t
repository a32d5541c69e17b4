# A Test::Nginx::Socket subclass (t/compat/lib/CompatTester.pm, made with
# "use Test::Nginx::Socket -Base;") exports the whole API to the .t file,
# and its block preprocessor supplies a default --- config.

use FindBin;
use lib "$FindBin::Bin/lib";
use CompatTester 'no_plan';

for my $f (qw(run_tests blocks repeat_each no_long_string log_level
              no_shuffle master_on master_off workers worker_connections
              env_to_nginx add_block_preprocessor add_response_body_check
              no_root_location server_name html_dir server_root server_port
              timeout plan is isnt like unlike ok pass fail diag skip
              is_deeply))
{
    ok(main->can($f), "$f is exported through the subclass");
}
is(server_port(), $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
                  || 1984, "server_port() returns the port");

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: config supplied by the subclass's block preprocessor
--- request
GET /sub
--- response_body
from subclass



=== TEST 2: a block's own config wins
--- config
    location = /sub { return 200 "own\n"; }
--- request
GET /sub
--- response_body
own
