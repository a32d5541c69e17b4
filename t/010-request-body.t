# vi:filetype=perl

use lib '.';
use t::ChatCompletions;
use t::SSE;

plan("no_plan");

our $LongText = join ' ', map { "w$_" } 1 .. 3000;

run_tests();

__DATA__

=== TEST 1: a body larger than client_body_buffer_size goes to a temp file and is still parsed whole
--- config
    location = /v1/chat/completions {
        client_body_buffer_size 1k;
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. '{"messages":[{"role":"user","content":"' . $main::LongText . '"}]}'
--- response_headers
Content-Type: text/event-stream
--- response_body_like eval
'^' . t::SSE::sse_re(deltas => ['{"content":"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"'
                                . $main::LongText . '\"}]}]}"}']) . '\z'
--- error_log
a client request body is buffered to a temporary file
--- no_error_log
[error]
[alert]
[crit]



=== TEST 2: a Content-Length body over client_max_body_size is a 413 OpenAI error
--- config
    location = /v1/chat/completions {
        client_max_body_size 64;
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. '{"messages":[{"role":"user","content":"' . ('x' x 200) . '"}]}'
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"The request body is larger than client_max_body_size allows.","type":"invalid_request_error","param":null,"code":"request_too_large"}}
--- error_log
client intended to send too large body
--- no_error_log
[alert]
[crit]



=== TEST 3: a chunked body that grows over client_max_body_size is a 413 OpenAI error
--- config
    location = /v1/chat/completions {
        client_max_body_size 64;
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- more_headers
Transfer-Encoding: chunked
--- request eval
my $b = '{"messages":[{"role":"user","content":"' . ('x' x 200) . '"}]}';
"POST /v1/chat/completions\n" . sprintf("%x\r\n%s\r\n0\r\n\r\n", length $b, $b)
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"The request body is larger than client_max_body_size allows.","type":"invalid_request_error","param":null,"code":"request_too_large"}}
--- error_log
client intended to send too large chunked body
--- no_error_log
[alert]
[crit]



=== TEST 4: a POST with no body at all is a 400 that says the body is empty
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"We could not parse the JSON body of your request (the request body is empty). The body must be a JSON object.","type":"invalid_request_error","param":null,"code":"invalid_json"}}



=== TEST 5: "Content-Length: 0" is an empty body too, and says so
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- more_headers
Content-Length: 0
--- request
POST /v1/chat/completions
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"We could not parse the JSON body of your request (the request body is empty). The body must be a JSON object.","type":"invalid_request_error","param":null,"code":"invalid_json"}}



=== TEST 6: a JSON array body is valid JSON but not an object: 400 invalid_type
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
[{"role":"user","content":"Hello"}]
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"The request body must be a JSON object.","type":"invalid_request_error","param":null,"code":"invalid_type"}}



=== TEST 7: a bare JSON string body is not an object either: 400 invalid_type
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
"Hello"
--- error_code: 400
--- response_body
{"error":{"message":"The request body must be a JSON object.","type":"invalid_request_error","param":null,"code":"invalid_type"}}



=== TEST 8: "messages" that is an object, not an array, names the field and both types
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":{"role":"user","content":"Hello"}}
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"Invalid type for 'messages': expected an array, but got an object instead.","type":"invalid_request_error","param":"messages","code":"invalid_type"}}



=== TEST 9: a numeric content names the message index and the field
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":42}]}
--- error_code: 400
--- response_body
{"error":{"message":"Invalid type for 'messages[1].content': expected a string or an array of content parts, but got an integer instead.","type":"invalid_request_error","param":"messages[1].content","code":"invalid_type"}}



=== TEST 10: a non-string text part names the part's path
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":true}]}]}
--- error_code: 400
--- response_body
{"error":{"message":"Invalid type for 'messages[0].content[1].text': expected a string, but got a boolean instead.","type":"invalid_request_error","param":"messages[0].content[1].text","code":"invalid_type"}}



=== TEST 11: temperature as a string is a 400 on 'temperature'
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"temperature":"0.5"}
--- error_code: 400
--- response_body
{"error":{"message":"Invalid type for 'temperature': expected a number, but got a string instead.","type":"invalid_request_error","param":"temperature","code":"invalid_type"}}



=== TEST 12: temperature above 2 is out of range
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"temperature":3}
--- error_code: 400
--- response_body
{"error":{"message":"Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 instead.","type":"invalid_request_error","param":"temperature","code":"decimal_above_max_value"}}



=== TEST 13: n=2 is refused: Bedrock gives one choice
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"n":2}
--- error_code: 400
--- response_body
{"error":{"message":"Invalid 'n': 2. Only n=1 is supported.","type":"invalid_request_error","param":"n","code":"unsupported_value"}}



=== TEST 14: n=1 is accepted
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"n":1}
--- response_body_like eval
'^' . t::SSE::sse_re(deltas => ['{"content":"tok1"}']) . '\z'



=== TEST 15: "stream" as a string is a 400 on 'stream'
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":"true"}
--- error_code: 400
--- response_body
{"error":{"message":"Invalid type for 'stream': expected a boolean, but got a string instead.","type":"invalid_request_error","param":"stream","code":"invalid_type"}}



=== TEST 16: stream_options.include_usage as a number names the nested path
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream_options":{"include_usage":1}}
--- error_code: 400
--- response_body
{"error":{"message":"Invalid type for 'stream_options.include_usage': expected a boolean, but got an integer instead.","type":"invalid_request_error","param":"stream_options.include_usage","code":"invalid_type"}}



=== TEST 17: max_tokens as a decimal is refused as not an integer
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"max_tokens":1.5}
--- error_code: 400
--- response_body
{"error":{"message":"Invalid type for 'max_tokens': expected an integer, but got a decimal instead.","type":"invalid_request_error","param":"max_tokens","code":"invalid_type"}}



=== TEST 18: an unknown role names the message and lists the supported roles
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"},{"role":"bot","content":"Hi"}]}
--- error_code: 400
--- response_body
{"error":{"message":"Invalid value for 'messages[1].role': 'bot'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.","type":"invalid_request_error","param":"messages[1].role","code":"invalid_value"}}
