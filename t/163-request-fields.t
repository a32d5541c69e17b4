# vi:filetype=perl

# Request fields beyond the conversation: chat_completions_latency
# (performanceConfig), service_tier and chat_completions_service_tier[_allow]
# (serviceTier, and the answer's service_tier), metadata and user
# (requestMetadata, with chat_completions_request_metadata),
# parallel_tool_calls (Claude's disable_parallel_tool_use), tool_choice
# "none" on a history with tool calls.

use lib '.';
use t::ChatCompletions;
use t::SSE;

plan("no_plan");

our $Claude = 'us.anthropic.claude-sonnet-4-20250514-v1:0';

our $Tools = '"tools":[{"type":"function","function":{"name":"get_weather",'
    . '"parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]';

our $Spec = '"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather",'
    . '"inputSchema":{"json":{"type":"object","properties":{"city":'
    . '{"type":"string"}}}}}}]';

our $Hi = '{"messages":[{"role":"user","content":[{"text":"Hi"}]}]';

# the SSE answer holding the request body the double received (echo=1)
sub echo_re {
    my ($body, %a) = @_;
    (my $e = $body) =~ s/(["\\])/\\$1/g;
    return t::SSE::sse_re(%a, deltas => ['{"content":"' . $e . '"}']);
}

sub err400 {
    my ($param, $code, $msg) = @_;
    return '{"error":{"message":"' . $msg . '","type":"invalid_request_error",'
           . '"param":"' . $param . '","code":"' . $code . '"}}' . "\n";
}

run_tests();

__DATA__

=== TEST 1: chat_completions_latency optimized: performanceConfig
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions_latency optimized;
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"stream":true}
--- response_body_like eval
main::echo_re($main::Hi . ',"performanceConfig":{"latency":"optimized"}}')



=== TEST 2: chat_completions_service_tier priority is sent when the client asks nothing
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions_service_tier priority;
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"stream":true}
--- response_body_like eval
main::echo_re($main::Hi . ',"serviceTier":{"type":"priority"}}')



=== TEST 3: a tier the client may ask for replaces it; "auto" keeps it; one not allowed is ignored
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions_service_tier default;
        chat_completions_service_tier_allow flex priority;
        chat_completions;
    }
--- pipelined_requests eval
["POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"Hi"}],"stream":true,"service_tier":"flex"}',
 "POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"Hi"}],"stream":true,"service_tier":"auto"}',
 "POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"Hi"}],"stream":true,"service_tier":"scale"}']
--- response_body_like eval
[main::echo_re($main::Hi . ',"serviceTier":{"type":"flex"}}'),
 main::echo_re($main::Hi . ',"serviceTier":{"type":"default"}}'),
 main::echo_re($main::Hi . ',"serviceTier":{"type":"default"}}')]



=== TEST 4: no tier allowed (the default): the client's is ignored, none is sent
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"stream":true,"service_tier":"priority"}
--- response_body_like eval
main::echo_re($main::Hi . '}')



=== TEST 5: an unknown tier is a 400, as OpenAI answers
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"service_tier":"fast"}
--- error_code: 400
--- response_body eval
main::err400('service_tier', 'invalid_value', "Invalid value for 'service_tier': 'fast'. Supported values are: 'auto', 'default', 'flex', 'scale' and 'priority'.")



=== TEST 6: the tier Bedrock reports is the answer's service_tier (JSON answer) and $chat_completions_service_tier
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1; usage=3,1";
        chat_completions_service_tier flex;
        add_header X-Tier $chat_completions_service_tier always;
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"stream":false}
--- response_headers
X-Tier: flex
--- response_body_like eval
qr/"usage":\{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4,"prompt_tokens_details":\{"cached_tokens":0\}\},"service_tier":"flex"\}\n\z/



=== TEST 7: ... and in the usage chunk of a stream
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1; usage=3,1; tier=priority";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":true}}
--- response_body_like eval
my $re = t::SSE::sse_re(deltas => ['{"content":"tok1"}'], usage => '{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4,"prompt_tokens_details":{"cached_tokens":0}}');
$re =~ s/\\\}\\n\\n(data: \\\[DONE\\\])/,"service_tier":"priority"\\}\\n\\n$1/;
$re



=== TEST 8: metadata and user go to requestMetadata when chat_completions_request_metadata is on
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions_request_metadata on;
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"stream":true,"metadata":{"team":"voice","call":"c-42"},"user":"user-7"}
--- response_body_like eval
main::echo_re($main::Hi . ',"requestMetadata":{"team":"voice","call":"c-42","user":"user-7"}}')



=== TEST 9: off (the default): Vapi's metadata object, whatever its shape, is ignored
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"stream":true,"metadata":{"call":{"id":"c-1"},"n":5},"user":"user-7"}
--- response_body_like eval
main::echo_re($main::Hi . '}')



=== TEST 10: on: a value that is not a string is a 400, as OpenAI answers
--- config
    location = /v1/chat/completions {
        chat_completions_request_metadata on;
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"metadata":{"call":{"id":"c-1"}}}
--- error_code: 400
--- response_body eval
main::err400('metadata.call', 'invalid_type', "Invalid type for 'metadata.call': expected a string, but got an object instead.")



=== TEST 11: on: a pair Bedrock would refuse (a character outside its set) is left out
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions_request_metadata on;
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"stream":true,"metadata":{"ok":"yes","q":"why?"}}
--- response_body_like eval
main::echo_re($main::Hi . ',"requestMetadata":{"ok":"yes"}}')



=== TEST 12: parallel_tool_calls false on Claude: Anthropic's tool_choice with disable_parallel_tool_use, no toolChoice
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions_model_alias claude us.anthropic.claude-sonnet-4-20250514-v1:0;
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. '{"model":"claude","messages":[{"role":"user","content":"Hi"}],"stream":true,"parallel_tool_calls":false,"tool_choice":"required",' . $main::Tools . '}'
--- response_body_like eval
main::echo_re($main::Hi . ',' . $main::Spec . '},"additionalModelRequestFields":{"tool_choice":{"type":"any","disable_parallel_tool_use":true}}}', model => 'claude')



=== TEST 13: parallel_tool_calls false on Nova: nothing Bedrock takes, the tool choice as usual
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. '{"messages":[{"role":"user","content":"Hi"}],"stream":true,"parallel_tool_calls":false,"tool_choice":"auto",' . $main::Tools . '}'
--- response_body_like eval
main::echo_re($main::Hi . ',' . $main::Spec . ',"toolChoice":{"auto":{}}}}')



=== TEST 14: tool_choice none on a history with tool calls: the calls and results as text, no tool offered, so none can be called
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. '{"messages":[{"role":"user","content":"Weather in Oslo?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"12 C, rain"},{"role":"user","content":"Summarize."}],"stream":true,"tool_choice":"none",' . $main::Tools . '}'
--- response_body_like eval
main::echo_re('{"messages":[{"role":"user","content":[{"text":"Weather in Oslo?"}]},{"role":"assistant","content":[{"text":"[tool call call_1: get_weather {\"city\":\"Oslo\"}]"}]},{"role":"user","content":[{"text":"[tool result call_1: 12 C, rain]"},{"text":"Summarize."}]}]}')



=== TEST 15: the same history with tool_choice auto keeps the blocks and offers the tool (the emulator answers from the result)
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. '{"messages":[{"role":"user","content":"Weather in Oslo?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"12 C, rain"}],"stream":true,"tool_choice":"auto",' . $main::Tools . '}'
--- response_body_like eval
qr/"content":"Here"/



=== TEST 16: parallel_tool_calls false on a model that cannot be told (Nova): the second call of an answer is left out, streamed
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=get_weather,get_time; tool_id=tu_a,tu_b; args=%7B%22city%22%3A%22Oslo%22%7D|%7B%7D";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. '{"messages":[{"role":"user","content":"Weather and time?"}],"stream":true,"parallel_tool_calls":false,' . $main::Tools . '}'
--- response_body_like eval
qr/\A(?!.*(?:tu_b|get_time|"index":1))(?s:.*)"tool_calls":\[\{"index":0,"id":"tu_a","type":"function","function":\{"name":"get_weather","arguments":""\}\}\].*"finish_reason":"tool_calls".*data: \[DONE\]\n\n\z/s



=== TEST 17: ... and not streamed
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=get_weather,get_time; tool_id=tu_a,tu_b; args=%7B%22city%22%3A%22Oslo%22%7D|%7B%7D";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. '{"messages":[{"role":"user","content":"Weather and time?"}],"stream":false,"parallel_tool_calls":false,' . $main::Tools . '}'
--- response_body_like eval
qr/"tool_calls":\[\{"id":"tu_a","type":"function","function":\{"name":"get_weather","arguments":"\{\\"city\\":\\"Oslo\\"\}"\}\}\]\},"logprobs":null,"finish_reason":"tool_calls"/



=== TEST 18: parallel_tool_calls true (the default): both calls
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=get_weather,get_time; tool_id=tu_a,tu_b; args=%7B%22city%22%3A%22Oslo%22%7D|%7B%7D";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. '{"messages":[{"role":"user","content":"Weather and time?"}],"stream":false,' . $main::Tools . '}'
--- response_body_like eval
qr/"tool_calls":\[\{"id":"tu_a",.*\},\{"id":"tu_b","type":"function","function":\{"name":"get_time","arguments":"\{\}"\}\}\]\}/
