# vi:filetype=perl

# The module is loaded (its header and body filters run for every request)
# but these locations do not use chat_completions: they must behave exactly
# as they do without the module.

use lib '.';
use t::ChatCompletions;
use t::SSE;

plan("no_plan");

run_tests();

__DATA__

=== TEST 1: "return 200" with a text body is untouched
--- config
    location = /plain {
        default_type text/plain;
        return 200 "hello, world\n";
    }
--- request
GET /plain
--- response_headers
Content-Type: text/plain
Content-Length: 13
!Cache-Control
!X-Accel-Buffering
!Transfer-Encoding
--- response_body
hello, world



=== TEST 2: a POST to a location without chat_completions is not answered by the module
--- config
    location = /v1/other {
        default_type text/plain;
        return 200 "other\n";
    }
--- request
POST /v1/other
{"messages":[{"role":"user","content":"Hello"}]}
--- response_headers
Content-Type: text/plain
--- response_body
other



=== TEST 3: a plain proxy_pass to another local location passes body and headers through
--- config
    location = /backend {
        default_type text/plain;
        add_header X-Backend yes;
        return 200 "from the backend\n";
    }

    location = /front {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
--- request
GET /front
--- response_headers
Content-Type: text/plain
Content-Length: 17
X-Backend: yes
!Cache-Control
!X-Accel-Buffering
--- response_body
from the backend



=== TEST 4: an error status from a proxied location stays as it is (no JSON error)
--- config
    location = /backend {
        return 503;
    }

    location = /front {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
--- request
GET /front
--- error_code: 503
--- response_headers
Content-Type: text/html
--- response_body_like eval
'^<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n'
--- no_error_log
[alert]
[crit]



=== TEST 5: a chunked binary eventstream proxied without chat_completions reaches the client raw
--- config
    location = /raw-bedrock {
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/model/amazon.nova-lite-v1%3A0/converse-stream;
        proxy_http_version 1.1;
        proxy_set_header Authorization "Bearer test-bedrock-api-key";
        proxy_set_header Content-Type application/json;
        proxy_set_header X-Double-Scenario "tokens=3; split=7";
        proxy_buffering off;
    }
--- request
POST /raw-bedrock
{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}
--- response_headers
Content-Type: application/vnd.amazon.eventstream
Transfer-Encoding: chunked
!Cache-Control
!X-Accel-Buffering
--- response_body_like eval
'^(?!.*data: )\x00\x00..'
. '.*\x0b:event-type\x07\x00\x0cmessageStart'
. '.*\{"contentBlockIndex":0,"delta":\{"text":"tok1"\}'
. '.*\{"contentBlockIndex":0,"delta":\{"text":" tok2"\}'
. '.*\{"contentBlockIndex":0,"delta":\{"text":" tok3"\}'
. '.*\x07\x00\x0bmessageStop.*\{"stopReason":"end_turn"'
. '.*\x07\x00\x08metadata.*\{"usage":\{"inputTokens":11,"outputTokens":3,"totalTokens":14\}'
. '.*....\z'



=== TEST 6: the same eventstream, buffered by the proxy, is also untouched
--- config
    location = /raw-bedrock {
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/model/amazon.nova-lite-v1%3A0/converse-stream;
        proxy_http_version 1.1;
        proxy_set_header Authorization "Bearer test-bedrock-api-key";
        proxy_set_header Content-Type application/json;
        proxy_set_header X-Double-Scenario "tokens=2";
    }
--- request
POST /raw-bedrock
{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}
--- response_headers
Content-Type: application/vnd.amazon.eventstream
--- response_body_like eval
'^(?!.*data: )\x00\x00.*messageStart.*"text":"tok1".*"text":" tok2".*messageStop.*metadata.*\z'
