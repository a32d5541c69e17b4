# More of the runner, in Test::Nginx::Socket's format (passes under the
# real module too): a fixed plan, master process with two workers,
# env_to_nginx, a block without --- config reusing the running nginx,
# shutdown_error_log, comment lines in --- request, an explicit
# Content-Length (body not trimmed), a request split into packets,
# timeout units, a regex response_body, --- init and
# --- post_setup_server_root.  Blocks run in order (no_shuffle) because
# TEST 2 reuses the nginx of TEST 1.

use Test::Nginx::Socket;

repeat_each(2);
plan tests => repeat_each() * (2 * blocks()) + 1;   # + shutdown_error_log

no_shuffle();
master_on();
workers(2);
env_to_nginx("TEST_NGINX_EXTRA_VAR=from-env");
log_level('info');

run_tests();

__DATA__

=== TEST 1: master process, two workers, env_to_nginx
--- config
    location = /w { return 200 "pid ok\n"; }
--- request
# a comment line before the request line
GET /w
--- response_body
pid ok



=== TEST 2: block without config reuses the previous nginx
--- request
GET /w
--- response_body
pid ok
--- shutdown_error_log
gracefully shutting down



=== TEST 3: explicit Content-Length keeps the body untrimmed
--- config
    location = /len {
        return 200 "len=$http_content_length te=$http_transfer_encoding\n";
    }
--- request
POST /len
hello
--- more_headers
Content-Length: 6
--- response_body
len=6 te=



=== TEST 4: request split into packets (headers are added in between)
--- config
    location = /len { return 200 "len=$http_content_length uri=$uri\n"; }
--- request eval
[["POST /l", "en\nhel", "lo"]]
--- response_body
len=5 uri=/len



=== TEST 5: timeout with a unit, regex response_body
--- config
    location = /t { return 200 "abc123\n"; }
--- request
GET /t
--- timeout: 500ms
--- response_body eval
qr/^abc\d+$/



=== TEST 6: init and post_setup_server_root
--- init
$main::InitRan = ($main::InitRan // 0) + 1;
--- post_setup_server_root
open my $f, '>', "$Test::Nginx::Util::ServRoot/html/setup.txt" or die $!;
print $f "setup\n";
close $f;
--- config
--- request
GET /setup.txt
--- response_body
setup
