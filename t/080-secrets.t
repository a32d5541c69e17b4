# vi:filetype=perl

# Secrets never reach the log, even at debug level: the AWS secret key,
# the session token, a Bedrock API key and the request's signature.  (The
# client's own Authorization header is printed by nginx's core when it
# reads the request, before any module runs; that is not the module's.)

use lib '.';
use t::ChatCompletions;
use t::SSE;

plan("no_plan");

run_tests();

__DATA__

=== TEST 1: temporary credentials at debug level: no secret key, token or signature in the log
--- http_config
    chat_completions_endpoint http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
    chat_completions_region us-east-1;
    chat_completions_access_key_id AKIDEXAMPLE;
    chat_completions_secret_access_key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
    chat_completions_session_token SESSIONTOKENthatMustNotBeLogged;
    chat_completions_keepalive_interval 0;
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2";
        chat_completions;
    }
--- log_level: debug
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
t::SSE::sse_re(deltas => ['{"content":"tok1"}', '{"content":" tok2"}'])
--- error_log
chatcompletions round 1: POST /model/amazon.nova-lite-v1%3A0/converse-stream
chatcompletions signed headers: content-type;host;x-amz-date;x-amz-security-token
chatcompletions round 1 done
--- no_error_log
SESSIONTOKENthatMustNotBeLogged
wJalrXUtnFEMI
Signature=
X-Amz-Security-Token
[error]



=== TEST 2: a Bedrock API key at debug level: the key is not in the log
--- http_config
    chat_completions_endpoint http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
    chat_completions_region us-east-1;
    chat_completions_api_key test-bedrock-api-key;
    chat_completions_keepalive_interval 0;
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- log_level: debug
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
t::SSE::sse_re(deltas => ['{"content":"tok1"}'])
--- error_log
chatcompletions round 1: POST /model/amazon.nova-lite-v1%3A0/converse-stream
--- no_error_log
test-bedrock-api-key
Bearer
[error]
