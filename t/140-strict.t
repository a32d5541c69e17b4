# vi:filetype=perl

# Strict in, valid out: what OpenAI refuses is refused with its 400 and
# the place named, and every byte sent to a client is UTF-8 whatever
# Bedrock sent (lone surrogate escapes become U+FFFD).

use lib '.';
use t::ChatCompletions;
use t::SSE;

plan("no_plan");

repeat_each(1);

sub ::err400 {
    my ($message, $param, $code) = @_;
    return '{"error":{"message":"' . $message
           . '","type":"invalid_request_error","param":'
           . (defined $param ? '"' . $param . '"' : 'null')
           . ',"code":"' . $code . '"}}' . "\n";
}

run_tests();

__DATA__

=== TEST 1: an overlong form (C0 AF) in a message: 400 naming the string and the byte
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. qq({"messages":[{"role":"system","content":"S"},{"role":"user","content":"Hello, \xc0\xaf"}]})
--- error_code: 400
--- response_body eval
::err400("Invalid UTF-8 in 'messages[1].content' at byte 7.", "messages[1].content", "invalid_encoding")
--- log_level: info
--- error_log
client sent invalid UTF-8: invalid UTF-8 in messages[1].content at byte 7
--- no_error_log
[error]



=== TEST 2: an encoded surrogate (ED A0 80) in a text part
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. qq({"messages":[{"role":"user","content":[{"type":"text","text":"ok"},{"type":"text","text":"ab\xed\xa0\x80"}]}]})
--- error_code: 400
--- response_body eval
::err400("Invalid UTF-8 in 'messages[0].content[1].text' at byte 2.", "messages[0].content[1].text", "invalid_encoding")



=== TEST 3: a code point above U+10FFFF (F4 90 80 80)
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. qq({"messages":[{"role":"user","content":"\xf4\x90\x80\x80"}]})
--- error_code: 400
--- response_body eval
::err400("Invalid UTF-8 in 'messages[0].content' at byte 0.", "messages[0].content", "invalid_encoding")



=== TEST 4: a truncated sequence (E2 82 before the closing quote)
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. qq({"messages":[{"role":"user","content":"price: \xe2\x82"}]})
--- error_code: 400
--- response_body eval
::err400("Invalid UTF-8 in 'messages[0].content' at byte 7.", "messages[0].content", "invalid_encoding")



=== TEST 5: an escaped lone surrogate (\udc00) is invalid too
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. q({"messages":[{"role":"user","content":"caf\u00e9 \udc00"}]})
--- error_code: 400
--- response_body eval
::err400("Invalid UTF-8 in 'messages[0].content' at byte 6.", "messages[0].content", "invalid_encoding")



=== TEST 6: a lone high surrogate before another escape
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. q({"messages":[{"role":"user","content":"x\ud800\u0041"}]})
--- error_code: 400
--- response_body eval
::err400("Invalid UTF-8 in 'messages[0].content' at byte 1.", "messages[0].content", "invalid_encoding")



=== TEST 7: invalid UTF-8 in a key: the byte offset in the body, param null
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. qq({"messages":[{"role":"user","content":"hi"}],"x\xff":1})
--- error_code: 400
--- response_body eval
::err400("Invalid UTF-8 in the request body at byte 47.", undef, "invalid_encoding")



=== TEST 8: an invalid model name is refused before it could be echoed
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. qq({"model":"gpt\xed\xb0\x80","messages":[{"role":"user","content":"hi"}]})
--- error_code: 400
--- response_body eval
::err400("Invalid UTF-8 in 'model' at byte 3.", "model", "invalid_encoding")



=== TEST 9: an empty stop string: 400
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"hi"}],"stop":""}
--- error_code: 400
--- response_body eval
::err400("Invalid 'stop': empty string. Expected a string with minimum length 1, but got an empty string instead.", "stop", "empty_string")



=== TEST 10: an empty string in a stop array: 400 naming it
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"hi"}],"stop":["END","",".."]}
--- error_code: 400
--- response_body eval
::err400("Invalid 'stop[1]': empty string. Expected a string with minimum length 1, but got an empty string instead.", "stop[1]", "empty_string")



=== TEST 11: a tool message whose tool_call_id matches no call
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_1","content":"one"},{"role":"tool","tool_call_id":"call_9","content":"nine"}]}
--- error_code: 400
--- response_body eval
::err400("Invalid parameter: 'tool_call_id' of 'call_9' not found in 'tool_calls' of previous message.", "messages[3].tool_call_id", "invalid_value")



=== TEST 12: a tool message with no assistant tool_calls before it
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"call_1","content":"one"}]}
--- error_code: 400
--- response_body eval
::err400("Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls'.", "messages[1].role", "invalid_value")



=== TEST 13: tool calls never answered before the next user turn
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"call_2","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_2","content":"two"},{"role":"user","content":"and?"}]}
--- error_code: 400
--- response_body eval
::err400("An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: call_1", "messages[1].tool_calls", "invalid_value")



=== TEST 14: tool-call arguments that are not JSON
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"city\":"}}]},{"role":"tool","tool_call_id":"call_1","content":"one"}]}
--- error_code: 400
--- response_body eval
::err400("Invalid 'messages[1].tool_calls[0].function.arguments': the arguments must be a JSON object encoded as a string, but they are not valid JSON (parse error: premature EOF).", "messages[1].tool_calls[0].function.arguments", "invalid_value")



=== TEST 15: tool-call arguments that parse into something else than an object
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"\"Oslo\""}}]},{"role":"tool","tool_call_id":"call_1","content":"one"}]}
--- error_code: 400
--- response_body eval
::err400("Invalid 'messages[1].tool_calls[0].function.arguments': the arguments must be a JSON object encoded as a string, but they are a string.", "messages[1].tool_calls[0].function.arguments", "invalid_value")



=== TEST 16: Bedrock streams lone surrogate escapes: the client gets U+FFFD, a pair its character, every byte UTF-8
--- config
    location = /v1/chat/completions {
        set $double_scenario "text=a%uDC00b%20%uD800A%20%uD83D%uDE00%20%uDBFF";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"hi"}],"stream":true}
--- response_body_like eval
t::SSE::sse_re(deltas => ['{"content":"a' . "\xef\xbf\xbd" . 'b"}',
                          '{"content":" ' . "\xef\xbf\xbd" . 'A"}',
                          '{"content":" ' . "\xf0\x9f\x98\x80" . '"}',
                          '{"content":" ' . "\xef\xbf\xbd" . '"}'])



=== TEST 17: the same text in a non-streamed answer
--- config
    location = /v1/chat/completions {
        set $double_scenario "text=a%uDC00b%20%uD800A%20%uD83D%uDE00; usage=1,2";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"hi"}],"stream":false}
--- response_body_like eval
'^\{"id":"chatcmpl-[A-Za-z0-9]{24}","object":"chat\.completion","created":\d+,"model":"amazon\.nova-lite-v1:0","choices":\[\{"index":0,"message":\{"role":"assistant","content":'
. quotemeta('"a' . "\xef\xbf\xbd" . 'b ' . "\xef\xbf\xbd" . 'A ' . "\xf0\x9f\x98\x80" . '"')
. ',"refusal":null\},"logprobs":null,"finish_reason":"stop"\}\],"usage":\{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":\{"cached_tokens":0\}\}\}\n?\z'



=== TEST 18: two tool calls of one message with the same id (found by t/fuzz/fuzz_request)
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"call_1","type":"function","function":{"name":"g","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_1","content":"one"},{"role":"tool","tool_call_id":"call_1","content":"two"}]}
--- error_code: 400
--- response_body eval
::err400("Invalid 'messages[1].tool_calls[1].id': duplicate tool call id 'call_1'; the tool calls of a message must have unique ids.", "messages[1].tool_calls[1].id", "invalid_value")
