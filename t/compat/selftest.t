# Self-test of the Test::Nginx::Socket-compatible runner in t/compat.
#
# Written in Test::Nginx::Socket's own format, using only stock nginx
# modules, so it passes under both the real openresty/test-nginx and the
# compat runner:
#
#     prove -I t/compat t/compat/selftest.t
#
# t/compat/selftest_failures.t checks that the runner also fails when it
# should (fixtures in t/compat/fixtures/).

use strict;
use warnings;

use IO::Socket::INET;
use Test::Nginx::Socket 'no_plan';

# A listener that never accepts: the kernel completes nginx's connection,
# nginx sends its request, and no answer ever comes.  Proxying to it stalls
# a request until the client gives up (--- timeout + --- abort).
our $Stall = IO::Socket::INET->new(
    Listen    => 16,
    LocalAddr => '127.0.0.1',
    LocalPort => 0,
    Proto     => 'tcp',
    ReuseAddr => 1,
) or die "cannot listen: $!";
$ENV{TEST_NGINX_STALL_PORT} = $Stall->sockport;

repeat_each(2);

# A made-up section: "--- tag: X" becomes an "X-Tag: X" request header.
add_block_preprocessor(sub {
    my $block = shift;
    if (defined(my $tag = $block->tag)) {
        $block->set_value("more_headers",
                          ($block->more_headers // '') . "X-Tag: $tag\n");
    }
});

# A made-up check: "--- body_length: N" checks the response body length.
add_response_body_check(sub {
    my ($block, $body, $req_idx, $repeated_req_idx, $dry_run) = @_;
    my $expected = $block->body_length;
    return unless defined $expected;
    my $name = $block->name;
    SKIP: {
        skip "$name - body_length - tests skipped due to $dry_run", 1
            if $dry_run;
        is(length($body // ''), $expected,
           "$name - body_length (repeated req $repeated_req_idx, "
           . "req $req_idx)");
    }
});

run_tests();

__DATA__

=== TEST 1: static return, exact body and headers
--- config
    location = /hello {
        add_header X-Hello yes;
        return 200 "hello\n";
    }
--- request
GET /hello
--- response_body
hello
--- response_headers
Content-Type: text/plain
Content-Length: 6
X-Hello: yes
!X-Missing
!Transfer-Encoding
--- no_error_log
[error]
[alert]



=== TEST 2: missing file gives 404 and an error.log line
--- config
--- request
GET /missing.html
--- error_code: 404
--- response_body_like: 404 Not Found
--- error_log eval
[qr/\[error\] .*open\(\) ".*missing\.html" failed/,
 "No such file or directory"]
--- grep_error_log eval: qr/open\(\) "[^"]+" failed/
--- grep_error_log_out
open() "$TEST_NGINX_SERVER_ROOT/html/missing.html" failed



=== TEST 3: response_body_like is not anchored; response_headers_like is
--- config
    location = /v {
        add_header X-Version "v$nginx_version";
        return 200 "version: $nginx_version, ok\n";
    }
--- request
GET /v
--- response_body_like: \d+\.\d+\.\d+
--- response_headers_like
X-Version: v\d+\.\d+\.\d+
Content-Type: text/.*



=== TEST 4: response_body_unlike and error_code_like
--- config
    location = /t {
        return 201 "created\n";
    }
--- request
GET /t
--- error_code_like: ^20[01]$
--- response_body_unlike: error



=== TEST 5: chunked response (SSI include), de-chunked before comparing
--- config
    location = /page.html {
        ssi on;
        root html;
    }
--- user_files
>>> page.html
begin
<!--# include virtual="/part.txt" -->
end
>>> part.txt
middle
--- request
GET /page.html
--- raw_response_headers_like: Transfer-Encoding: chunked\r\n
--- response_headers
!Content-Length
--- response_body
begin
middle

end
--- body_length: 18



=== TEST 6: more_headers, plus a header added by a block preprocessor
--- config
    location = /h {
        return 200 "foo=$http_x_foo tag=$http_x_tag host=$host\n";
    }
--- request
GET /h
--- more_headers
X-Foo: bar
--- tag: from-preprocessor
--- response_body
foo=bar tag=from-preprocessor host=localhost



=== TEST 7: request body gets a Content-Length (the body is trimmed)
--- config
    location = /len {
        return 200 "method=$request_method len=$http_content_length\n";
    }
--- request
POST /len
  {"model": "x"}
--- response_body
method=POST len=14



=== TEST 8: raw_request sent verbatim, in two pieces
--- config
    location = /raw {
        return 200 "raw $server_protocol $http_x_split\n";
    }
--- raw_request eval
["GET /raw HTTP/1.0\r\nX-Sp",
 "lit: yes\r\n\r\n"]
--- response_body
raw HTTP/1.0 yes



=== TEST 9: request eval with several requests, one expectation each
--- config
    location = /a { return 200 "a\n"; }
    location = /b { return 200 "b\n"; }
--- request eval
["GET /a", "GET /b", "GET /none.html"]
--- error_code eval
[200, 200, 404]
--- response_body eval
["a\n", "b\n", qr/404 Not Found/]



=== TEST 10: pipelined requests on one keep-alive connection
--- config
    location = /a { return 200 "a\n"; }
    location = /b { return 200 "bb\n"; }
--- pipelined_requests eval
["GET /a", "GET /b"]
--- response_body eval
["a\n", "bb\n"]



=== TEST 11: HEAD request has no body
--- config
    location = /hello { return 200 "hello\n"; }
--- request
HEAD /hello
--- response_headers
Content-Length: 6
--- response_body chomp



=== TEST 12: $TEST_NGINX_* in config, http_config, main_config and bodies
--- main_config
    env TEST_NGINX_SERVER_PORT;
--- http_config
    map $uri $where {
        default "port-$TEST_NGINX_SERVER_PORT";
    }
--- config
    location = /env {
        return 200 "listening on $TEST_NGINX_SERVER_PORT via $where\n";
    }
--- request
GET /env
--- response_body
listening on $TEST_NGINX_SERVER_PORT via port-$TEST_NGINX_SERVER_PORT



=== TEST 13: user_files served from the html directory
--- config
--- user_files
>>> sub/dir/file.txt
first line
second line
--- request
GET /sub/dir/file.txt
--- response_body
first line
second line
--- body_length: 23



=== TEST 14: abort + timeout on a request that never completes
--- log_level: info
--- config
    location = /stall {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STALL_PORT;
    }
--- request
GET /stall
--- timeout: 0.5
--- abort
--- ignore_response
--- wait: 0.2
--- error_log
client prematurely closed connection



=== TEST 15: per-block log_level hides lower-level messages
--- log_level: crit
--- config
--- request
GET /missing-too.html
--- error_code: 404
--- no_error_log
[error]
No such file



=== TEST 16: response_body_filters
--- config
    location = /hello { return 200 "hello\n"; }
--- request
GET /hello
--- response_body_filters
uc
--- response_body
HELLO



=== TEST 17: skip_nginx skips the given number of tests
--- skip_nginx: 3: > 0.1.0
--- config
    location = /never { return 500; }
--- request
GET /never
--- response_body
not checked
--- no_error_log
[error]



=== TEST 18: a skipped block is not run
--- SKIP
--- config
    location = /never { return 500; }
--- request
GET /never
--- response_body
never compared
