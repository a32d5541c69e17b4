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

our $NoKeysHttpConfig = <<"_EOC_";
    chat_completions_endpoint http://127.0.0.1:$t::ChatCompletions::BedrockPort;
    chat_completions_region us-east-1;
    chat_completions_keepalive_interval 0;
_EOC_

run_tests();

__DATA__

=== TEST 1: ThrottlingException (429) before the stream: HTTP 429 rate_limit_error
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=ThrottlingException";
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
--- error_log eval
qr/\[error\] .*upstream Bedrock answered 429 ThrottlingException(?::http:\/\/internal\.amazon\.com\/coral\/[a-z.]+\/)? for model "amazon\.nova-lite-v1:0": "Too many requests, please wait before trying again\."/
--- no_error_log
[alert]
[crit]



=== TEST 2: a 429 tells the client when to retry (Retry-After)
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=ThrottlingException";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 429
--- response_headers_like
Retry-After: \d+
--- error_log
upstream Bedrock answered 429 ThrottlingException
--- no_error_log
[alert]
[crit]



=== TEST 3: ThrottlingException on a non-streaming request: the same 429
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=ThrottlingException";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":false}
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



=== TEST 4: ValidationException (400): HTTP 400 invalid_request_error with Bedrock's message passed through
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=ValidationException; message=Input%20is%20too%20long%20for%20requested%20model.";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"Input is too long for requested model.","type":"invalid_request_error","param":null,"code":null}}
--- error_log eval
qr/\[error\] .*upstream Bedrock answered 400 ValidationException(?::http:\/\/internal\.amazon\.com\/coral\/[a-z.]+\/)? for model "amazon\.nova-lite-v1:0": "Input is too long for requested model\."/
--- no_error_log
[alert]
[crit]



=== TEST 5: AccessDeniedException (403): a 5xx that says the gateway's AWS credentials were refused
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=AccessDeniedException";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"Amazon Bedrock refused the gateway's AWS credentials (access denied: check the IAM policy and the model access of the gateway's identity): You don't have access to the model with the specified model ID.","type":"server_error","param":null,"code":"upstream_access_denied"}}
--- error_log
upstream Bedrock answered 403 AccessDeniedException
--- no_error_log
[alert]
[crit]



=== TEST 6: ResourceNotFoundException (404): HTTP 404 model_not_found with Bedrock's message
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=ResourceNotFoundException";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"Could not resolve the foundation model from the provided model identifier.","type":"invalid_request_error","param":null,"code":"model_not_found"}}
--- error_log
upstream Bedrock answered 404 ResourceNotFoundException
--- no_error_log
[alert]
[crit]



=== TEST 7: ModelTimeoutException (408): HTTP 504 timeout
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=ModelTimeoutException";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 504
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"Model has timed out in processing the request. Try your request again.","type":"server_error","param":null,"code":"timeout"}}
--- error_log
upstream Bedrock answered 408 ModelTimeoutException
--- no_error_log
[alert]
[crit]



=== TEST 8: ServiceUnavailableException (503): HTTP 503 service_unavailable_error
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=ServiceUnavailableException";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 503
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"Bedrock is unable to process your request.","type":"service_unavailable_error","param":null,"code":null}}
--- error_log
upstream Bedrock answered 503 ServiceUnavailableException
--- no_error_log
[alert]
[crit]



=== TEST 9: InternalServerException (500): HTTP 500 server_error
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=InternalServerException";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 500
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"The system encountered an unexpected error during processing. Try your request again.","type":"server_error","param":null,"code":null}}
--- error_log
upstream Bedrock answered 500 InternalServerException
--- no_error_log
[alert]
[crit]



=== TEST 10: ExpiredTokenException (403): a 5xx that says the gateway's credentials were refused
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=ExpiredTokenException";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"Amazon Bedrock refused the gateway's credentials: The security token included in the request is expired","type":"server_error","param":null,"code":"upstream_auth_failed"}}
--- error_log eval
qr/\[error\] .*upstream Bedrock answered 403 ExpiredTokenException(?::http:\/\/internal\.amazon\.com\/coral\/[a-z.]+\/)? for model/
--- no_error_log
[alert]
[crit]



=== TEST 11: ModelNotReadyException (429): HTTP 429 rate_limit_error
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=ModelNotReadyException; message=Model%20is%20not%20ready.";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 429
--- response_body
{"error":{"message":"Model is not ready.","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}
--- error_log
upstream Bedrock answered 429 ModelNotReadyException
--- no_error_log
[alert]
[crit]



=== TEST 12: ServiceQuotaExceededException (400 at Bedrock): HTTP 429 rate_limit_error
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=ServiceQuotaExceededException; message=Quota%20exceeded.";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 429
--- response_body
{"error":{"message":"Quota exceeded.","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}
--- error_log
upstream Bedrock answered 400 ServiceQuotaExceededException
--- no_error_log
[alert]
[crit]



=== TEST 13: ModelErrorException (424): HTTP 502 server_error
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=ModelErrorException";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 502
--- response_body
{"error":{"message":"The model encountered an error processing your request.","type":"server_error","param":null,"code":null}}
--- error_log
upstream Bedrock answered 424 ModelErrorException
--- no_error_log
[alert]
[crit]



=== TEST 14: an unnamed 503 with an HTML body (a proxy in front of Bedrock) is mapped by its status
--- config
    location = /v1/chat/completions {
        chat_completions;
    }

    location = /_bedrock {
        internal;
        return 503 "<html><body>busy</body></html>";
    }
--- no_bedrock_location
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 503
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"Amazon Bedrock returned HTTP 503","type":"service_unavailable_error","param":null,"code":null}}
--- error_log
upstream Bedrock answered 503
--- no_error_log
[alert]
[crit]



=== TEST 15: Bedrock unreachable (connection refused): HTTP 502 JSON
--- config
    location = /v1/chat/completions {
        chat_completions;
    }

    location = /_bedrock {
        internal;
        proxy_pass http://127.0.0.1:1$chat_completions_bedrock_uri;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_buffering off;
    }
--- no_bedrock_location
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 502
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"The gateway could not reach Amazon Bedrock.","type":"server_error","param":null,"code":"upstream_unreachable"}}
--- error_log eval
qr/\[error\] .*connect\(\) failed \(111: Connection refused\) while connecting to upstream/
--- no_error_log
[alert]
[crit]



=== TEST 16: Bedrock sends no headers within proxy_read_timeout: HTTP 504 JSON
--- config
    proxy_read_timeout 300ms;

    location = /v1/chat/completions {
        set $double_scenario "tokens=1; header_delay=1500";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 504
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"Amazon Bedrock did not answer in time.","type":"server_error","param":null,"code":"timeout"}}
--- error_log
upstream timed out
--- no_error_log
[alert]
[crit]



=== TEST 17: a non-streaming Converse call that never answers: HTTP 504 JSON after proxy_read_timeout
--- config
    proxy_read_timeout 300ms;

    location = /v1/chat/completions {
        set $double_scenario "tokens=1; stall=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"stream":false}
--- error_code: 504
--- response_body
{"error":{"message":"Amazon Bedrock did not answer in time.","type":"server_error","param":null,"code":"timeout"}}
--- error_log
upstream timed out
--- no_error_log
[alert]
[crit]



=== TEST 18: a stream that stalls after 2 deltas: the 2 deltas, an in-band timeout error, [DONE] after chat_completions_read_timeout
--- config
    location = /v1/chat/completions {
        chat_completions_read_timeout 300ms;
        set $double_scenario "tokens=5; stall=1; after=2";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 200
--- response_headers
Content-Type: text/event-stream
--- response_body_like eval
'^' . main::chunks_re('{"content":"tok1"}', '{"content":" tok2"}')
. 'data: \{"error":\{"message":"Amazon Bedrock stopped sending the answer\.","type":"server_error","param":null,"code":"timeout"\}\}\n\n'
. 'data: \[DONE\]\n\n\z'
--- error_log eval
qr/\[error\] .*upstream Bedrock sent nothing for 300 ms \(chat_completions_read_timeout\), ending the stream \(model "amazon\.nova-lite-v1:0"\)/
--- no_error_log
[alert]
[crit]



=== TEST 19: chat_completions_read_timeout does not cut a slow but steady stream
--- config
    location = /v1/chat/completions {
        chat_completions_read_timeout 500ms;
        set $double_scenario "tokens=6; delay=200";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . main::chunks_re('{"content":"tok1"}', '{"content":" tok2"}', '{"content":" tok3"}',
                      '{"content":" tok4"}', '{"content":" tok5"}', '{"content":" tok6"}')
. 'data: ' . $main::Head . '\{\},"logprobs":null,"finish_reason":"stop"\}\]\}\n\n'
. 'data: \[DONE\]\n\n\z'



=== TEST 20: a 300ms read timeout with a delta every 150ms: the stream is never silent for 300ms and is not cut
--- config
    location = /v1/chat/completions {
        chat_completions_read_timeout 300ms;
        set $double_scenario "tokens=4; delay=150";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- response_body_like eval
'^' . main::chunks_re('{"content":"tok1"}', '{"content":" tok2"}', '{"content":" tok3"}', '{"content":" tok4"}')
. 'data: ' . $main::Head . '\{\},"logprobs":null,"finish_reason":"stop"\}\]\}\n\n'
. 'data: \[DONE\]\n\n\z'



=== TEST 21: a client that goes away mid-stream stops the Bedrock call at once
--- log_level: info
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=20; delay=600";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- timeout: 0.3
--- abort
--- ignore_response
--- wait: 0.3
--- error_log
client prematurely closed connection, so upstream connection is closed too
--- no_error_log
[error]
[alert]
[crit]



=== TEST 22: a client that goes away while Bedrock has not answered yet stops the call too
--- log_level: info
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; header_delay=1500";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- timeout: 0.3
--- abort
--- ignore_response
--- wait: 0.3
--- error_log
client prematurely closed connection, so upstream connection is closed too
--- no_error_log
[error]
[alert]
[crit]



=== TEST 23: no credentials at all: HTTP 503 that says so and names what was tried, and an error log line
--- main_config
    env AWS_EC2_METADATA_DISABLED=true;
    env AWS_SHARED_CREDENTIALS_FILE=/nonexistent/credentials;
    env AWS_CONFIG_FILE=/nonexistent/config;
--- http_config eval
$main::NoKeysHttpConfig
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Hello"}]}
--- error_code: 503
--- response_headers
Content-Type: application/json
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: no source is configured (environment, web identity, profile \"default\", container; instance metadata is disabled by AWS_EC2_METADATA_DISABLED).","type":"server_error","param":null,"code":"no_credentials"}}
--- error_log
chat_completions: no AWS credentials for Bedrock: no source is configured
--- no_error_log
[alert]
[crit]
