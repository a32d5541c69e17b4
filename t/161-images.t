# vi:filetype=perl

# image_url content parts: base64 data URLs of PNG, JPEG, GIF or WebP
# images become Converse image blocks; a URL is never fetched; the size
# limits: chat_completions_image_max_size, and client_max_body_size first.

use lib '.';
use t::ChatCompletions;
use t::SSE;

plan("no_plan");

# an 8-byte PNG signature and 8 bytes more, base64
our $Png = 'iVBORw0KGgoAAAANSUhEUg==';

# the SSE answer holding the request body the double received (echo=1)
sub echo_re {
    my ($body) = @_;
    (my $e = $body) =~ s/(["\\])/\\$1/g;
    return t::SSE::sse_re(deltas => ['{"content":"' . $e . '"}']);
}

sub err400 {
    my ($param, $code, $msg) = @_;
    return '{"error":{"message":"' . $msg . '","type":"invalid_request_error",'
           . '"param":"' . $param . '","code":"' . $code . '"}}' . "\n";
}

# a request with one image of $n decoded bytes (a PNG signature, then A's)
sub big_image {
    my ($n) = @_;
    my $b64 = 'iVBORw0KGgo' . ('A' x (int(($n - 8) / 3) * 4 + 1));
    return '{"messages":[{"role":"user","content":[{"type":"image_url",'
           . '"image_url":{"url":"data:image/png;base64,' . $b64 . '"}}]}],'
           . '"stream":true}';
}

run_tests();

__DATA__

=== TEST 1: text and a PNG data URL: a text block and an image block, in order
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. '{"messages":[{"role":"user","content":[{"type":"text","text":"What is in this picture?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,' . $main::Png . '","detail":"high"}}]}],"stream":true}'
--- response_body_like eval
main::echo_re('{"messages":[{"role":"user","content":[{"text":"What is in this picture?"},{"image":{"format":"png","source":{"bytes":"' . $main::Png . '"}}}]}]}')



=== TEST 2: image/jpeg, and an image alone after an assistant turn
--- config
    location = /v1/chat/completions {
        set $double_scenario "echo=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":"Look"},{"role":"assistant","content":"Send it."},{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4A=="}}]}],"stream":true}
--- response_body_like eval
main::echo_re('{"messages":[{"role":"user","content":[{"text":"Look"}]},{"role":"assistant","content":[{"text":"Send it."}]},{"role":"user","content":[{"image":{"format":"jpeg","source":{"bytes":"/9j/4A=="}}}]}]}')



=== TEST 3: an https URL is refused, never fetched: 400 naming the place
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"},{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]}
--- error_code: 400
--- response_body eval
main::err400('messages[1].content[2].image_url.url', 'invalid_image_url', "Invalid 'messages[1].content[2].image_url.url': this server does not fetch image URLs. Send the image inline as a base64 data URL (data:image/png;base64,...).")



=== TEST 4: an unsupported type
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/svg+xml;base64,PHN2Zz4="}}]}]}
--- error_code: 400
--- response_body eval
main::err400('messages[0].content[0].image_url.url', 'invalid_image_format', "Invalid 'messages[0].content[0].image_url.url': unsupported image type. Supported types are image/png, image/jpeg, image/gif and image/webp.")



=== TEST 5: invalid base64
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo AAAANSUhEUg=="}}]}]}
--- error_code: 400
--- response_body eval
main::err400('messages[0].content[0].image_url.url', 'invalid_image', "Invalid 'messages[0].content[0].image_url.url': the image data is not valid base64.")



=== TEST 6: chat_completions_image_max_size: one byte over is refused
--- config
    location = /v1/chat/completions {
        chat_completions_image_max_size 15;
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. '{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,' . $main::Png . '"}}]}]}'
--- error_code: 400
--- response_body eval
main::err400('messages[0].content[0].image_url.url', 'image_too_large', "Invalid 'messages[0].content[0].image_url.url': the image is 16 bytes; the limit is 15 bytes.")



=== TEST 7: Bedrock's 3.75 MB per image is the default: 3932160 bytes pass (client_max_body_size raised for it)
--- config
    location = /v1/chat/completions {
        client_max_body_size 8m;
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n" . main::big_image(3932160)
--- response_body_like eval
t::SSE::sse_re(deltas => ['{"content":"tok1"}'])



=== TEST 8: ... and 3932163 bytes do not
--- config
    location = /v1/chat/completions {
        client_max_body_size 8m;
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n" . main::big_image(3932163)
--- error_code: 400
--- response_body eval
main::err400('messages[0].content[0].image_url.url', 'image_too_large', "Invalid 'messages[0].content[0].image_url.url': the image is 3932163 bytes; the limit is 3932160 bytes.")



=== TEST 9: client_max_body_size comes first: at nginx's default (1m), a 1 MB image (1.33 MB of base64) is a 413
--- config
    location = /v1/chat/completions {
        client_max_body_size 1m;
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n" . main::big_image(1000000)
--- error_code: 413
--- response_body
{"error":{"message":"The request body is larger than client_max_body_size allows.","type":"invalid_request_error","param":null,"code":"request_too_large"}}
--- error_log
client intended to send too large body
--- no_error_log
[alert]
[crit]



=== TEST 10: an image in an assistant message is refused as OpenAI does
--- config
    location = /v1/chat/completions {
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n"
. '{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,' . $main::Png . '"}}]}]}'
--- error_code: 400
--- response_body eval
main::err400('messages[1].content[0].type', 'invalid_value', "Invalid value for 'messages[1].content[0].type': 'image_url'. Supported values are: 'text' and 'refusal'.")



=== TEST 11: a GIF in a non-streamed request goes to Converse the same way
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- request
POST /v1/chat/completions
{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/gif;base64,R0lGODlh"}}]}],"stream":false}
--- response_body_like eval
qr/^\{"id":"chatcmpl-[^"]+","object":"chat\.completion",.*"content":"tok1",.*"finish_reason":"stop"/
