# vi:filetype=perl

# reasoning_effort: Claude's "thinking" and Nova 2's "reasoningConfig" in
# additionalModelRequestFields, with what Bedrock then wants of
# inferenceConfig; the reasoning comes back as reasoning_content (with its
# signature), never as content, and goes back to Bedrock with tool use.
# The double sends reasoning only when the request enables it, signs it,
# and refuses what Bedrock refuses (a tool turn without its thinking block,
# a wrong signature, maxTokens not above the budget).

use lib '.';
use t::ChatCompletions;
use t::SSE;

plan("no_plan");

our $Claude = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

run_tests();

__DATA__

=== TEST 1: Claude, reasoning_effort low: thinking with a 1024-token budget, maxTokens = budget + the client's max_tokens, no temperature, a topP under 0.95 left out
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"low","max_tokens":250,"temperature":0.2,"top_p":0.9}
--- response_body_like eval
t::SSE::echo_re('{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":1274},"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1024}}}', model => $main::Claude)



=== TEST 2: the directive's default (medium: 2048) applies to a request without reasoning_effort; a topP of 0.95 stays; no max tokens: budget + 1024
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        chat_completions_reasoning_effort medium;
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"top_p":0.95}
--- response_body_like eval
t::SSE::echo_re('{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":3072,"topP":0.95},"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":2048}}}', model => $main::Claude)



=== TEST 3: reasoning_effort "none" turns the directive's default off
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        chat_completions_reasoning_effort high;
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"none","temperature":0.2}
--- response_body_like eval
t::SSE::echo_re('{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"temperature":0.2}}', model => $main::Claude)



=== TEST 4: Nova 2, medium: reasoningConfig with maxReasoningEffort, inferenceConfig kept
--- config
    location = /v1/chat/completions {
        chat_completions_model us.amazon.nova-2-lite-v1:0;
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"medium","max_tokens":300,"temperature":0.3}
--- response_body_like eval
t::SSE::echo_re('{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":300,"temperature":0.3},"additionalModelRequestFields":{"reasoningConfig":{"type":"enabled","maxReasoningEffort":"medium"}}}', model => 'us.amazon.nova-2-lite-v1:0')



=== TEST 5: Nova 2, high: Bedrock wants no temperature, topP or maxTokens, so none is sent (a stop sequence stays)
--- config
    location = /v1/chat/completions {
        chat_completions_model us.amazon.nova-2-lite-v1:0;
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"high","max_tokens":300,"temperature":0.3,"top_p":0.5,"stop":"END"}
--- response_body_like eval
t::SSE::echo_re('{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"stopSequences":["END"]},"additionalModelRequestFields":{"reasoningConfig":{"type":"enabled","maxReasoningEffort":"high"}}}', model => 'us.amazon.nova-2-lite-v1:0')



=== TEST 6: a model that does not reason (Nova Lite v1): reasoning_effort is left out, the request goes on
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"high","temperature":0.3}
--- response_body_like eval
t::SSE::echo_re('{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"temperature":0.3}}')



=== TEST 7: streamed: the reasoning deltas become delta.reasoning_content, the signature delta.reasoning_signature; content holds the answer only
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        set $double_scenario "reasoning=The%20user%20wants%20a%20balance.; text=Your%20balance%20is%20%245.";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Balance?"}],"stream":true,"reasoning_effort":"low"}
--- response_body_filters eval
\&t::SSE::sse_summary
--- response_body
role
reasoning_content: The user wants a balance.
reasoning_signature: LpsKrPv24t/iSIysEB4lFSJLcLvcDsafjrAug/nV83k=
content: Your balance is $5.
finish: stop
[DONE]



=== TEST 8: the reasoning deltas are their own chunks, 12 characters a piece as the double sends them
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        set $double_scenario "reasoning=The%20user%20wants%20a%20balance.; text=OK";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Balance?"}],"stream":true,"reasoning_effort":"low"}
--- response_body_like eval
'^' . t::SSE::sse_re(model => $main::Claude, deltas => ['{"reasoning_content":"The user wan"}', '{"reasoning_content":"ts a balance"}', '{"reasoning_content":"."}', '{"reasoning_signature":"LpsKrPv24t/iSIysEB4lFSJLcLvcDsafjrAug/nV83k="}', '{"content":"OK"}']) . '\z'



=== TEST 9: not streamed: message.reasoning_content and message.reasoning_signature beside a clean content
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        set $double_scenario "reasoning=The%20user%20wants%20a%20balance.; text=Your%20balance%20is%20%245.; usage=20,9";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Balance?"}],"stream":false,"reasoning_effort":"low"}
--- response_body_like
^\{"id":"chatcmpl-[A-Za-z0-9]{24}","object":"chat\.completion","created":\d+,"model":"us\.anthropic\.claude-sonnet-4-5-20250929-v1:0","choices":\[\{"index":0,"message":\{"role":"assistant","content":"Your balance is \$5\.","refusal":null,"reasoning_content":"The user wants a balance\.","reasoning_signature":"LpsKrPv24t/iSIysEB4lFSJLcLvcDsafjrAug/nV83k="\},"logprobs":null,"finish_reason":"stop"\}\],"usage":\{"prompt_tokens":20,"completion_tokens":9,"total_tokens":29,"prompt_tokens_details":\{"cached_tokens":0\}\}\}$



=== TEST 10: redacted reasoning comes as reasoning_redacted, as Bedrock sent it (base64)
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        set $double_scenario "redacted=c2VjcmV0IHRob3VnaHRz; text=OK";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Balance?"}],"stream":true,"reasoning_effort":"low"}
--- response_body_filters eval
\&t::SSE::sse_summary
--- response_body
role
reasoning_redacted: c2VjcmV0IHRob3VnaHRz
content: OK
finish: stop
[DONE]



=== TEST 11: without reasoning asked, Bedrock sends none: nothing but the answer
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        set $double_scenario "reasoning=hidden; text=OK";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Balance?"}],"stream":true}
--- response_body_filters eval
\&t::SSE::sse_summary
--- response_body
role
content: OK
finish: stop
[DONE]



=== TEST 12: a client tool call with thinking: the reasoning and its signature come back with the assistant turn and go to Bedrock first in it
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Balance?"},{"role":"assistant","content":null,"reasoning_content":"The user wants a balance.","reasoning_signature":"LpsKrPv24t/iSIysEB4lFSJLcLvcDsafjrAug/nV83k=","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_balance","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_1","content":"5 USD"}],"tools":[{"type":"function","function":{"name":"get_balance"}}],"reasoning_effort":"low"}
--- response_body_like eval
t::SSE::echo_re('{"messages":[{"role":"user","content":[{"text":"Balance?"}]},{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":"The user wants a balance.","signature":"LpsKrPv24t/iSIysEB4lFSJLcLvcDsafjrAug/nV83k="}}},{"toolUse":{"toolUseId":"call_1","name":"get_balance","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"call_1","content":[{"text":"5 USD"}]}}]}],"inferenceConfig":{"maxTokens":2048},"toolConfig":{"tools":[{"toolSpec":{"name":"get_balance","inputSchema":{"json":{"type":"object","properties":{}}}}}]},"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1024}}}', model => $main::Claude)



=== TEST 13: the same turn without its reasoning (Vapi sends no reasoning_content back): Bedrock would refuse thinking, so this call goes without it
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Balance?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_balance","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_1","content":"5 USD"}],"tools":[{"type":"function","function":{"name":"get_balance"}}],"reasoning_effort":"low"}
--- response_body_like eval
t::SSE::echo_re('{"messages":[{"role":"user","content":[{"text":"Balance?"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"call_1","name":"get_balance","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"call_1","content":[{"text":"5 USD"}]}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"get_balance","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}', model => $main::Claude)



=== TEST 14: a reasoning text whose signature was altered is refused by Bedrock (the double checks what it signed)
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        set $double_scenario "text=OK";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Balance?"},{"role":"assistant","content":"Let me look.","reasoning_content":"The user wants a balance!","reasoning_signature":"LpsKrPv24t/iSIysEB4lFSJLcLvcDsafjrAug/nV83k="},{"role":"user","content":"Well?"}],"reasoning_effort":"low","stream":false}
--- error_code: 400
--- response_body
{"error":{"message":"The model returned the following errors: messages.1.content.0: Invalid `signature` in `thinking` block","type":"invalid_request_error","param":null,"code":null}}
--- error_log
Bedrock
--- no_error_log
[alert]
[crit]



=== TEST 15: a reasoning turn sent to a model that does not reason here: the reasoning is left out of the history
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Balance?"},{"role":"assistant","content":"Let me look.","reasoning_content":"x","reasoning_signature":"y"},{"role":"user","content":"Well?"}]}
--- response_body_like eval
t::SSE::echo_re('{"messages":[{"role":"user","content":[{"text":"Balance?"}]},{"role":"assistant","content":[{"text":"Let me look."}]},{"role":"user","content":[{"text":"Well?"}]}]}')



=== TEST 16: a server-side tool round with thinking: the model's turn keeps its reasoning block (signed) before the toolUse, which Bedrock checks; the client sees both rounds' reasoning, never as content
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        set $double_scenario "tool=get_loan_options; tool_id=tu_loans_1; reasoning=Check%20the%20loan%20tool%20first.; final_text=Two%20loans.";
        chat_completions_tool get_loan_options /_tools/loans "List the loan products the bank offers";
        chat_completions;
    }
    location = /_tools/loans {
        internal;
        default_type application/json;
        return 200 '{"loans":2}';
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"What loan options are available?"}],"stream":true,"reasoning_effort":"low"}
--- response_body_filters eval
\&t::SSE::sse_summary
--- response_body
role
reasoning_content: Check the loan tool first.
reasoning_signature: 2om231e2+vtl5KduUPHQyD5D34yaiIl+ZUUxIsxKCMM=
reasoning_content: Check the loan tool first.
reasoning_signature: 2om231e2+vtl5KduUPHQyD5D34yaiIl+ZUUxIsxKCMM=
content: Two loans.
finish: stop
[DONE]



=== TEST 17: an unknown reasoning_effort is a 400
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"max"}
--- error_code: 400
--- response_body
{"error":{"message":"Invalid value for 'reasoning_effort': 'max'. Supported values are: 'none', 'minimal', 'low', 'medium' and 'high'.","type":"invalid_request_error","param":"reasoning_effort","code":"invalid_value"}}



=== TEST 18: Claude with response_format's forced tool: Bedrock refuses thinking with a forced tool, so no thinking is asked
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        chat_completions_structured_output tool;
        set $double_scenario "echo_tool=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"stream":true,"reasoning_effort":"high","response_format":{"type":"json_object"}}
--- response_body_filters eval
\&t::SSE::sse_summary
--- response_body
role
content: {"messages":[{"role":"user","content":[{"text":"Hi"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"json_object","description":"Give the final answer with this tool: its input is the answer, a JSON object that follows the schema.","inputSchema":{"json":{"type":"object","additionalProperties":true}}}}],"toolChoice":{"tool":{"name":"json_object"}}}}
finish: stop
[DONE]
