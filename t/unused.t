# vi:filetype=perl

# The module is loaded but these locations do not use chat_completions: they
# must behave exactly as they do without the module.  TEST 1 has no
# chat_completions location at all; the others have one next to them, so
# the module's header and body filters are installed and see every request.

use lib '.';
use t::ChatCompletions;
use t::SSE;

plan("no_plan");

$ENV{TEST_NGINX_BEDROCK_PORT} ||= $t::ChatCompletions::BedrockPort;

run_tests();

__DATA__

=== TEST 1: no chat_completions anywhere: "return 200" with a text body is untouched
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
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }

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
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }

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
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }

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
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }

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
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }

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



=== TEST 7: a chat request and then plain requests on the same server: nothing of the chat leaks
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }

    location = /plain {
        default_type text/plain;
        return 200 "plain\n";
    }

    location = /backend {
        default_type text/plain;
        return 200 "from the backend\n";
    }

    location = /front {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend;
    }
--- request eval
["POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"Hello"}]}',
 "GET /plain",
 "GET /front"]
--- response_headers eval
["Content-Type: text/event-stream",
 "Content-Type: text/plain\n!Cache-Control\n!X-Accel-Buffering",
 "Content-Type: text/plain\nContent-Length: 17\n!Cache-Control\n!X-Accel-Buffering"]
--- response_body_like eval
['^data: .*data: \[DONE\]\n\n\z',
 '^plain\n\z',
 '^from the backend\n\z']
