# vi:filetype=perl

use lib '.';
use t::ChatCompletions;
use t::SSE;

plan("no_plan");

our $Head = '\{"id":"chatcmpl-[A-Za-z0-9]{24}","object":"chat\.completion\.chunk",'
            . '"created":\d+,"model":"amazon\.nova-lite-v1:0","choices":\[\{"index":0,'
            . '"delta":';

# the role chunk and the content chunks of a stream that then fails
sub chunks_re {
    my $re = '';
    for my $d ('{"role":"assistant","content":""}', @_) {
        $re .= 'data: ' . $main::Head . quotemeta($d)
               . ',"logprobs":null,"finish_reason":null\}\]\}\n\n';
    }
    return $re;
}

# the in-band error event and the terminator
sub error_re {
    my ($message, $type, $code) = @_;
    return 'data: \{"error":\{"message":"' . quotemeta($message)
           . '","type":"' . $type . '","param":null,"code":'
           . (defined $code ? '"' . $code . '"' : 'null') . '\}\}\n\n'
           . 'data: \[DONE\]\n\n';
}

sub toks {
    my $n = shift;
    return map { $_ == 1 ? '{"content":"tok1"}' : '{"content":" tok' . $_ . '"}' }
           1 .. $n;
}

run_tests();

__DATA__

=== TEST 1: frames written one byte per chunk give the same SSE answer
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=5; split=bytes";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_headers
Content-Type: text/event-stream
--- response_body_like eval
'^' . t::SSE::sse_re(deltas => [main::toks(5)]) . '\z'



=== TEST 2: frames written in 7-byte pieces give the same SSE answer
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=5; split=7";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . t::SSE::sse_re(deltas => [main::toks(5)]) . '\z'



=== TEST 3: all frames coalesced into one write give the same SSE answer
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=5; coalesce=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . t::SSE::sse_re(deltas => [main::toks(5)]) . '\z'



=== TEST 4: multi-byte UTF-8 text split byte by byte, two words per delta, arrives intact
--- config
    location = /v1/chat/completions {
        set $double_scenario "text=Caf%C3%A9%20costs%20%E2%82%AC5%20%F0%9F%98%80%20ok; chunk=2; split=bytes";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . t::SSE::sse_re(deltas => ["{\"content\":\"Caf\xc3\xa9 costs\"}",
                                "{\"content\":\" \xe2\x82\xac5 \xf0\x9f\x98\x80\"}",
                                '{"content":" ok"}']) . '\z'



=== TEST 5: a long answer (500 deltas) arrives complete and in order
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=500";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . t::SSE::sse_re(deltas => [main::toks(500)]) . '\z'



=== TEST 6: a long answer written in 7-byte pieces arrives complete
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=60; split=7";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . t::SSE::sse_re(deltas => [main::toks(60)]) . '\z'



=== TEST 7: a corrupt prelude CRC after 2 deltas: the 2 deltas, an in-band error, [DONE], status 200
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=5; corrupt=prelude; after=2";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 200
--- response_headers
Content-Type: text/event-stream
--- response_body_like eval
'^' . main::chunks_re(main::toks(2))
. main::error_re('The Amazon Bedrock stream was corrupted.', 'server_error', 'upstream_corrupt')
. '\z'
--- error_log eval
qr/\[error\] .*upstream Bedrock sent a corrupt eventstream frame: prelude CRC mismatch \(model "amazon\.nova-lite-v1:0"\)/
--- no_error_log
[alert]
[crit]



=== TEST 8: a corrupt message CRC after 2 deltas: the 2 deltas, an in-band error, [DONE]
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=5; corrupt=message; after=2";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 200
--- response_body_like eval
'^' . main::chunks_re(main::toks(2))
. main::error_re('The Amazon Bedrock stream was corrupted.', 'server_error', 'upstream_corrupt')
. '\z'
--- error_log eval
qr/\[error\] .*upstream Bedrock sent a corrupt eventstream frame: message CRC mismatch/
--- no_error_log
[alert]
[crit]



=== TEST 9: a corrupt prelude in a byte-by-byte stream is caught the same way
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=4; corrupt=prelude; after=2; split=bytes";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 200
--- response_body_like eval
'^' . main::chunks_re(main::toks(2))
. main::error_re('The Amazon Bedrock stream was corrupted.', 'server_error', 'upstream_corrupt')
. '\z'
--- error_log
corrupt eventstream frame
--- no_error_log
[alert]
[crit]



=== TEST 10: a stream cut in the middle of a frame after 2 deltas: an in-band "ended unexpectedly" error, [DONE]
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=5; truncate=1; after=2";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 200
--- response_body_like eval
'^' . main::chunks_re(main::toks(2))
. main::error_re('The Amazon Bedrock stream ended unexpectedly.', 'server_error', 'upstream_truncated')
. '\z'
--- error_log eval
qr/\[error\] .*upstream Bedrock stream ended before its metadata event, in the middle of a frame \(model "amazon\.nova-lite-v1:0"\)/
--- no_error_log
[alert]
[crit]



=== TEST 11: a throttlingException frame after 1 delta: an in-band rate_limit_error, [DONE]
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=5; exception=throttlingException; after=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 200
--- response_body_like eval
'^' . main::chunks_re(main::toks(1))
. main::error_re('Too many requests, please wait before trying again.', 'rate_limit_error', 'rate_limit_exceeded')
. '\z'
--- error_log eval
qr/\[error\] .*upstream Bedrock stream failed: throttlingException Too many requests, please wait before trying again\. \(model "amazon\.nova-lite-v1:0"\)/
--- no_error_log
[alert]
[crit]



=== TEST 12: a modelStreamErrorException frame after 1 delta: an in-band server_error with Bedrock's message, [DONE]
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=5; exception=modelStreamErrorException; after=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 200
--- response_body_like eval
'^' . main::chunks_re(main::toks(1))
. main::error_re('The model encountered an error while streaming the response. Retry your request.', 'server_error', undef)
. '\z'
--- error_log eval
qr/\[error\] .*upstream Bedrock stream failed: modelStreamErrorException /
--- no_error_log
[alert]
[crit]



=== TEST 13: an exception with a custom message right after messageStart: only the role chunk, then the error
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=5; exception=serviceUnavailableException; after=0; message=Bedrock%20is%20busy%20%22now%22";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 200
--- response_body_like eval
'^' . main::chunks_re()
. main::error_re('Bedrock is busy \"now\"', 'service_unavailable_error', undef)
. '\z'
--- error_log
upstream Bedrock stream failed: serviceUnavailableException
--- no_error_log
[alert]
[crit]



=== TEST 14: an unmodeled error frame (:message-type error) after 1 delta: an in-band server_error, [DONE]
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=5; error_frame=1; after=1; error_code=SomethingBroke; error_message=It%20broke.";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 200
--- response_body_like eval
'^' . main::chunks_re(main::toks(1))
. main::error_re('It broke.', 'server_error', undef)
. '\z'
--- error_log eval
qr/\[error\] .*upstream Bedrock stream failed: SomethingBroke It broke\. \(model "amazon\.nova-lite-v1:0"\)/
--- no_error_log
[alert]
[crit]



=== TEST 15: an exception after messageStop (before metadata): no finish chunk, the error, [DONE]
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=3; exception=internalServerException; after=end";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 200
--- response_body_like eval
'^' . main::chunks_re(main::toks(3))
. 'data: \{"error":\{"message":"[^"]+","type":"server_error","param":null,"code":null\}\}\n\n'
. 'data: \[DONE\]\n\n\z'
--- error_log
upstream Bedrock stream failed: internalServerException
--- no_error_log
[alert]
[crit]



=== TEST 16: the error line of a cut stream names the Bedrock subrequest, as nginx's own upstream errors do
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=5; truncate=1; after=2";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 200
--- response_body_like eval
'^' . main::chunks_re(main::toks(2))
. main::error_re('The Amazon Bedrock stream ended unexpectedly.', 'server_error', 'upstream_truncated')
. '\z'
--- error_log eval
qr/\[error\] .*upstream Bedrock stream ended before its metadata event, in the middle of a frame \(model "amazon\.nova-lite-v1:0"\).*subrequest: "\/_bedrock"/
--- no_error_log
[alert]
[crit]
