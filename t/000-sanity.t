# vi:filetype=perl

use lib '.';
use t::ChatCompletions;
use t::SSE;

plan("no_plan");

run_tests();

__DATA__

=== TEST 1: a bare request streams by default (no "stream" field)
--- config
    location = /api/chat/completions/ {
        set $double_scenario "tokens=3";
        chat_completions;
    }
--- request
POST /api/chat/completions/
{"messages":[{"role":"user","content":"Hello"}]}
--- response_headers
Content-Type: text/event-stream
Cache-Control: no-cache
X-Accel-Buffering: no
!Content-Length
--- response_body_like eval
t::SSE::sse_re(deltas => ['{"content":"tok1"}',
                                      '{"content":" tok2"}',
                                      '{"content":" tok3"}'])



=== TEST 2: "stream": false answers one chat.completion with real usage
--- config
    location = /v1/chat/completions {
        set $double_scenario "text=We%20offer%20loans; usage=45,120";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"model":"amazon.nova-lite-v1:0","stream":false,"messages":[{"role":"user","content":"What loan options are available?"}]}
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"id":"chatcmpl-[A-Za-z0-9]{24}","object":"chat\.completion","created":\d+,"model":"amazon\.nova-lite-v1:0","choices":\[\{"index":0,"message":\{"role":"assistant","content":"We offer loans","refusal":null\},"logprobs":null,"finish_reason":"stop"\}\],"usage":\{"prompt_tokens":45,"completion_tokens":120,"total_tokens":165,"prompt_tokens_details":\{"cached_tokens":0\}\}\}\n$



=== TEST 3: no "stream" but Accept: application/json (the SDKs) gets JSON
--- config
    location = /v1/chat/completions {
        set $double_scenario "text=Hi; usage=5,1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"model":"amazon.nova-lite-v1:0","messages":[{"role":"user","content":"Hello"}]}
--- more_headers
Accept: application/json
--- response_headers
Content-Type: application/json
--- response_body_like chomp
"content":"Hi".*"usage":\{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6



=== TEST 4: GET is refused with 405, an Allow header and an OpenAI error
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
GET /v1/chat/completions
--- error_code: 405
--- response_headers
Allow: POST
Content-Type: application/json
--- response_body
{"error":{"message":"Method GET is not allowed here; use POST.","type":"invalid_request_error","param":null,"code":"method_not_allowed"}}



=== TEST 5: malformed JSON is a 400 that says what is wrong
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"We could not parse the JSON body of your request (parse error: premature EOF). The body must be a JSON object.","type":"invalid_request_error","param":null,"code":"invalid_json"}}



=== TEST 6: a model that is neither the default nor an alias is a 404
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[{"role":"user","content":"Hello"}]}
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"The model `gpt-4o` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}



=== TEST 7: an alias maps a client model name to a Bedrock model id
--- config
    location = /v1/chat/completions {
        chat_completions_model_alias gpt-4o amazon.nova-pro-v1:0;
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[{"role":"user","content":"Hello"}]}
--- response_headers
Content-Type: text/event-stream
--- response_body_like eval
t::SSE::sse_re(model => 'gpt-4o',
                           deltas => ['{"content":"tok1"}'])
