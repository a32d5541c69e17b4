# vi:filetype=perl

use lib '.';
use t::ChatCompletions;
use t::SSE;

plan("no_plan");

# t::SSE::sse_re without its anchors, whichever version of t/SSE.pm
sub sse {
    my $re = t::SSE::sse_re(@_);
    $re =~ s/^\^//;
    $re =~ s/\\z$//;
    return $re;
}

# a whole chat.completion object, anchored
sub completion_re {
    my %a = @_;
    my $model = quotemeta($a{model} // 'amazon.nova-lite-v1:0');
    return '^\{"id":"chatcmpl-[A-Za-z0-9]{24}","object":"chat\.completion",'
           . '"created":\d+,"model":"' . $model . '","choices":\[\{"index":0,'
           . '"message":\{"role":"assistant","content":' . quotemeta($a{content})
           . ',"refusal":null\},"logprobs":null,"finish_reason":"'
           . ($a{finish} // 'stop') . '"\}\],"usage":' . quotemeta($a{usage})
           . '\}\n?\z';
}

run_tests();

__DATA__

=== TEST 1: "stream": false answers one chat.completion with the text and Bedrock's usage
--- config
    location = /v1/chat/completions {
        set $double_scenario "text=We%20offer%20three%20loan%20options.; usage=45,120";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"What loan options are available?"}],"stream":false}
--- response_headers
Content-Type: application/json
Cache-Control: no-store
!Transfer-Encoding
!X-Accel-Buffering
--- response_body_like eval
main::completion_re(content => '"We offer three loan options."',
                    usage => '{"prompt_tokens":45,"completion_tokens":120,"total_tokens":165,"prompt_tokens_details":{"cached_tokens":0}}')



=== TEST 2: several Bedrock text pieces join into one content; the JSON answer has a Content-Length
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=3; usage=5,3";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":false}
--- response_headers_like
Content-Length: \d+
--- response_body_like eval
main::completion_re(content => '"tok1 tok2 tok3"',
                    usage => '{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8,"prompt_tokens_details":{"cached_tokens":0}}')



=== TEST 3: quotes, newlines and non-ASCII in the text are JSON-escaped
--- config
    location = /v1/chat/completions {
        set $double_scenario "text=He%20said%20%22hi%22%0Athen%20%5C%20caf%C3%A9%20%E2%82%AC5; usage=1,1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":false}
--- response_body_like eval
main::completion_re(content => '"He said \"hi\"\nthen \\\\ caf' . "\xc3\xa9 \xe2\x82\xac" . '5"',
                    usage => '{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"prompt_tokens_details":{"cached_tokens":0}}')



=== TEST 4: stopReason max_tokens becomes finish_reason "length"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; stop=max_tokens; usage=9,2";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":false,"max_tokens":2}
--- response_body_like eval
main::completion_re(content => '"tok1 tok2"', finish => 'length',
                    usage => '{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":0}}')



=== TEST 5: stopReason stop_sequence becomes "stop"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; stop=stop_sequence; usage=9,2";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":false,"stop":"tok3"}
--- response_body_like eval
main::completion_re(content => '"tok1 tok2"', finish => 'stop',
                    usage => '{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":0}}')



=== TEST 6: stopReason content_filtered becomes "content_filter"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; stop=content_filtered; usage=9,2";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":false}
--- response_body_like eval
main::completion_re(content => '"tok1 tok2"', finish => 'content_filter',
                    usage => '{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":0}}')



=== TEST 7: stopReason guardrail_intervened becomes "content_filter"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; stop=guardrail_intervened; usage=9,2";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":false}
--- response_body_like eval
main::completion_re(content => '"tok1 tok2"', finish => 'content_filter',
                    usage => '{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":0}}')



=== TEST 8: cached prompt tokens show in prompt_tokens_details; prompt_tokens counts them (Bedrock's inputTokens does not), the read and write counts follow
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1; usage=40,1; cache=32,0";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":false}
--- response_body_like eval
main::completion_re(content => '"tok1"',
                    usage => '{"prompt_tokens":72,"completion_tokens":1,"total_tokens":73,"prompt_tokens_details":{"cached_tokens":32},"cache_read_input_tokens":32,"cache_creation_input_tokens":0}')



=== TEST 9: the model name the client used is echoed (alias)
--- config
    location = /v1/chat/completions {
        chat_completions_model_alias gpt-4o-mini amazon.nova-micro-v1:0;
        set $double_scenario "tokens=1; usage=3,1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}],"stream":false}
--- response_body_like eval
main::completion_re(model => 'gpt-4o-mini', content => '"tok1"',
                    usage => '{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4,"prompt_tokens_details":{"cached_tokens":0}}')



=== TEST 10: no "stream" with Accept: text/event-stream streams
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2";
        chat_completions;
    }
--- more_headers
Accept: text/event-stream
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_headers
Content-Type: text/event-stream
--- response_body_like eval
'^' . main::sse(deltas => ['{"content":"tok1"}', '{"content":" tok2"}']) . '\z'



=== TEST 11: no "stream" with Accept listing both JSON and event-stream streams
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- more_headers
Accept: application/json, text/event-stream
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_headers
Content-Type: text/event-stream
--- response_body_like eval
'^' . main::sse(deltas => ['{"content":"tok1"}']) . '\z'



=== TEST 12: chat_completions_stream_default off: no "stream" field means JSON, whatever Accept says
--- config
    location = /v1/chat/completions {
        chat_completions_stream_default off;
        set $double_scenario "tokens=2; usage=5,2";
        chat_completions;
    }
--- more_headers
Accept: */*
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_headers
Content-Type: application/json
--- response_body_like eval
main::completion_re(content => '"tok1 tok2"',
                    usage => '{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7,"prompt_tokens_details":{"cached_tokens":0}}')



=== TEST 13: chat_completions_stream_default off: "stream": true still streams
--- config
    location = /v1/chat/completions {
        chat_completions_stream_default off;
        set $double_scenario "tokens=2";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":true}
--- response_headers
Content-Type: text/event-stream
--- response_body_like eval
'^' . main::sse(deltas => ['{"content":"tok1"}', '{"content":" tok2"}']) . '\z'



=== TEST 14: Accept: application/json with "stream": true still streams (the field wins)
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2";
        chat_completions;
    }
--- more_headers
Accept: application/json
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":true}
--- response_headers
Content-Type: text/event-stream
--- response_body_like eval
'^' . main::sse(deltas => ['{"content":"tok1"}', '{"content":" tok2"}']) . '\z'



=== TEST 15: Accept: text/event-stream with "stream": false answers JSON (the field wins)
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1; usage=2,1";
        chat_completions;
    }
--- more_headers
Accept: text/event-stream
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":false}
--- response_headers
Content-Type: application/json
--- response_body_like eval
main::completion_re(content => '"tok1"',
                    usage => '{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":0}}')



=== TEST 16: include_usage is ignored without streaming: one completion, one usage
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1; usage=2,1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":false,"stream_options":{"include_usage":true}}
--- response_body_like eval
main::completion_re(content => '"tok1"',
                    usage => '{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":0}}')



=== TEST 17: a Converse answer cut in half is a 502 JSON error, logged
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=3; truncate=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":false}
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"The Amazon Bedrock answer ended unexpectedly.","type":"server_error","param":null,"code":"upstream_truncated"}}
--- error_log eval
qr/\[error\] .*upstream Bedrock Converse response ended early/
--- no_error_log
[alert]
[crit]



=== TEST 18: a Converse answer without its output is one 502 JSON error, the connection kept
--- config
    location = /v1/chat/completions {
        chat_completions;
    }

    location = /_bedrock {
        internal;
        return 200 '{"nooutput":true}';
    }
--- no_bedrock_location
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":false}
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"upstream sent an invalid Converse response","type":"server_error","param":null,"code":null}}
--- error_log eval
qr/\[error\] .*upstream Bedrock sent an unusable Converse response/
--- no_error_log
[alert]
[crit]
header already sent
