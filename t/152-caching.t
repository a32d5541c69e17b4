# vi:filetype=perl

# Prompt caching: chat_completions_prompt_cache places Converse cachePoint
# blocks after the system prompt and after the tool definitions; Bedrock's
# cacheReadInputTokens and cacheWriteInputTokens become usage fields, in
# streams and JSON, summed over server-side tool rounds, and log variables.
# The double checks cachePoint placement as Bedrock does.

use lib '.';
use t::ChatCompletions;
use t::SSE;

plan("no_plan");


our $LogFormat = <<'_EOC_';
    log_format cache "cache read=$chat_completions_cache_read_tokens write=$chat_completions_cache_write_tokens prompt=$chat_completions_prompt_tokens completion=$chat_completions_completion_tokens total=$chat_completions_total_tokens";
_EOC_

run_tests();

__DATA__

=== TEST 1: prompt_cache system: a cachePoint closes the system list (the configured prompt and the request's system messages)
--- config
    location = /v1/chat/completions {
        chat_completions_system_prompt "You are Riley.";
        chat_completions_prompt_cache system;
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]}
--- response_body_like eval
t::SSE::echo_re('{"system":[{"text":"You are Riley."},{"text":"Be brief."},{"cachePoint":{"type":"default"}}],"messages":[{"role":"user","content":[{"text":"Hi"}]}]}')



=== TEST 2: prompt_cache tools on Claude: a cachePoint after the last tool (server tools first, then the request's)
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        chat_completions_prompt_cache tools;
        chat_completions_tool get_loan_options /_tools/loans "List the loan products";
        set $double_scenario "echo=1";
        chat_completions;
    }
    location = /_tools/loans {
        return 200 '{}';
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{"name":"get_weather"}}]}
--- response_body_like eval
t::SSE::echo_re('{"system":[{"text":"Be brief."}],"messages":[{"role":"user","content":[{"text":"Hi"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"get_loan_options","description":"List the loan products","inputSchema":{"json":{"type":"object","properties":{}}}}},{"toolSpec":{"name":"get_weather","inputSchema":{"json":{"type":"object","properties":{}}}}},{"cachePoint":{"type":"default"}}]}}', model => 'us.anthropic.claude-sonnet-4-5-20250929-v1:0')



=== TEST 3: prompt_cache system tools on Nova: Nova caches system and messages only (Bedrock refuses a cachePoint in its tools), so the system one alone
--- config
    location = /v1/chat/completions {
        chat_completions_prompt_cache system tools;
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{"name":"get_weather"}}]}
--- response_body_like eval
t::SSE::echo_re('{"system":[{"text":"Be brief."},{"cachePoint":{"type":"default"}}],"messages":[{"role":"user","content":[{"text":"Hi"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}')



=== TEST 4: prompt_cache system tools, with neither a system prompt nor tools: no cachePoint at all (Bedrock refuses one with nothing before it)
--- config
    location = /v1/chat/completions {
        chat_completions_prompt_cache system tools;
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}]}
--- response_body_like eval
t::SSE::echo_re('{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}')



=== TEST 5: prompt_cache off in a location turns off what the server level set
--- config
    chat_completions_prompt_cache system tools;
    location = /v1/chat/completions {
        chat_completions_prompt_cache off;
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]}
--- response_body_like eval
t::SSE::echo_re('{"system":[{"text":"Be brief."}],"messages":[{"role":"user","content":[{"text":"Hi"}]}]}')



=== TEST 6: the forced tool of response_format is cached too (Claude)
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        chat_completions_prompt_cache tools;
        set $double_scenario "echo_tool=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"stream":true,"response_format":{"type":"json_object"}}
--- response_body_filters eval
\&t::SSE::sse_summary
--- response_body
role
content: {"messages":[{"role":"user","content":[{"text":"Hi"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"json_object","description":"Give the final answer with this tool: its input is the answer, a JSON object that follows the schema.","inputSchema":{"json":{"type":"object","additionalProperties":true}}}},{"cachePoint":{"type":"default"}}],"toolChoice":{"tool":{"name":"json_object"}}}}
finish: stop
[DONE]



=== TEST 7: streamed usage with the cache: prompt_tokens counts the cached tokens, cached_tokens the reads, and the read and write counts follow; the log variables agree
--- http_config eval: $::LogFormat
--- config
    location = /v1/chat/completions {
        chat_completions_prompt_cache system;
        set $double_scenario "tokens=2; usage=10,2; cache=1500,300";
        access_log logs/error.log cache;
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":true}}
--- response_body_like eval
'^' . t::SSE::sse_re(deltas => ['{"content":"tok1"}', '{"content":" tok2"}'], usage => '{"prompt_tokens":1810,"completion_tokens":2,"total_tokens":1812,"prompt_tokens_details":{"cached_tokens":1500},"cache_read_input_tokens":1500,"cache_creation_input_tokens":300}') . '\z'
--- error_log
cache read=1500 write=300 prompt=1810 completion=2 total=1812



=== TEST 8: not streamed, only cache writes: cached_tokens 0, the write count in cache_creation_input_tokens
--- config
    location = /v1/chat/completions {
        chat_completions_prompt_cache system;
        set $double_scenario "tokens=1; usage=10,1; cache=0,900";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"stream":false}
--- response_body_like
"usage":\{"prompt_tokens":910,"completion_tokens":1,"total_tokens":911,"prompt_tokens_details":\{"cached_tokens":0\},"cache_read_input_tokens":0,"cache_creation_input_tokens":900\}\}$



=== TEST 9: server-side tool rounds: each round's cache counts are summed, as the other counts are
--- http_config eval: $::LogFormat
--- config
    location = /v1/chat/completions {
        chat_completions_prompt_cache system tools;
        set $double_scenario "tool=get_loan_options; tool_id=tu_1; final_text=Two%20loans.; usage=10,3; cache=1000,50";
        chat_completions_tool get_loan_options /_tools/loans "List the loan products";
        access_log logs/error.log cache;
        chat_completions;
    }
    location = /_tools/loans {
        internal;
        default_type application/json;
        return 200 '{"loans":2}';
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What loans?"}],"stream":true,"stream_options":{"include_usage":true}}
--- response_body_like eval
'^' . t::SSE::sse_re(deltas => ['{"content":"Two"}', '{"content":" loans."}'], usage => '{"prompt_tokens":2120,"completion_tokens":6,"total_tokens":2126,"prompt_tokens_details":{"cached_tokens":2000},"cache_read_input_tokens":2000,"cache_creation_input_tokens":100}') . '\z'
--- error_log
cache read=2000 write=100 prompt=2120 completion=6 total=2126



=== TEST 10: no cache counts: usage as before, the variables say 0
--- http_config eval: $::LogFormat
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1; usage=10,1";
        access_log logs/error.log cache;
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":true}}
--- response_body_like eval
'^' . t::SSE::sse_re(deltas => ['{"content":"tok1"}'], usage => '{"prompt_tokens":10,"completion_tokens":1,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":0}}') . '\z'
--- error_log
cache read=0 write=0 prompt=10 completion=1 total=11
