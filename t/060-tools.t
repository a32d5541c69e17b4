# vi:filetype=perl

# Tool calling both ways: client tools passed through (request "tools" in,
# streamed or whole "tool_calls" out, the history back as toolUse and
# toolResult), and server-side tools run by nginx as subrequests in an
# agent loop on one stream.  The double scripts the rounds (README.md of
# t/bedrock, "Tool rounds"): tool= asks while the conversation has no tool
# results, then the emulator quotes them ("Here is what I found: ...") or
# echo_after_tool=1 answers with the exact Converse body it received.

use lib '.';
use t::ChatCompletions;
use JSON::PP ();

# ---- expected SSE streams, chunk by chunk (the body check in
# ---- t::ChatCompletions also wants one id and one created per stream)

my $head = '\{"id":"chatcmpl-[A-Za-z0-9]{24}","object":'
           . '"chat\.completion\.chunk","created":\d+,'
           . '"model":"amazon\.nova-lite-v1:0","choices":\[\{"index":0,'
           . '"delta":';

# a JSON string literal, as the module's generator writes it
sub ::jstr { JSON::PP->new->allow_nonref->canonical->encode($_[0]) }

# one chunk whose delta is this JSON text
sub ::d {
    'data: ' . $head . quotemeta($_[0])
    . ',"logprobs":null,"finish_reason":null\}\]\}\n\n';
}

sub ::role { ::d('{"role":"assistant","content":""}') }

sub ::fin {
    'data: ' . $head . '\{\},"logprobs":null,"finish_reason":"' . $_[0]
    . '"\}\]\}\n\n';
}

sub ::done { 'data: \[DONE\]\n\n' }

# an in-band error event
sub ::err { 'data: ' . quotemeta($_[0]) . '\n\n' }

# keepalive comments: ::ka('{2,}')
sub ::ka { '(?:: keepalive\n\n)' . ($_[0] // '+') }

# text deltas as the double splits a text: one word (with the whitespace
# before it) per delta
sub ::text {
    my @w = $_[0] =~ /(\s*\S+)/g;
    map { ::d('{"content":' . ::jstr($_) . '}') } @w;
}

# one text delta, the whole text (echo=1, echo_after_tool=1)
sub ::echo { ::d('{"content":' . ::jstr($_[0]) . '}') }

sub ::tc_start {
    my ($i, $id, $name) = @_;
    ::d('{"tool_calls":[{"index":' . $i . ',"id":"' . $id
        . '","type":"function","function":{"name":"' . $name
        . '","arguments":""}}]}');
}

sub ::tc_args {
    my ($i, @frags) = @_;
    map { ::d('{"tool_calls":[{"index":' . $i
              . ',"function":{"arguments":' . ::jstr($_) . '}}]}') } @frags;
}

sub ::whole { '^' . join('', @_) . '\z' }

# the request's client tools, and their Converse toolSpecs
our $Tools = '"tools":[{"type":"function","function":{"name":"get_weather",'
    . '"description":"Weather for a city","parameters":{"type":"object",'
    . '"properties":{"city":{"type":"string"}},"required":["city"]}}},'
    . '{"type":"function","function":{"name":"get_time",'
    . '"parameters":{"type":"object","properties":{}}}}]';

our $Specs = '{"toolSpec":{"name":"get_weather","description":"Weather for '
    . 'a city","inputSchema":{"json":{"type":"object","properties":{"city":'
    . '{"type":"string"}},"required":["city"]}}}},{"toolSpec":{"name":'
    . '"get_time","inputSchema":{"json":{"type":"object","properties":{}}}}}';

# the double's port, for tool locations that proxy to its /__slow
$ENV{TEST_NGINX_BEDROCK_PORT} ||= $t::ChatCompletions::BedrockPort;

plan("no_plan");

run_tests();

__DATA__

=== TEST 1: a client tool call streams as delta.tool_calls: index, id, type, name, then the argument fragments in order
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=get_weather; tool_id=tooluse_w1; args=%7B%22city%22%3A%22Oslo%22%2C%22days%22%3A3%7D";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"Weather in Oslo?"}],' . $::Tools . '}'
--- response_headers
Content-Type: text/event-stream
--- response_body_like eval
::whole(::role(),
        ::tc_start(0, 'tooluse_w1', 'get_weather'),
        ::tc_args(0, '{"city":', '"Oslo","', 'days":3}'),
        ::fin('tool_calls'), ::done())



=== TEST 2: text before the tool call does not shift its index: 0
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=get_weather; tool_id=tooluse_w2; pre_text=Let%20me%20check.; args=%7B%22city%22%3A%22Oslo%22%7D";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"Weather in Oslo?"}],' . $::Tools . '}'
--- response_body_like eval
::whole(::role(), ::text('Let me check.'),
        ::tc_start(0, 'tooluse_w2', 'get_weather'),
        ::tc_args(0, '{"city":', '"Oslo"}'),
        ::fin('tool_calls'), ::done())



=== TEST 3: two client tool calls in one answer get indexes 0 and 1
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=get_weather,get_time; tool_id=tu_a,tu_b; pre_text=Sure; args=%7B%22city%22%3A%22Oslo%22%7D|%7B%7D";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"Weather in Oslo, and the time?"}],' . $::Tools . '}'
--- response_body_like eval
::whole(::role(), ::text('Sure'),
        ::tc_start(0, 'tu_a', 'get_weather'),
        ::tc_args(0, '{"city":', '"Oslo"}'),
        ::tc_start(1, 'tu_b', 'get_time'),
        ::tc_args(1, '{}'),
        ::fin('tool_calls'), ::done())



=== TEST 4: a tool call with no input streams "{}" as its arguments, never ""
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=get_time; tool_id=tu_t; args=";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"What time is it?"}],' . $::Tools . '}'
--- response_body_like eval
::whole(::role(),
        ::tc_start(0, 'tu_t', 'get_time'),
        ::tc_args(0, '{}'),
        ::fin('tool_calls'), ::done())



=== TEST 5: non-streaming: the whole tool_calls message, content null
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=get_weather,get_time; tool_id=tu_a,tu_b; args=%7B%22city%22%3A%22Oslo%22%7D|; usage=20,7";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n" . '{"stream":false,"messages":[{"role":"user","content":"Weather in Oslo?"}],' . $::Tools . '}'
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"id":"chatcmpl-[A-Za-z0-9]{24}","object":"chat\.completion","created":\d+,"model":"amazon\.nova-lite-v1:0","choices":\[\{"index":0,"message":\{"role":"assistant","content":null,"refusal":null,"tool_calls":\[\{"id":"tu_a","type":"function","function":\{"name":"get_weather","arguments":"\{\\"city\\":\\"Oslo\\"\}"\}\},\{"id":"tu_b","type":"function","function":\{"name":"get_time","arguments":"\{\}"\}\}\]\},"logprobs":null,"finish_reason":"tool_calls"\}\],"usage":\{"prompt_tokens":20,"completion_tokens":7,"total_tokens":27,"prompt_tokens_details":\{"cached_tokens":0\}\}\}\n$



=== TEST 6: non-streaming with text before the call: the text is the content
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=get_time; tool_id=tu_t; pre_text=One%20moment.; usage=5,3";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n" . '{"stream":false,"messages":[{"role":"user","content":"Time?"}],' . $::Tools . '}'
--- response_body_like chomp
^\{"id":"chatcmpl-[A-Za-z0-9]{24}","object":"chat\.completion","created":\d+,"model":"amazon\.nova-lite-v1:0","choices":\[\{"index":0,"message":\{"role":"assistant","content":"One moment\.","refusal":null,"tool_calls":\[\{"id":"tu_t","type":"function","function":\{"name":"get_time","arguments":"\{\}"\}\}\]\},"logprobs":null,"finish_reason":"tool_calls"\}\],"usage":\{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8,"prompt_tokens_details":\{"cached_tokens":0\}\}\}\n$



=== TEST 7: request tools become toolConfig; tool_choice "required" becomes {"any":{}}
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"Hi"}],' . $::Tools . ',"tool_choice":"required"}'
--- response_body_like eval
::whole(::role(),
        ::echo('{"messages":[{"role":"user","content":[{"text":"Hi"}]}],'
               . '"toolConfig":{"tools":[' . $main::Specs . '],'
               . '"toolChoice":{"any":{}}}}'),
        ::fin('stop'), ::done())



=== TEST 8: tool_choice "auto" and a named function
--- config
    location = /auto {
        set $double_scenario "echo=1";
        chat_completions;
    }
    location = /named {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request eval
["POST /auto\n{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],$::Tools,\"tool_choice\":\"auto\"}",
 "POST /named\n{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],$::Tools,\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_time\"}}}"]
--- response_body_like eval
[::whole(::role(),
         ::echo('{"messages":[{"role":"user","content":[{"text":"Hi"}]}],'
                . '"toolConfig":{"tools":[' . $main::Specs . '],'
                . '"toolChoice":{"auto":{}}}}'),
         ::fin('stop'), ::done()),
 ::whole(::role(),
         ::echo('{"messages":[{"role":"user","content":[{"text":"Hi"}]}],'
                . '"toolConfig":{"tools":[' . $main::Specs . '],'
                . '"toolChoice":{"tool":{"name":"get_time"}}}}'),
         ::fin('stop'), ::done())]



=== TEST 9: history: assistant tool_calls become toolUse blocks, two role "tool" messages one user turn of toolResults
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n" . '{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather in Oslo and the time?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}},{"id":"call_2","type":"function","function":{"name":"get_time","arguments":""}}]},{"role":"tool","tool_call_id":"call_1","content":"{\"temp\":3}"},{"role":"tool","tool_call_id":"call_2","content":"12:00"}],' . $::Tools . '}'
--- response_body_like eval
::whole(::role(),
        ::echo('{"system":[{"text":"Be brief."}],"messages":['
               . '{"role":"user","content":[{"text":"Weather in Oslo and the time?"}]},'
               . '{"role":"assistant","content":['
               . '{"toolUse":{"toolUseId":"call_1","name":"get_weather","input":{"city":"Oslo"}}},'
               . '{"toolUse":{"toolUseId":"call_2","name":"get_time","input":{}}}]},'
               . '{"role":"user","content":['
               . '{"toolResult":{"toolUseId":"call_1","content":[{"json":{"temp":3}}]}},'
               . '{"toolResult":{"toolUseId":"call_2","content":[{"text":"12:00"}]}}]}],'
               . '"toolConfig":{"tools":[' . $main::Specs . ']}}'),
        ::fin('stop'), ::done())



=== TEST 10: history with tool calls but no "tools" in the request still gets the toolConfig Bedrock requires
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_1","content":"sunny"},{"role":"user","content":"Thanks"}]}
--- response_body_like eval
::whole(::role(),
        ::echo('{"messages":['
               . '{"role":"user","content":[{"text":"Weather?"}]},'
               . '{"role":"assistant","content":[{"toolUse":{"toolUseId":"call_1","name":"get_weather","input":{}}}]},'
               . '{"role":"user","content":[{"toolResult":{"toolUseId":"call_1","content":[{"text":"sunny"}]}},{"text":"Thanks"}]}],'
               . '"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","description":"Tool used earlier in this conversation.","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}'),
        ::fin('stop'), ::done())



=== TEST 11: server-side tool: two rounds on one stream, the answer quotes the tool's data (one id, one role chunk, one finish_reason, one [DONE])
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=get_loan_options; tool_id=tu_loans_1";
        chat_completions_tool get_loan_options /_tools/loans "List the loan products the bank offers";
        chat_completions;
    }
    location = /_tools/loans {
        internal;
        default_type application/json;
        return 200 '{"loans":[{"name":"Personal loan","apr":7.9},{"name":"Car loan","apr":5.4}]}';
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"What loan options are available?"}]}
--- response_headers
Content-Type: text/event-stream
--- response_body_like eval
::whole(::role(),
        ::text('Here is what I found: {"loans":[{"name":"Personal loan","apr":7.9},{"name":"Car loan","apr":5.4}]}'),
        ::fin('stop'), ::done())



=== TEST 12: the second Bedrock request carries the toolUse/toolResult history exactly; the tool got the model's input as a JSON POST body
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=get_loan_options; tool_id=tu_loans_2; args=%7B%22amount%22%3A5000%2C%22purpose%22%3A%22car%22%7D; echo_after_tool=1";
        chat_completions_tool get_loan_options /_tools/loans "List the loan products the bank offers" 'schema={"type":"object","properties":{"amount":{"type":"number"},"purpose":{"type":"string"}}}';
        chat_completions;
    }
    location = /_tools/loans {
        internal;
        proxy_set_header X-Tool $chat_completions_tool;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__slow?ms=0;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"I need 5000 for a car"}]}
--- response_body_like eval
::whole(::role(),
        ::echo('{"messages":['
               . '{"role":"user","content":[{"text":"I need 5000 for a car"}]},'
               . '{"role":"assistant","content":[{"toolUse":{"toolUseId":"tu_loans_2","name":"get_loan_options","input":{"amount":5000,"purpose":"car"}}}]},'
               . '{"role":"user","content":[{"toolResult":{"toolUseId":"tu_loans_2","content":[{"json":{"ms":0,"method":"POST","body":"{\"amount\":5000,\"purpose\":\"car\"}"}}]}}]}],'
               . '"toolConfig":{"tools":[{"toolSpec":{"name":"get_loan_options","description":"List the loan products the bank offers","inputSchema":{"json":{"type":"object","properties":{"amount":{"type":"number"},"purpose":{"type":"string"}}}}}}]}}'),
        ::fin('stop'), ::done())



=== TEST 13: text of every round streams on the same stream: round 1's words, then round 2's answer
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=get_loan_options; tool_id=tu_loans_3; pre_text=Let%20me%20look%20that%20up.";
        chat_completions_tool get_loan_options /_tools/loans "List the loan products the bank offers";
        chat_completions;
    }
    location = /_tools/loans {
        internal;
        default_type text/plain;
        return 200 "Personal loan 7.9% APR";
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"What loan options are available?"}]}
--- response_body_like eval
::whole(::role(),
        ::text('Let me look that up.'),
        # the module puts a space between the text of two rounds
        ::text(' Here is what I found: Personal loan 7.9% APR'),
        ::fin('stop'), ::done())



=== TEST 14: a GET tool (method=GET) is called with GET and no body
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=lookup; tool_id=tu_g1; args=%7B%22q%22%3A%22rates%22%7D";
        chat_completions_tool lookup /_tools/lookup "Look something up" method=GET;
        chat_completions;
    }
    location = /_tools/lookup {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__slow?ms=0;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Look up the rates"}]}
--- response_body_like eval
::whole(::role(),
        ::text('Here is what I found: {"ms":0,"method":"GET","body":""}'),
        ::fin('stop'), ::done())



=== TEST 15: the tool variables are visible in the tool's location
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=lookup; tool_id=tu_v1; args=%7B%22q%22%3A%22rates%22%7D";
        chat_completions_tool lookup /_tools/lookup "Look something up";
        chat_completions;
    }
    location = /_tools/lookup {
        internal;
        default_type text/plain;
        return 200 "$chat_completions_tool $chat_completions_tool_call_id $chat_completions_tool_input";
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Look up the rates"}]}
--- response_body_like eval
::whole(::role(),
        ::text('Here is what I found: lookup tu_v1 {"q":"rates"}'),
        ::fin('stop'), ::done())



=== TEST 16: a tool sees the request id of the stream it runs for
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=whoami; tool_id=tu_id; echo_after_tool=1";
        chat_completions_tool whoami /_tools/whoami "Which request";
        chat_completions;
    }
    location = /_tools/whoami {
        internal;
        default_type text/plain;
        return 200 "$chat_completions_id";
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Who am I?"}]}
--- response_body_like chomp
^data: \{"id":"(chatcmpl-[A-Za-z0-9]{24})".*\\"toolResult\\":\{\\"toolUseId\\":\\"tu_id\\",\\"content\\":\[\{\\"text\\":\\"\1\\"\}\]\}



=== TEST 17: two tools in one turn run concurrently; both results come back in one user turn
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=get_loan_options,get_credit_card_summary; tool_id=tu_l,tu_c; args=%7B%7D|%7B%22card%22%3A%22visa%22%7D; echo_after_tool=1";
        # each takes 400 ms and may take 700 ms: only concurrent runs both make it
        chat_completions_tool get_loan_options /_tools/loans "Loan products" timeout=700ms;
        chat_completions_tool get_credit_card_summary /_tools/card "Card summary" timeout=700ms;
        chat_completions;
    }
    location = /_tools/loans {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__slow?ms=400;
    }
    location = /_tools/card {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__slow?ms=400;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Loans and my card balance"}]}
--- response_body_like eval
::whole(::role(),
        ::echo('{"messages":['
               . '{"role":"user","content":[{"text":"Loans and my card balance"}]},'
               . '{"role":"assistant","content":['
               . '{"toolUse":{"toolUseId":"tu_l","name":"get_loan_options","input":{}}},'
               . '{"toolUse":{"toolUseId":"tu_c","name":"get_credit_card_summary","input":{"card":"visa"}}}]},'
               . '{"role":"user","content":['
               . '{"toolResult":{"toolUseId":"tu_l","content":[{"json":{"ms":400,"method":"POST","body":"{}"}}]}},'
               . '{"toolResult":{"toolUseId":"tu_c","content":[{"json":{"ms":400,"method":"POST","body":"{\"card\":\"visa\"}"}}]}}]}],'
               . '"toolConfig":{"tools":['
               . '{"toolSpec":{"name":"get_loan_options","description":"Loan products","inputSchema":{"json":{"type":"object","properties":{}}}}},'
               . '{"toolSpec":{"name":"get_credit_card_summary","description":"Card summary","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}'),
        ::fin('stop'), ::done())



=== TEST 18: failing tools (404, 500) become error results the model sees, with what they said
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=get_credit_card_summary,get_loan_options; tool_id=tu_404,tu_500; echo_after_tool=1";
        chat_completions_tool get_credit_card_summary /_tools/card "Card summary";
        chat_completions_tool get_loan_options /_tools/loans "Loan products";
        chat_completions;
    }
    location = /_tools/card {
        internal;
        default_type application/json;
        return 404 '{"error":"no account for this number"}';
    }
    location = /_tools/loans {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__slow?ms=0&status=500;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Card and loans"}]}
--- response_body_like eval
::whole(::role(),
        ::echo('{"messages":['
               . '{"role":"user","content":[{"text":"Card and loans"}]},'
               . '{"role":"assistant","content":['
               . '{"toolUse":{"toolUseId":"tu_404","name":"get_credit_card_summary","input":{}}},'
               . '{"toolUse":{"toolUseId":"tu_500","name":"get_loan_options","input":{}}}]},'
               . '{"role":"user","content":['
               . '{"toolResult":{"toolUseId":"tu_404","content":[{"text":"The tool failed with HTTP status 404. It said: {\"error\":\"no account for this number\"}"}],"status":"error"}},'
               . '{"toolResult":{"toolUseId":"tu_500","content":[{"text":"The tool failed with HTTP status 500. It said: {\"ms\":0,\"method\":\"POST\",\"body\":\"{}\"}"}],"status":"error"}}]}],'
               . '"toolConfig":{"tools":['
               . '{"toolSpec":{"name":"get_credit_card_summary","description":"Card summary","inputSchema":{"json":{"type":"object","properties":{}}}}},'
               . '{"toolSpec":{"name":"get_loan_options","description":"Loan products","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}'),
        ::fin('stop'), ::done())
--- error_log
chat_completions: tool "get_credit_card_summary" answered 404
chat_completions: tool "get_loan_options" answered 500
--- no_error_log
[alert]
[crit]



=== TEST 19: a failing tool's error reaches the model, and the answer says so
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=get_credit_card_summary; tool_id=tu_f";
        chat_completions_tool get_credit_card_summary /_tools/card "Card summary";
        chat_completions;
    }
    location = /_tools/card {
        internal;
        return 503;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"My card balance?"}]}
--- response_body_like eval
::whole(::role(),
        ::text('Here is what I found: The tool failed with HTTP status 503.'),
        ::fin('stop'), ::done())
--- error_log
chat_completions: tool "get_credit_card_summary" answered 503
--- no_error_log
[alert]
[crit]



=== TEST 20: a slow tool past its timeout: an error result "did not answer in time", logged
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=slow_lookup; tool_id=tu_slow; echo_after_tool=1";
        chat_completions_tool slow_lookup /_tools/slow "Slow backend" timeout=300ms;
        chat_completions;
    }
    location = /_tools/slow {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__slow?ms=3000;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Look it up"}]}
--- response_body_like eval
::whole(::role(),
        ::echo('{"messages":['
               . '{"role":"user","content":[{"text":"Look it up"}]},'
               . '{"role":"assistant","content":[{"toolUse":{"toolUseId":"tu_slow","name":"slow_lookup","input":{}}}]},'
               . '{"role":"user","content":[{"toolResult":{"toolUseId":"tu_slow","content":[{"text":"The tool did not answer in time."}],"status":"error"}}]}],'
               . '"toolConfig":{"tools":[{"toolSpec":{"name":"slow_lookup","description":"Slow backend","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}'),
        ::fin('stop'), ::done())
--- timeout: 2
--- error_log
chat_completions: tool "slow_lookup" timed out
--- no_error_log
[alert]
[crit]



=== TEST 21: the round bound: the stream ends with an in-band tool_rounds_exceeded error and [DONE]
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=lookup; tool_id=tu_r; tool_rounds=50";
        chat_completions_max_rounds 2;
        chat_completions_tool lookup /_tools/lookup "Look something up";
        chat_completions;
    }
    location = /_tools/lookup {
        internal;
        return 200 "nothing yet";
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Look it up"}]}
--- response_body_like eval
::whole(::role(),
        ::err('{"error":{"message":"The assistant used tools too many times without answering.","type":"server_error","param":null,"code":"tool_rounds_exceeded"}}'),
        ::done())
--- error_log
chat_completions: 2 Bedrock rounds reached (chat_completions_max_rounds) while the model still asks for tools
--- no_error_log
[error]
[alert]
[crit]



=== TEST 22: a client that disconnects while a tool runs stops everything, cleanly
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=slow_lookup; tool_id=tu_gone";
        chat_completions_tool slow_lookup /_tools/slow "Slow backend" timeout=900ms;
        chat_completions;
    }
    location = /_tools/slow {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__slow?ms=3000;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Look it up"}]}
--- timeout: 0.3
--- abort
--- ignore_response
--- wait: 1.2
--- log_level: info
--- error_log
client prematurely closed connection while tools ran
--- no_error_log
[alert]
[crit]
timed out
[error]



=== TEST 23: mixed: the server tool runs inside nginx, then the model's client tool call goes to the client
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=lookup/get_weather; tool_id=tu_srv/tu_cli; args=%7B%7D/%7B%22city%22%3A%22Oslo%22%7D";
        chat_completions_tool lookup /_tools/lookup "Look something up";
        chat_completions;
    }
    location = /_tools/lookup {
        internal;
        return 200 "Oslo";
    }
--- request eval
"POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"Weather where I live?"}],' . $::Tools . '}'
--- response_body_like eval
::whole(::role(),
        ::tc_start(0, 'tu_cli', 'get_weather'),
        ::tc_args(0, '{"city":', '"Oslo"}'),
        ::fin('tool_calls'), ::done())



=== TEST 24: mixed, in one turn: only the client's call is shown; the server call waits for a later request
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=lookup,get_time; tool_id=tu_srv,tu_cli";
        chat_completions_tool lookup /_tools/lookup "Look something up";
        chat_completions;
    }
    location = /_tools/lookup {
        internal;
        return 500;
    }
--- request eval
"POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"Time?"}],' . $::Tools . '}'
--- response_body_like eval
::whole(::role(),
        ::tc_start(0, 'tu_cli', 'get_time'),
        ::tc_args(0, '{}'),
        ::fin('tool_calls'), ::done())



=== TEST 25: keepalive comments go out while a slow tool runs
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=slow_lookup; tool_id=tu_ka; final_text=Done.";
        chat_completions_keepalive_interval 100ms;
        chat_completions_tool slow_lookup /_tools/slow "Slow backend";
        chat_completions;
    }
    location = /_tools/slow {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__slow?ms=550;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Look it up"}]}
--- response_body_like eval
::whole(::ka('*'), ::role(), ::ka('{3,}'), ::text('Done.'),
        ::fin('stop'), ::done())



=== TEST 26: an answer larger than chat_completions_tool_max_size is an error result
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=lookup; tool_id=tu_big";
        chat_completions_tool_max_size 16;
        chat_completions_tool lookup /_tools/lookup "Look something up";
        chat_completions;
    }
    location = /_tools/lookup {
        internal;
        return 200 "0123456789abcdefX";
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Look it up"}]}
--- response_body_like eval
::whole(::role(),
        ::text("Here is what I found: The tool's answer was too large."),
        ::fin('stop'), ::done())



=== TEST 27: an answer of exactly chat_completions_tool_max_size is whole
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=lookup; tool_id=tu_fit";
        chat_completions_tool_max_size 16;
        chat_completions_tool lookup /_tools/lookup "Look something up";
        chat_completions;
    }
    location = /_tools/lookup {
        internal;
        return 200 "0123456789abcdef";
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Look it up"}]}
--- response_body_like eval
::whole(::role(),
        ::text('Here is what I found: 0123456789abcdef'),
        ::fin('stop'), ::done())



=== TEST 28: non-streaming agent loop: one chat.completion, the answer from round 2, usage summed over the rounds
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=get_loan_options; tool_id=tu_ns; usage=30,4";
        chat_completions_tool get_loan_options /_tools/loans "Loan products";
        chat_completions;
    }
    location = /_tools/loans {
        internal;
        default_type application/json;
        return 200 '{"apr":7.9}';
    }
--- request
POST /v1/chat/completions
{"stream":false,"messages":[{"role":"user","content":"Loans?"}]}
--- response_body_like chomp
^\{"id":"chatcmpl-[A-Za-z0-9]{24}","object":"chat\.completion","created":\d+,"model":"amazon\.nova-lite-v1:0","choices":\[\{"index":0,"message":\{"role":"assistant","content":"Here is what I found: \{\\"apr\\":7\.9\}","refusal":null\},"logprobs":null,"finish_reason":"stop"\}\],"usage":\{"prompt_tokens":60,"completion_tokens":8,"total_tokens":68,"prompt_tokens_details":\{"cached_tokens":0\}\}\}\n$



=== TEST 29: the configured system prompt goes before the request's system messages; server tools are offered
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions_system_prompt "You are Fintalk, a banking assistant.";
        chat_completions_tool get_loan_options /_tools/loans "Loan products";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"system","content":"Answer in one sentence."},{"role":"user","content":"Hi"}]}
--- response_body_like eval
::whole(::role(),
        ::echo('{"system":[{"text":"You are Fintalk, a banking assistant."},{"text":"Answer in one sentence."}],'
               . '"messages":[{"role":"user","content":[{"text":"Hi"}]}],'
               . '"toolConfig":{"tools":[{"toolSpec":{"name":"get_loan_options","description":"Loan products","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}'),
        ::fin('stop'), ::done())



=== TEST 30: an empty tool answer (204) is a result the model can read, not a blank block Bedrock refuses
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=lookup; tool_id=tu_204; echo_after_tool=1";
        chat_completions_tool lookup /_tools/lookup "Look something up";
        chat_completions;
    }
    location = /_tools/lookup {
        internal;
        return 204;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Look it up"}]}
--- response_body_like eval
::whole(::role(),
        ::echo('{"messages":['
               . '{"role":"user","content":[{"text":"Look it up"}]},'
               . '{"role":"assistant","content":[{"toolUse":{"toolUseId":"tu_204","name":"lookup","input":{}}}]},'
               . '{"role":"user","content":[{"toolResult":{"toolUseId":"tu_204","content":[{"text":"(empty result)"}]}}]}],'
               . '"toolConfig":{"tools":[{"toolSpec":{"name":"lookup","description":"Look something up","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}'),
        ::fin('stop'), ::done())



=== TEST 31: a tool backend that refuses the connection is an error result (502)
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=lookup; tool_id=tu_502";
        chat_completions_tool lookup /_tools/lookup "Look something up";
        chat_completions;
    }
    location = /_tools/lookup {
        internal;
        proxy_connect_timeout 1s;
        proxy_pass http://127.0.0.1:9/;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Look it up"}]}
--- response_body_like eval
::whole(::role(),
        ::text('Here is what I found: The tool failed with HTTP status 502.'),
        ::fin('stop'), ::done())
--- error_log
connect() failed (111: Connection refused)
chat_completions: tool "lookup" answered 502
--- no_error_log
[alert]
[crit]



=== TEST 32: a JSON answer that is not an object goes to Bedrock as text; control characters are escaped
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=a,b; tool_id=tu_arr,tu_ctl; echo_after_tool=1";
        chat_completions_tool a /_tools/a "A";
        chat_completions_tool b /_tools/b "B";
        chat_completions;
    }
    location = /_tools/a {
        internal;
        default_type application/json;
        return 200 '[1,2]';
    }
    location = /_tools/b {
        internal;
        default_type text/plain;
        return 200 "tab\there\nquote \" backslash \\ end";
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Both"}]}
--- response_body_like eval
::whole(::role(),
        ::echo('{"messages":['
               . '{"role":"user","content":[{"text":"Both"}]},'
               . '{"role":"assistant","content":['
               . '{"toolUse":{"toolUseId":"tu_arr","name":"a","input":{}}},'
               . '{"toolUse":{"toolUseId":"tu_ctl","name":"b","input":{}}}]},'
               . '{"role":"user","content":['
               . '{"toolResult":{"toolUseId":"tu_arr","content":[{"text":"[1,2]"}]}},'
               . '{"toolResult":{"toolUseId":"tu_ctl","content":[{"text":"tab\there\nquote \" backslash \\\\ end"}]}}]}],'
               . '"toolConfig":{"tools":['
               . '{"toolSpec":{"name":"a","description":"A","inputSchema":{"json":{"type":"object","properties":{}}}}},'
               . '{"toolSpec":{"name":"b","description":"B","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}'),
        ::fin('stop'), ::done())



=== TEST 33: a tool answer that is not valid UTF-8 must not break the conversation (Bedrock refuses a body that is not UTF-8)
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=lookup; tool_id=tu_latin1";
        chat_completions_tool lookup /_tools/lookup "Look something up" method=GET;
        chat_completions;
    }
    location = /_tools/lookup {
        internal;
        default_type text/plain;
        alias html/latin1.txt;
    }
--- user_files eval
[["latin1.txt", "Caf\xe9 cr\xe8me: 4 \xa4"]]
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Look it up"}]}
--- response_body_like eval
# round 2 answers (the bytes replaced, or an error result the model
# reads): text deltas and "stop", never an in-band error event
::whole(::role(),
        '(?:data: \{"id":"chatcmpl-[A-Za-z0-9]{24}","object":"chat\.completion\.chunk","created":\d+,"model":"amazon\.nova-lite-v1:0","choices":\[\{"index":0,"delta":\{"content":"[^\n]*"\},"logprobs":null,"finish_reason":null\}\]\}\n\n)+',
        ::fin('stop'), ::done())
--- no_error_log
upstream Bedrock answered 400
[alert]
[crit]



=== TEST 34: the round bound without streaming: a 500 with the OpenAI error object
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=lookup; tool_id=tu_rb; tool_rounds=50";
        chat_completions_max_rounds 3;
        chat_completions_tool lookup /_tools/lookup "Look something up";
        chat_completions;
    }
    location = /_tools/lookup {
        internal;
        return 200 "nothing yet";
    }
--- request
POST /v1/chat/completions
{"stream":false,"messages":[{"role":"user","content":"Look it up"}]}
--- error_code: 500
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"The assistant used tools too many times without answering.","type":"server_error","param":null,"code":"tool_rounds_exceeded"}}
--- error_log
chat_completions: 3 Bedrock rounds reached (chat_completions_max_rounds) while the model still asks for tools
--- no_error_log
[error]
[alert]



=== TEST 35: one of two tools times out, the other answers: both results, in the order of the calls
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=slow_lookup,get_loan_options; tool_id=tu_s,tu_f; echo_after_tool=1";
        chat_completions_tool slow_lookup /_tools/slow "Slow backend" timeout=300ms;
        chat_completions_tool get_loan_options /_tools/loans "Loan products";
        chat_completions;
    }
    location = /_tools/slow {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__slow?ms=3000;
    }
    location = /_tools/loans {
        internal;
        default_type application/json;
        return 200 '{"apr":7.9}';
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Both"}]}
--- response_body_like eval
::whole(::role(),
        ::echo('{"messages":['
               . '{"role":"user","content":[{"text":"Both"}]},'
               . '{"role":"assistant","content":['
               . '{"toolUse":{"toolUseId":"tu_s","name":"slow_lookup","input":{}}},'
               . '{"toolUse":{"toolUseId":"tu_f","name":"get_loan_options","input":{}}}]},'
               . '{"role":"user","content":['
               . '{"toolResult":{"toolUseId":"tu_s","content":[{"text":"The tool did not answer in time."}],"status":"error"}},'
               . '{"toolResult":{"toolUseId":"tu_f","content":[{"json":{"apr":7.9}}]}}]}],'
               . '"toolConfig":{"tools":['
               . '{"toolSpec":{"name":"slow_lookup","description":"Slow backend","inputSchema":{"json":{"type":"object","properties":{}}}}},'
               . '{"toolSpec":{"name":"get_loan_options","description":"Loan products","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}'),
        ::fin('stop'), ::done())
--- error_log
chat_completions: tool "slow_lookup" timed out
--- no_error_log
[alert]
[crit]



=== TEST 36: a client that disconnects while a tool runs, without streaming: stopped cleanly too
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=slow_lookup; tool_id=tu_gone2";
        chat_completions_tool slow_lookup /_tools/slow "Slow backend" timeout=900ms;
        chat_completions;
    }
    location = /_tools/slow {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__slow?ms=3000;
    }
--- request
POST /v1/chat/completions
{"stream":false,"messages":[{"role":"user","content":"Look it up"}]}
--- timeout: 0.3
--- abort
--- ignore_response
--- wait: 1.2
--- log_level: info
--- error_log
client prematurely closed connection while tools ran
--- no_error_log
[alert]
[crit]
timed out
[error]



=== TEST 37: a client that disconnects while a tool runs, with keepalive comments armed: no timer outlives the request
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=slow_lookup; tool_id=tu_gone3";
        chat_completions_keepalive_interval 250ms;
        chat_completions_tool slow_lookup /_tools/slow "Slow backend" timeout=900ms;
        chat_completions;
    }
    location = /_tools/slow {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__slow?ms=3000;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Look it up"}]}
--- timeout: 0.15
--- abort
--- ignore_response
--- wait: 1.2
--- log_level: info
--- error_log
client prematurely closed connection while tools ran
--- no_error_log
[alert]
[crit]
timed out
[error]



=== TEST 38: more than 16 server tool calls in one turn: 16 run, the model is told of the rest
--- config
    location = /v1/chat/completions {
        set $double_scenario "tool=ping,ping,ping,ping,ping,ping,ping,ping,ping,ping,ping,ping,ping,ping,ping,ping,ping; echo_after_tool=1";
        chat_completions_tool ping /_tools/ping "Ping" method=GET;
        chat_completions;
    }
    location = /_tools/ping {
        internal;
        return 200 "pong";
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"ping them all"}]}
--- response_body_like chomp
(?:\{\\"toolResult\\":\{\\"toolUseId\\":\\"[^\\]+\\",\\"content\\":\[\{\\"text\\":\\"pong\\"\}\]\}\},?){16}\{\\"toolResult\\":\{\\"toolUseId\\":\\"[^\\]+\\",\\"content\\":\[\{\\"text\\":\\"Too many tool calls at once: this one was not run\. Call it again on its own\.\\"\}\],\\"status\\":\\"error\\"\}\}\]

