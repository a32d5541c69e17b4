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

sub toks {
    my $n = shift;
    return map { $_ == 1 ? '{"content":"tok1"}' : '{"content":" tok' . $_ . '"}' }
           1 .. $n;
}

run_tests();

__DATA__

=== TEST 1: a stream has the SSE headers, chunked, no Content-Length
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":true}
--- response_headers
Content-Type: text/event-stream
Cache-Control: no-cache
X-Accel-Buffering: no
Transfer-Encoding: chunked
!Content-Length
--- response_body_like eval
'^' . main::sse(deltas => [main::toks(2)]) . '\z'



=== TEST 2: include_usage: "usage":null on every chunk, then a usage chunk with Bedrock's numbers
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; usage=45,120";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":true,"stream_options":{"include_usage":true}}
--- response_body_like eval
'^' . main::sse(deltas => [main::toks(2)],
                     usage => '{"prompt_tokens":45,"completion_tokens":120,"total_tokens":165,"prompt_tokens_details":{"cached_tokens":0}}')
. '\z'



=== TEST 3: include_usage false: no usage anywhere
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; usage=45,120";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream_options":{"include_usage":false}}
--- response_body_like eval
'^' . main::sse(deltas => [main::toks(2)]) . '\z'



=== TEST 4: include_usage with the double's default counts (input words + 10, one per delta)
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=3";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"one two three four"}],"stream_options":{"include_usage":true}}
--- response_body_like eval
'^' . main::sse(deltas => [main::toks(3)],
                     usage => '{"prompt_tokens":14,"completion_tokens":3,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":0}}')
. '\z'



=== TEST 5: stopReason max_tokens becomes finish_reason "length"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; stop=max_tokens";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . main::sse(deltas => [main::toks(2)], finish => 'length') . '\z'



=== TEST 6: stopReason stop_sequence becomes "stop"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; stop=stop_sequence";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stop":["tok3"]}
--- response_body_like eval
'^' . main::sse(deltas => [main::toks(2)], finish => 'stop') . '\z'



=== TEST 7: stopReason content_filtered becomes "content_filter"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; stop=content_filtered";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . main::sse(deltas => [main::toks(2)], finish => 'content_filter') . '\z'



=== TEST 8: stopReason guardrail_intervened becomes "content_filter"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; stop=guardrail_intervened";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . main::sse(deltas => [main::toks(2)], finish => 'content_filter') . '\z'



=== TEST 9: stopReason model_context_window_exceeded becomes "length"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; stop=model_context_window_exceeded";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . main::sse(deltas => [main::toks(2)], finish => 'length') . '\z'



=== TEST 10: an unknown stopReason becomes "stop", never a value OpenAI clients do not know
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; stop=brand_new_reason";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . main::sse(deltas => [main::toks(2)], finish => 'stop') . '\z'



=== TEST 11: quotes, backslash, newline, tab, a control character and non-ASCII are JSON-escaped
--- config
    location = /v1/chat/completions {
        set $double_scenario "text=He%20said%20%22hi%22%0Aand%20left%09%5C%20caf%C3%A9%20%01%20%E2%82%AC; chunk=50";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . main::sse(deltas => ['{"content":"He said \"hi\"\nand left\t\\\\ caf' . "\xc3\xa9" . ' \u0001 ' . "\xe2\x82\xac" . '"}']) . '\z'



=== TEST 12: words split into deltas keep their spaces and newlines exactly
--- config
    location = /v1/chat/completions {
        set $double_scenario "text=Line%20one.%0ALine%20two%3A%20%22ok%22; chunk=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . main::sse(deltas => ['{"content":"Line"}', '{"content":" one."}', '{"content":"\nLine"}',
                                '{"content":" two:"}', '{"content":" \"ok\""}']) . '\z'



=== TEST 13: while Bedrock is silent, ": keepalive" comments go out before the role chunk
--- config
    location = /v1/chat/completions {
        chat_completions_keepalive_interval 100ms;
        set $double_scenario "tokens=3; first_delay=350";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_headers
Content-Type: text/event-stream
Cache-Control: no-cache
X-Accel-Buffering: no
--- response_body_like eval
'^(?:: keepalive\n\n){2,}' . main::sse(deltas => [main::toks(3)]) . '\z'



=== TEST 14: keepalives also cover a slow Bedrock that has not answered with headers yet
--- config
    location = /v1/chat/completions {
        chat_completions_keepalive_interval 100ms;
        set $double_scenario "tokens=2; header_delay=350";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_headers
Content-Type: text/event-stream
--- response_body_like eval
'^(?:: keepalive\n\n){2,}' . main::sse(deltas => [main::toks(2)]) . '\z'



=== TEST 15: no keepalive while tokens flow faster than the interval, over a stream longer than it
--- config
    location = /v1/chat/completions {
        chat_completions_keepalive_interval 500ms;
        set $double_scenario "tokens=8; delay=150";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . main::sse(deltas => [main::toks(8)]) . '\z'



=== TEST 16: with a 100ms interval and a delta every 50ms nothing is silent for 100ms: no keepalive
--- config
    location = /v1/chat/completions {
        chat_completions_keepalive_interval 100ms;
        set $double_scenario "tokens=10; delay=50";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . main::sse(deltas => [main::toks(10)]) . '\z'



=== TEST 17: a silence longer than the interval in the middle of the stream gets a heartbeat keepalive
--- config
    location = /v1/chat/completions {
        chat_completions_keepalive_interval 300ms;
        set $double_scenario "tokens=2; delay=800";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
my $re = main::sse(deltas => [main::toks(2)]);
# the keepalives go between the first and the second delta
my $at = index($re, '\\n\\n', index($re, 'tok1')) + 4;
substr($re, $at, 0) = '(?:: keepalive\n\n){1,3}';
'^(?:: keepalive\n\n){0,3}' . $re . '\z'



=== TEST 18: a fast answer gets no keepalive at all
--- config
    location = /v1/chat/completions {
        chat_completions_keepalive_interval 100ms;
        set $double_scenario "tokens=3";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . main::sse(deltas => [main::toks(3)]) . '\z'



=== TEST 19: a Bedrock error after keepalives committed the 200: in-band error event, then [DONE]
--- config
    location = /v1/chat/completions {
        chat_completions_keepalive_interval 100ms;
        set $double_scenario "status=ThrottlingException; header_delay=300";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 200
--- response_headers
Content-Type: text/event-stream
--- response_body_like eval
'^(?:: keepalive\n\n){2,}'
. 'data: \{"error":\{"message":"Too many requests, please wait before trying again\.","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"\}\}\n\n'
. 'data: \[DONE\]\n\n\z'
--- error_log eval
qr/\[error\] .*upstream Bedrock answered 429 ThrottlingException(?::http:\/\/internal\.amazon\.com\/coral\/[a-z.]+\/)? for model "amazon\.nova-lite-v1:0": "Too many requests, please wait before trying again\."/
--- no_error_log
[alert]
[crit]



=== TEST 20: the same error before any keepalive went out is a plain HTTP 429
--- config
    location = /v1/chat/completions {
        chat_completions_keepalive_interval 1s;
        set $double_scenario "status=ThrottlingException; header_delay=100";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 429
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"Too many requests, please wait before trying again.","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}
--- error_log
upstream Bedrock answered 429 ThrottlingException
--- no_error_log
[alert]
[crit]
