# vi:filetype=perl

# response_format: Bedrock's native structured output (outputConfig) for
# the models that have it, a forced tool for the others; the double checks
# both shapes as Bedrock does and answers json= where the request wants it.

use lib '.';
use t::ChatCompletions;
use t::SSE;

plan("no_plan");

run_tests();

__DATA__

=== TEST 1: json_schema on Nova (no native output): a forced tool whose input is the schema, exactly this body
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo_tool=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Oslo weather"}],"stream":true,"response_format":{"type":"json_schema","json_schema":{"name":"weather","strict":true,"schema":{"type":"object","properties":{"city":{"type":"string"},"celsius":{"type":"number"}},"required":["city","celsius"],"additionalProperties":false}}}}
--- response_body_filters eval
\&t::SSE::sse_summary
--- response_body
role
content: {"messages":[{"role":"user","content":[{"text":"Oslo weather"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"weather","description":"Give the final answer with this tool: its input is the answer, a JSON object that follows the schema.","inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"},"celsius":{"type":"number"}},"required":["city","celsius"],"additionalProperties":false}}}}],"toolChoice":{"tool":{"name":"weather"}}}}
finish: stop
[DONE]



=== TEST 2: the forced tool's input streams as content deltas, 8 characters a piece as Bedrock's tool input comes; finish_reason stop, no tool_calls
--- config
    location = /v1/chat/completions {
        set $double_scenario "json=%7B%22city%22%3A%22Oslo%22%2C%22celsius%22%3A3%7D";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Oslo weather"}],"stream":true,"response_format":{"type":"json_schema","json_schema":{"name":"weather","schema":{"type":"object","properties":{"city":{"type":"string"}}}}}}
--- response_body_like eval
'^' . t::SSE::sse_re(deltas => ['{"content":"{\"city\":"}', '{"content":"\"Oslo\",\""}', '{"content":"celsius\""}', '{"content":":3}"}']) . '\z'



=== TEST 3: not streamed: the forced tool's input is message.content, compact JSON, finish_reason stop
--- config
    location = /v1/chat/completions {
        set $double_scenario "json=%7B%22city%22%3A%20%22Oslo%22%7D; usage=30,7";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Oslo weather"}],"stream":false,"response_format":{"type":"json_schema","json_schema":{"name":"weather","schema":{"type":"object","properties":{"city":{"type":"string"}}}}}}
--- response_body_like
^\{"id":"chatcmpl-[A-Za-z0-9]{24}","object":"chat\.completion","created":\d+,"model":"amazon\.nova-lite-v1:0","choices":\[\{"index":0,"message":\{"role":"assistant","content":"\{\\"city\\":\\"Oslo\\"\}","refusal":null\},"logprobs":null,"finish_reason":"stop"\}\],"usage":\{"prompt_tokens":30,"completion_tokens":7,"total_tokens":37,"prompt_tokens_details":\{"cached_tokens":0\}\}\}$



=== TEST 4: text the model says before the forced tool (Nova does) is not content: the answer stays JSON
--- config
    location = /v1/chat/completions {
        set $double_scenario "json=%7B%22ok%22%3Atrue%7D; pre_text=Sure%2C%20here%20it%20is.";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Answer"}],"stream":true,"response_format":{"type":"json_object"}}
--- response_body_filters eval
\&t::SSE::sse_summary
--- response_body
role
content: {"ok":true}
finish: stop
[DONE]



=== TEST 5: json_object: a forced tool "json_object" with an open object schema
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo_tool=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Give JSON"}],"stream":true,"response_format":{"type":"json_object"}}
--- response_body_filters eval
\&t::SSE::sse_summary
--- response_body
role
content: {"messages":[{"role":"user","content":[{"text":"Give JSON"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"json_object","description":"Give the final answer with this tool: its input is the answer, a JSON object that follows the schema.","inputSchema":{"json":{"type":"object","additionalProperties":true}}}}],"toolChoice":{"tool":{"name":"json_object"}}}}
finish: stop
[DONE]



=== TEST 6: {"type":"text"} asks for nothing: the body has no toolConfig and no outputConfig
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"text"}}
--- response_body_like eval
t::SSE::echo_re('{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}')



=== TEST 7: Claude Sonnet 4.5 has native structured output: outputConfig.textFormat with the schema as a string, name and description
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Oslo weather"}],"response_format":{"type":"json_schema","json_schema":{"name":"weather","description":"The weather in a city","strict":true,"schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}}}}
--- response_body_like eval
t::SSE::echo_re('{"messages":[{"role":"user","content":[{"text":"Oslo weather"}]}],"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":"{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"],\"additionalProperties\":false}","name":"weather","description":"The weather in a city"}}}}}', model => 'us.anthropic.claude-sonnet-4-5-20250929-v1:0')



=== TEST 8: native: the answer is the model's text, streamed as it comes
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        set $double_scenario "json=%7B%22city%22%3A%22Oslo%22%7D";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Oslo weather"}],"stream":true,"response_format":{"type":"json_schema","json_schema":{"name":"weather","schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}}}}
--- response_body_like eval
'^' . t::SSE::sse_re(model => 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', deltas => ['{"content":"{\"city\":"}', '{"content":"\"Oslo\"}"}']) . '\z'



=== TEST 9: native output keeps the request's tools (auto), and server-side tools
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Oslo weather"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"response_format":{"type":"json_schema","json_schema":{"name":"weather","schema":{"type":"object","properties":{"city":{"type":"string"}},"additionalProperties":false}}}}
--- response_body_like eval
t::SSE::echo_re('{"messages":[{"role":"user","content":[{"text":"Oslo weather"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}}}}}}]},"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":"{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"additionalProperties\":false}","name":"weather"}}}}}', model => 'us.anthropic.claude-sonnet-4-5-20250929-v1:0')



=== TEST 10: the forced tool and the request's tools do not mix: 400 before any Bedrock call
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=InternalServerException";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{"name":"get_weather"}}],"response_format":{"type":"json_object"}}
--- error_code: 400
--- response_body
{"error":{"message":"Invalid 'response_format': the model 'amazon.nova-lite-v1:0' has no native structured output here, and the module's way for it (a forced tool) cannot be combined with 'tools'. Send the request without 'tools', or use a model with structured output (chat_completions_structured_output native).","type":"invalid_request_error","param":"response_format","code":"unsupported_parameter"}}



=== TEST 11: chat_completions_structured_output tool: the forced tool even where native output exists
--- config
    location = /v1/chat/completions {
        chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
        chat_completions_structured_output tool;
        set $double_scenario "json=%7B%22a%22%3A1%7D";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"stream":true,"response_format":{"type":"json_schema","json_schema":{"name":"a_b","schema":{"type":"object","properties":{"a":{"type":"integer"}}}}}}
--- response_body_filters eval
\&t::SSE::sse_summary
--- response_body
role
content: {"a":1}
finish: stop
[DONE]



=== TEST 12: chat_completions_structured_output native on a model without it: Bedrock's ValidationException comes back as a 400
--- config
    location = /v1/chat/completions {
        chat_completions_structured_output native;
        set $double_scenario "json=%7B%7D";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{}}}}}
--- error_code: 400
--- response_body
{"error":{"message":"This model doesn't support the outputConfig.textFormat field. (model amazon.nova-lite-v1:0; bedrock double)","type":"invalid_request_error","param":null,"code":null}}
--- error_log
Bedrock
--- no_error_log
[alert]
[crit]



=== TEST 13: a forced tool called with no input still answers an object
--- config
    location = /v1/chat/completions {
        set $double_scenario "json=";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"stream":true,"response_format":{"type":"json_object"}}
--- response_body_filters eval
\&t::SSE::sse_summary
--- response_body
role
content: {}
finish: stop
[DONE]



=== TEST 14: an unknown response_format type is a 400 naming the field
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"xml"}}
--- error_code: 400
--- response_body
{"error":{"message":"Invalid value for 'response_format.type': 'xml'. Supported values are: 'text', 'json_object' and 'json_schema'.","type":"invalid_request_error","param":"response_format.type","code":"invalid_value"}}



=== TEST 15: json_schema without a name is a 400
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_schema","json_schema":{"schema":{"type":"object"}}}}
--- error_code: 400
--- response_body
{"error":{"message":"Missing required parameter: 'response_format.json_schema.name'.","type":"invalid_request_error","param":"response_format.json_schema.name","code":"missing_required_parameter"}}



=== TEST 16: a schema whose root is not an object is a 400 (Bedrock's tools and OpenAI's structured outputs both want one)
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"list","schema":{"type":"array","items":{"type":"string"}}}}}
--- error_code: 400
--- response_body
{"error":{"message":"Invalid schema for response_format 'list': schema must be a JSON Schema of 'type: \"object\"'.","type":"invalid_request_error","param":"response_format.json_schema.schema","code":"invalid_value"}}
