# vi:filetype=perl

use lib '.';
use t::ChatCompletions;
use t::SSE;

plan("no_plan");

# The double's echo=1 answers with the Bedrock request body it received, as
# one text delta: the whole SSE answer is then known byte for byte.
sub echo_re {
    my ($body, %a) = @_;
    (my $e = $body) =~ s/(["\\])/\\$1/g;
    return '^' . t::SSE::sse_re(%a, deltas => ['{"content":"' . $e . '"}'])
           . '\z';
}

# One /__requests entry of the double, as it pretty-prints it, with the
# exact set of headers nginx sent to Bedrock.
sub recorded_re {
    my %a = @_;
    my $model = $a{path} // 'amazon.nova-lite-v1%3A0';
    my $signed = $a{token} ? 'content-type;host;x-amz-date;x-amz-security-token'
                           : 'content-type;host;x-amz-date';
    my $auth = $a{bearer}
        ? '"authorization": "Bearer <redacted ' . $a{bearer} . ' chars>"'
        : '"authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\d{8}/'
          . 'us-east-1/bedrock/aws4_request, SignedHeaders=' . $signed
          . ', Signature=[0-9a-f]{64}"';
    my $re = '^(?!.*sk-client-secret)(?!.*client-cookie)\[\n \{\n'
        . '  "time": "[^"]+",\n'
        . '  "method": "POST",\n'
        . '  "path": "/model/' . quotemeta($model) . '/converse-stream",\n'
        . '  "headers": \{\n'
        . '   "x-double-scenario": "' . quotemeta($a{scenario}) . '",\n'
        . '   "host": "127\.0\.0\.1:\d+",\n'
        . '   "content-length": "\d+",\n'
        . '   "content-type": "application/json",\n';
    $re .= '   "x-amz-date": "\d{8}T\d{6}Z",\n' unless $a{bearer};
    $re .= '   "x-amz-security-token": "<redacted ' . $a{token} . ' chars>",\n'
        if $a{token};
    $re .= '   ' . $auth . '\n'
        . '  \},\n'
        . '  "body": "' . quotemeta($a{body}) . '",\n'
        . '  "verified": true,\n'
        . '  "auth": "' . ($a{bearer} ? 'bearer' : 'sigv4') . '",\n';
    return $re;
}

our $DoubleLocations = <<"_EOC_";
    location = /double-reset {
        proxy_pass http://127.0.0.1:$t::ChatCompletions::BedrockPort/__reset;
    }

    location = /double-requests {
        proxy_pass http://127.0.0.1:$t::ChatCompletions::BedrockPort/__requests;
    }
_EOC_

our $BearerHttpConfig = <<"_EOC_";
    chat_completions_endpoint http://127.0.0.1:$t::ChatCompletions::BedrockPort;
    chat_completions_region us-east-1;
    chat_completions_keepalive_interval 0;
_EOC_

add_block_preprocessor(sub {
    my $block = shift;

    if (defined $block->config && $block->config =~ /#double-locations/) {
        $block->set_value("config", $block->config . $DoubleLocations);
    }
});

run_tests();

__DATA__

=== TEST 1: a Vapi request (system, assistant greeting first, extras) becomes this Converse body exactly
--- config
    location = /api/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /api/chat/completions
{"model":"amazon.nova-lite-v1:0","messages":[{"role":"system","content":"You are Riley, a bank assistant. Keep answers short."},{"role":"assistant","content":"Hi, this is Riley from the bank. How can I help?"},{"role":"user","content":"What loan options are available?"}],"temperature":0,"max_tokens":250,"stream":true,"call":{"id":"call-123","orgId":"org-1","type":"webCall"},"metadata":{"source":"vapi"},"customer":{"number":"+15551234567"},"phoneNumber":null,"timestamp":1736942400000}
--- response_headers
Content-Type: text/event-stream
--- response_body_like eval
main::echo_re('{"system":[{"text":"You are Riley, a bank assistant. Keep answers short."}],"messages":[{"role":"user","content":[{"text":"Hello."}]},{"role":"assistant","content":[{"text":"Hi, this is Riley from the bank. How can I help?"}]},{"role":"user","content":[{"text":"What loan options are available?"}]}],"inferenceConfig":{"maxTokens":250,"temperature":0}}')



=== TEST 2: a stop string, top_p and temperature go to inferenceConfig; no system means no "system"
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Count to ten"}],"stop":"END","top_p":0.9,"temperature":0.7}
--- response_body_like eval
main::echo_re('{"messages":[{"role":"user","content":[{"text":"Count to ten"}]}],"inferenceConfig":{"temperature":0.7,"topP":0.9,"stopSequences":["END"]}}')



=== TEST 3: a stop array keeps its strings in order (an empty one is a 400: t/140-strict.t)
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Count"}],"stop":["seven","eight","nine"]}
--- response_body_like eval
main::echo_re('{"messages":[{"role":"user","content":[{"text":"Count"}]}],"inferenceConfig":{"stopSequences":["seven","eight","nine"]}}')



=== TEST 4: max_completion_tokens wins over max_tokens
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"max_tokens":250,"max_completion_tokens":40}
--- response_body_like eval
main::echo_re('{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":40}}')



=== TEST 5: max_tokens alone is used
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"max_tokens":77}
--- response_body_like eval
main::echo_re('{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":77}}')



=== TEST 6: chat_completions_max_tokens clamps a larger max_tokens
--- config
    location = /v1/chat/completions {
        chat_completions_max_tokens 100;
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"max_tokens":250}
--- response_body_like eval
main::echo_re('{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":100}}')



=== TEST 7: chat_completions_max_tokens is the default when the client sends none
--- config
    location = /v1/chat/completions {
        chat_completions_max_tokens 100;
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}]}
--- response_body_like eval
main::echo_re('{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":100}}')



=== TEST 8: chat_completions_max_tokens leaves a smaller max_completion_tokens alone
--- config
    location = /v1/chat/completions {
        chat_completions_max_tokens 100;
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"max_completion_tokens":30}
--- response_body_like eval
main::echo_re('{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":30}}')



=== TEST 9: chat_completions_first_user_message sets the synthetic first user turn
--- config
    location = /v1/chat/completions {
        chat_completions_first_user_message "(call connected)";
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"system","content":"Be brief."},{"role":"assistant","content":"Hello, how can I help?"},{"role":"user","content":"Balance please"}]}
--- response_body_like eval
main::echo_re('{"system":[{"text":"Be brief."}],"messages":[{"role":"user","content":[{"text":"(call connected)"}]},{"role":"assistant","content":[{"text":"Hello, how can I help?"}]},{"role":"user","content":[{"text":"Balance please"}]}]}')



=== TEST 10: consecutive same-role turns are merged and blank text is dropped
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"developer","content":"Rule one."},{"role":"user","content":"Hi"},{"role":"user","content":"   "},{"role":"user","content":[{"type":"text","text":"Are you there?"}]},{"role":"system","content":"Rule two."}]}
--- response_body_like eval
main::echo_re('{"system":[{"text":"Rule one."},{"text":"Rule two."}],"messages":[{"role":"user","content":[{"text":"Hi"},{"text":"Are you there?"}]}]}')



=== TEST 11: the client's Authorization and other headers never reach Bedrock; nginx signs with SigV4
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }
    #double-locations
--- more_headers
Authorization: Bearer sk-client-secret
Cookie: session=client-cookie
X-Api-Key: sk-client-secret
--- request eval
["POST /double-reset",
 "POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"Hello"}]}',
 "GET /double-requests"]
--- response_body_like eval
["^ok\\z",
 '^' . t::SSE::sse_re(deltas => ['{"content":"tok1"}']) . '\z',
 main::recorded_re(scenario => 'tokens=1',
                   body => '{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hello\"}]}]}')]



=== TEST 12: a session token goes out as x-amz-security-token and is signed
--- http_config
    chat_completions_session_token FwoGZXIvYXdzEXAMPLEsessionTOKEN0123456789;
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }
    #double-locations
--- request eval
["POST /double-reset",
 "POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"Hello"}]}',
 "GET /double-requests"]
--- response_body_like eval
["^ok\\z",
 '^' . t::SSE::sse_re(deltas => ['{"content":"tok1"}']) . '\z',
 main::recorded_re(scenario => 'tokens=1', token => 41,
                   body => '{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hello\"}]}]}')]



=== TEST 13: a wrong secret key: Bedrock says InvalidSignature, the client gets a 502 about the gateway's credentials
--- config
    location = /v1/chat/completions {
        chat_completions_secret_access_key wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGKEY;
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"Amazon Bedrock refused the gateway's credentials: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.","type":"server_error","param":null,"code":"upstream_auth_failed"}}
--- error_log eval
qr/\[error\] .*upstream Bedrock answered 403 InvalidSignatureException(?::http:\/\/internal\.amazon\.com\/coral\/[a-z.]+\/)? for model "amazon\.nova-lite-v1:0"/
--- no_error_log
[alert]
[crit]



=== TEST 14: a wrong access key id: UnrecognizedClient is mapped the same way
--- config
    location = /v1/chat/completions {
        chat_completions_access_key_id AKIDWRONGEXAMPLE;
        chat_completions_secret_access_key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 502
--- response_body
{"error":{"message":"Amazon Bedrock refused the gateway's credentials: The security token included in the request is invalid.","type":"server_error","param":null,"code":"upstream_auth_failed"}}
--- error_log eval
qr/\[error\] .*upstream Bedrock answered 403 UnrecognizedClientException/
--- no_error_log
[alert]
[crit]



=== TEST 15: a Bedrock API key goes out as a bearer token and is accepted
--- http_config eval
$main::BearerHttpConfig . "    chat_completions_api_key test-bedrock-api-key;\n"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }
    #double-locations
--- more_headers
Authorization: Bearer sk-client-secret
--- request eval
["POST /double-reset",
 "POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"Hello"}]}',
 "GET /double-requests"]
--- response_body_like eval
["^ok\\z",
 '^' . t::SSE::sse_re(deltas => ['{"content":"tok1"}']) . '\z',
 main::recorded_re(scenario => 'tokens=1', bearer => 20,
                   body => '{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hello\"}]}]}')]



=== TEST 16: a wrong Bedrock API key: AccessDenied becomes a 502 that says the gateway's credentials were refused
--- http_config eval
$main::BearerHttpConfig . "    chat_completions_api_key test-bedrock-api-key-WRONG;\n"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"Amazon Bedrock refused the gateway's AWS credentials (access denied: check the IAM policy and the model access of the gateway's identity): Authentication failed: Please make sure your API Key is valid.","type":"server_error","param":null,"code":"upstream_access_denied"}}
--- error_log eval
qr/\[error\] .*upstream Bedrock answered 403 AccessDeniedException/
--- no_error_log
[alert]
[crit]



=== TEST 17: passthrough on: a Bedrock model id the config does not name is used as is (':' signed right)
--- config
    location = /v1/chat/completions {
        chat_completions_model_passthrough on;
        set $double_scenario "tokens=2";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"model":"amazon.nova-micro-v1:0","messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . t::SSE::sse_re(model => 'amazon.nova-micro-v1:0',
                     deltas => ['{"content":"tok1"}', '{"content":" tok2"}']) . '\z'



=== TEST 18: passthrough on: an inference-profile ARN ('/' and ':' in the path label) is signed and accepted
--- config
    location = /v1/chat/completions {
        chat_completions_model_passthrough on;
        set $double_scenario "tokens=1";
        chat_completions;
    }
    #double-locations
--- request eval
["POST /double-reset",
 "POST /v1/chat/completions\n" . '{"model":"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0","messages":[{"role":"user","content":"Hello"}]}',
 "GET /double-requests"]
--- response_body_like eval
["^ok\\z",
 '^' . t::SSE::sse_re(model => 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0',
                      deltas => ['{"content":"tok1"}']) . '\z',
 main::recorded_re(scenario => 'tokens=1',
                   path => 'arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.amazon.nova-lite-v1%3A0',
                   body => '{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hello\"}]}]}')]



=== TEST 19: passthrough off (the default): the same Bedrock model id is a 404, nothing is sent to Bedrock
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"model":"amazon.nova-micro-v1:0","messages":[{"role":"user","content":"Hello"}]}
--- error_code: 404
--- response_body
{"error":{"message":"The model `amazon.nova-micro-v1:0` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}



=== TEST 20: passthrough on with a model Bedrock does not know: Bedrock's ValidationException message comes back as a 400
--- config
    location = /v1/chat/completions {
        chat_completions_model_passthrough on;
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"model":"gpt-4o","messages":[{"role":"user","content":"Hello"}]}
--- error_code: 400
--- response_body
{"error":{"message":"The provided model identifier is invalid.","type":"invalid_request_error","param":null,"code":null}}
--- error_log eval
qr/\[error\] .*upstream Bedrock answered 400 ValidationException(?::http:\/\/internal\.amazon\.com\/coral\/[a-z.]+\/)? for model "gpt-4o"/
--- no_error_log
[alert]
[crit]



=== TEST 21: chat_completions_model sets the model id for requests without one
--- config
    location = /v1/chat/completions {
        chat_completions_model amazon.nova-pro-v1:0;
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . t::SSE::sse_re(model => 'amazon.nova-pro-v1:0',
                     deltas => ['{"content":"tok1"}']) . '\z'



=== TEST 22: nothing builds the body again: it is built once and the client's JSON let go before the first attempt
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"model":"amazon.nova-lite-v1:0","messages":[{"role":"user","content":"Hello"}]}
--- log_level: debug
--- response_body_like eval
main::echo_re('{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}')
--- error_log
chatcompletions body of 59 bytes built once, the request's JSON let go
--- no_error_log
[error]



=== TEST 23: a server tool (a later round adds to the conversation) keeps the client's JSON
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions_tool get_loan_options /_tools/loans "List the loan products the bank offers";
        chat_completions;
    }
    location = /_tools/loans {
        return 200 '{"loans":[]}';
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- log_level: debug
--- response_body_like eval
'^' . t::SSE::sse_re(deltas => ['{"content":"tok1"}']) . '\z'
--- no_error_log
built once
[error]



=== TEST 24: a target with a model of its own (a failover changes the body) keeps the client's JSON
--- config
    chat_completions_target us-east-1 endpoint=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
    chat_completions_target us-east-1 endpoint=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT
                            model=amazon.nova-pro-v1:0;
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- log_level: debug
--- response_body_like eval
'^' . t::SSE::sse_re(deltas => ['{"content":"tok1"}']) . '\z'
--- no_error_log
built once
[error]



=== TEST 25: $chat_completions_phone read by the configuration keeps the client's JSON (the number is looked up when it is read)
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        add_header X-Phone $chat_completions_phone;
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"call":{"customer":{"number":"+1 (555) 010-0199"}}}
--- log_level: debug
--- response_headers
X-Phone: +15550100199
--- response_body_like eval
'^' . t::SSE::sse_re(deltas => ['{"content":"tok1"}']) . '\z'
--- no_error_log
built once
[error]
