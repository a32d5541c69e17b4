# vi:filetype=perl

# chat_completions_guardrail: Converse's guardrailConfig, an intervention
# as finish_reason "content_filter", the guardrail's assessment in the log
# and in $chat_completions_guardrail, never in the client's content.

use lib '.';
use t::ChatCompletions;
use t::SSE;

plan("no_plan");

our $Blocked = 'Sorry, the model cannot answer this question.';

# the double's trace for a guardrail gr1 (t/bedrock/lib/extras.js)
sub trace {
    my ($action) = @_;
    my $detected = $action eq 'BLOCKED' ? 'true' : 'false';
    return '{"inputAssessment":{"gr1":{"contentPolicy":{"filters":[{"type":'
           . '"VIOLENCE","confidence":"HIGH","filterStrength":"HIGH",'
           . '"action":"' . $action . '","detected":' . $detected . '}]}}}}';
}

# the SSE answer holding the request body the double received (echo=1)
sub echo_re {
    my ($body) = @_;
    (my $e = $body) =~ s/(["\\])/\\$1/g;
    return t::SSE::sse_re(deltas => ['{"content":"' . $e . '"}']);
}

# a whole chat.completion object, anchored
sub completion_re {
    my %a = @_;
    return '^\{"id":"chatcmpl-[A-Za-z0-9]{24}","object":"chat\.completion",'
           . '"created":\d+,"model":"amazon\.nova-lite-v1:0","choices":\[\{'
           . '"index":0,"message":\{"role":"assistant","content":'
           . quotemeta($a{content}) . ',"refusal":null\},"logprobs":null,'
           . '"finish_reason":"' . ($a{finish} // 'stop') . '"\}\],"usage":'
           . quotemeta($a{usage}) . ($a{tail} // '') . '\}\n\z';
}

run_tests();

__DATA__

=== TEST 1: ConverseStream: guardrailConfig with the trace and the stream processing mode
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions_guardrail gr1 3 trace=enabled stream=async;
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"stream":true}
--- response_body_like eval
main::echo_re('{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"guardrailConfig":{"guardrailIdentifier":"gr1","guardrailVersion":"3","trace":"enabled","streamProcessingMode":"async"}}')



=== TEST 2: Converse (not streamed): no streamProcessingMode, which Converse does not take
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1; usage=1,1";
        chat_completions_guardrail arn:aws:bedrock:us-east-1:123456789012:guardrail/gr1 DRAFT stream=sync;
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"stream":false}
--- response_body_like eval
main::completion_re(content => '"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hi\"}]}],\"guardrailConfig\":{\"guardrailIdentifier\":\"arn:aws:bedrock:us-east-1:123456789012:guardrail/gr1\",\"guardrailVersion\":\"DRAFT\"}}"',
                    usage => '{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"prompt_tokens_details":{"cached_tokens":0}}')



=== TEST 3: an intervention, streamed: the guardrail's message, finish_reason content_filter; the assessment at notice in the log, not in the stream
--- config
    location = /v1/chat/completions {
        set $double_scenario "guardrail=intervene";
        chat_completions_guardrail gr1 1 trace=enabled;
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Something violent"}],"stream":true}
--- log_level: notice
--- response_body_like eval
t::SSE::sse_re(deltas => ['{"content":"' . $main::Blocked . '"}'],
               finish => 'content_filter')
--- error_log eval
qr/\[notice\] .*chat_completions: guardrail intervened, finish_reason content_filter, assessment: \Q${\ main::trace('BLOCKED')}\E/
--- no_error_log
[error]
[warn]



=== TEST 4: an intervention, not streamed: content_filter, $chat_completions_guardrail holds the assessment, the answer does not
--- config
    location = /v1/chat/completions {
        set $double_scenario "guardrail=intervene; usage=5,0";
        chat_completions_guardrail gr1 1 trace=enabled_full;
        add_header X-Guardrail $chat_completions_guardrail always;
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Something violent"}],"stream":false}
--- response_headers eval
"X-Guardrail: " . main::trace('BLOCKED')
--- response_body_like eval
main::completion_re(content => qq{"$main::Blocked"}, finish => 'content_filter',
                    usage => '{"prompt_tokens":5,"completion_tokens":0,"total_tokens":5,"prompt_tokens_details":{"cached_tokens":0}}')



=== TEST 5: an intervention without a trace: logged all the same
--- config
    location = /v1/chat/completions {
        set $double_scenario "guardrail=intervene";
        chat_completions_guardrail gr1 1;
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Something violent"}],"stream":true}
--- log_level: notice
--- response_body_like eval
t::SSE::sse_re(deltas => ['{"content":"' . $main::Blocked . '"}'],
               finish => 'content_filter')
--- error_log
chat_completions: guardrail intervened, finish_reason content_filter, assessment: none (trace=disabled)



=== TEST 6: an assessment that let the answer through: info in the log, the answer as usual
--- config
    location = /v1/chat/completions {
        set $double_scenario "guardrail=assess; tokens=2";
        chat_completions_guardrail gr1 1 trace=enabled;
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":true}
--- log_level: info
--- response_body_like eval
t::SSE::sse_re(deltas => ['{"content":"tok1"}', '{"content":" tok2"}'])
--- error_log eval
qr/\[info\] .*chat_completions: guardrail assessment: \Q${\ main::trace('NONE')}\E/
--- no_error_log
guardrail intervened



=== TEST 7: inherited from the server level; "off" in a location sends none, so nothing intervenes
--- http_config
    chat_completions_guardrail gr1 1 trace=enabled;
--- config
    location = /v1/chat/completions {
        set $double_scenario "guardrail=intervene; echo=1";
        chat_completions_guardrail off;
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"stream":true}
--- response_body_like eval
main::echo_re('{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}')



=== TEST 8: inherited from the server level
--- http_config
    chat_completions_guardrail gr1 2;
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"stream":true}
--- response_body_like eval
main::echo_re('{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"guardrailConfig":{"guardrailIdentifier":"gr1","guardrailVersion":"2"}}')
