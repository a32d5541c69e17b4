# vi:filetype=perl

# The caller's phone number: taken from Vapi's call data, configured
# metadata fields, a configured header, then the caller's own words;
# normalized to E.164; visible to tool locations as $chat_completions_phone
# and $chat_completions_phone_source.  Each test runs a tool "whoami" whose
# location answers "[$chat_completions_phone] $chat_completions_phone_source";
# the double's second round quotes it ("Here is what I found: ...").

use lib '.';
use t::ChatCompletions;
use t::SSE;
use JSON::PP ();

my $head = '\{"id":"chatcmpl-[A-Za-z0-9]{24}","object":'
           . '"chat\.completion\.chunk","created":\d+,'
           . '"model":"amazon\.nova-lite-v1:0","choices":\[\{"index":0,'
           . '"delta":';

sub ::jstr { JSON::PP->new->allow_nonref->encode($_[0]) }

sub ::d {
    'data: ' . $head . quotemeta($_[0])
    . ',"logprobs":null,"finish_reason":null\}\]\}\n\n';
}

# the whole stream of an answer whose text is $_[0], split the way the
# double splits it (a word with the whitespace before it per delta)
sub ::answer {
    my @w = $_[0] =~ /(\s*\S+)/g;
    '^' . ::d('{"role":"assistant","content":""}')
    . join('', map { ::d('{"content":' . ::jstr($_) . '}') } @w)
    . 'data: ' . $head . '\{\},"logprobs":null,"finish_reason":"stop"\}\]\}'
    . '\n\ndata: \[DONE\]\n\n\z';
}

# the same, for a stream whose one text delta is $_[0] (echo_after_tool)
sub ::echo {
    '^' . ::d('{"role":"assistant","content":""}')
    . ::d('{"content":' . ::jstr($_[0]) . '}')
    . 'data: ' . $head . '\{\},"logprobs":null,"finish_reason":"stop"\}\]\}'
    . '\n\ndata: \[DONE\]\n\n\z';
}

our $Whoami = <<'_EOC_';
    location = /_tools/whoami {
        internal;
        default_type text/plain;
        return 200 "[$chat_completions_phone] $chat_completions_phone_source";
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    if (defined $block->config && $block->config !~ m{/_tools/whoami \{}) {
        $block->set_value("config", $block->config . $Whoami);
    }
});

plan("no_plan");

run_tests();

__DATA__

=== TEST 1: Vapi's call.customer.number
--- config
    location = /api/chat/completions {
        set $double_scenario "tool=whoami; tool_id=tu_p1";
        chat_completions_tool whoami /_tools/whoami "Who is calling";
        chat_completions;
    }
--- request
POST /api/chat/completions
{"model":"amazon.nova-lite-v1:0","messages":[{"role":"assistant","content":"Welcome to Fintalk. How can I help you today?"},{"role":"user","content":"Who am I?"}],"stream":true,"call":{"id":"call-1","type":"inboundPhoneCall","customer":{"number":"+15550100199"}},"phoneNumber":{"number":"+15550009999"},"metadata":{}}
--- response_body_like eval
::answer('Here is what I found: [+15550100199] call')



=== TEST 2: call.customer.number in a national format is normalized to E.164
--- config
    location = /api/chat/completions {
        set $double_scenario "tool=whoami; tool_id=tu_p2";
        chat_completions_tool whoami /_tools/whoami "Who is calling";
        chat_completions;
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"Who am I?"}],"call":{"customer":{"number":"(555) 010-0199"}}}
--- response_body_like eval
::answer('Here is what I found: [+15550100199] call')



=== TEST 3: a top-level customer.number (Vapi's customer object)
--- config
    location = /api/chat/completions {
        set $double_scenario "tool=whoami; tool_id=tu_p3";
        chat_completions_tool whoami /_tools/whoami "Who is calling";
        chat_completions;
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"Who am I?"}],"customer":{"number":"+1 555 010 0142"}}
--- response_body_like eval
::answer('Here is what I found: [+15550100142] call')



=== TEST 4: phoneNumber.number is Vapi's own number, never the caller's
--- config
    location = /api/chat/completions {
        set $double_scenario "tool=whoami; tool_id=tu_p4";
        chat_completions_tool whoami /_tools/whoami "Who is calling";
        chat_completions;
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"Who am I?"}],"phoneNumber":{"number":"+15550009999"},"call":{"type":"inboundPhoneCall"}}
--- response_body_like eval
::answer('Here is what I found: [] none')



=== TEST 5: a metadata field named by chat_completions_phone_metadata
--- config
    location = /api/chat/completions {
        set $double_scenario "tool=whoami; tool_id=tu_p5";
        chat_completions_phone_metadata customerPhone;
        chat_completions_tool whoami /_tools/whoami "Who is calling";
        chat_completions;
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"Who am I?"}],"metadata":{"customerPhone":"555-010-0142"}}
--- response_body_like eval
::answer('Here is what I found: [+15550100142] metadata')



=== TEST 6: metadata spread at the top level (Vapi's "destructured" mode); the names are tried in order
--- config
    location = /api/chat/completions {
        set $double_scenario "tool=whoami; tool_id=tu_p6";
        chat_completions_phone_metadata accountPhone customerPhone;
        chat_completions_tool whoami /_tools/whoami "Who is calling";
        chat_completions;
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"Who am I?"}],"customerPhone":"+15550100199","somethingElse":"+15550100142"}
--- response_body_like eval
::answer('Here is what I found: [+15550100199] metadata')



=== TEST 7: a metadata field that is not configured is not used
--- config
    location = /api/chat/completions {
        set $double_scenario "tool=whoami; tool_id=tu_p7";
        chat_completions_phone_metadata customerPhone;
        chat_completions_tool whoami /_tools/whoami "Who is calling";
        chat_completions;
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"Who am I?"}],"metadata":{"otherPhone":"+15550100199"}}
--- response_body_like eval
::answer('Here is what I found: [] none')



=== TEST 8: the header named by chat_completions_phone_header
--- config
    location = /api/chat/completions {
        set $double_scenario "tool=whoami; tool_id=tu_p8";
        chat_completions_phone_header X-Caller-Phone;
        chat_completions_tool whoami /_tools/whoami "Who is calling";
        chat_completions;
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"Who am I?"}]}
--- more_headers
X-Caller-Phone: +44 20 7946 0958
--- response_body_like eval
::answer('Here is what I found: [+442079460958] header')



=== TEST 9: the caller's words: digit groups
--- config
    location = /api/chat/completions {
        set $double_scenario "tool=whoami; tool_id=tu_p9";
        chat_completions_tool whoami /_tools/whoami "Who is calling";
        chat_completions;
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"What's my card balance? My number is 555 010 0199"}]}
--- response_body_like eval
::answer('Here is what I found: [+15550100199] text')



=== TEST 10: the caller's words: spoken digits, as speech-to-text writes them
--- config
    location = /api/chat/completions {
        set $double_scenario "tool=whoami; tool_id=tu_p10";
        chat_completions_tool whoami /_tools/whoami "Who is calling";
        chat_completions;
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"It's five five five, zero one zero, oh one four two."}]}
--- response_body_like eval
::answer('Here is what I found: [+15550100142] text')



=== TEST 11: the caller's words: the latest user message wins; the text parts of a message from the end
--- config
    location = /api/chat/completions {
        set $double_scenario "tool=whoami; tool_id=tu_p11";
        chat_completions_tool whoami /_tools/whoami "Who is calling";
        chat_completions;
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"My number is 555 010 0142"},{"role":"assistant","content":"Thanks."},{"role":"user","content":[{"type":"text","text":"Sorry, it is +1 (555) 010-0199."},{"type":"text","text":"What do I owe?"}]}]}
--- response_body_like eval
::answer('Here is what I found: [+15550100199] text')



=== TEST 12: amounts, card digits and short numbers are not phone numbers
--- config
    location = /api/chat/completions {
        set $double_scenario "tool=whoami; tool_id=tu_p12";
        chat_completions_tool whoami /_tools/whoami "Who is calling";
        chat_completions;
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"I paid $1,200 on the card ending 4242 on 12/15, and 300 dollars later."}]}
--- response_body_like eval
::answer('Here is what I found: [] none')



=== TEST 13: the order of the sources: call before metadata before header before text
--- config
    location = /a {
        set $double_scenario "tool=whoami; tool_id=tu_p13";
        chat_completions_phone_metadata customerPhone;
        chat_completions_phone_header X-Caller-Phone;
        chat_completions_tool whoami /_tools/whoami "Who is calling";
        chat_completions;
    }
--- request eval
["POST /a\n{\"messages\":[{\"role\":\"user\",\"content\":\"My number is 555 010 0111\"}],\"call\":{\"customer\":{\"number\":\"+15550100199\"}},\"metadata\":{\"customerPhone\":\"+15550100142\"}}",
 "POST /a\n{\"messages\":[{\"role\":\"user\",\"content\":\"My number is 555 010 0111\"}],\"metadata\":{\"customerPhone\":\"+15550100142\"}}",
 "POST /a\n{\"messages\":[{\"role\":\"user\",\"content\":\"My number is 555 010 0111\"}]}",
 "POST /a\n{\"messages\":[{\"role\":\"user\",\"content\":\"My number is 555 010 0111\"}]}"]
--- more_headers eval
["X-Caller-Phone: +15550100122", "X-Caller-Phone: +15550100122",
 "X-Caller-Phone: +15550100122", ""]
--- response_body_like eval
[::answer('Here is what I found: [+15550100199] call'),
 ::answer('Here is what I found: [+15550100142] metadata'),
 ::answer('Here is what I found: [+15550100122] header'),
 ::answer('Here is what I found: [+15550100111] text')]



=== TEST 14: a source that holds no phone number is skipped
--- config
    location = /api/chat/completions {
        set $double_scenario "tool=whoami; tool_id=tu_p14";
        chat_completions_phone_metadata customerPhone;
        chat_completions_tool whoami /_tools/whoami "Who is calling";
        chat_completions;
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"Call me at 555 010 0199"}],"call":{"customer":{"number":"anonymous"}},"metadata":{"customerPhone":"n/a"}}
--- response_body_like eval
::answer('Here is what I found: [+15550100199] text')



=== TEST 15: chat_completions_phone_country_code for national numbers
--- config
    location = /api/chat/completions {
        set $double_scenario "tool=whoami; tool_id=tu_p15";
        chat_completions_phone_country_code 44;
        chat_completions_phone_metadata customerPhone;
        chat_completions_tool whoami /_tools/whoami "Who is calling";
        chat_completions;
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"Hi"}],"metadata":{"customerPhone":"020 7946 0958"}}
--- response_body_like eval
::answer('Here is what I found: [+442079460958] metadata')



=== TEST 16: a phone tool with no number known is not called; the model is told to ask the caller (exact history)
--- config
    location = /api/chat/completions {
        set $double_scenario "tool=get_credit_card_summary; tool_id=tu_nophone; echo_after_tool=1";
        chat_completions_tool get_credit_card_summary /_tools/card "Card summary" method=GET phone;
        chat_completions;
    }
    location = /_tools/card {
        internal;
        return 500 "the tool must not be called";
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"What's my card balance?"}]}
--- response_body_like eval
::echo('{"messages":['
       . '{"role":"user","content":[{"text":"What\'s my card balance?"}]},'
       . '{"role":"assistant","content":[{"toolUse":{"toolUseId":"tu_nophone","name":"get_credit_card_summary","input":{}}}]},'
       . '{"role":"user","content":[{"toolResult":{"toolUseId":"tu_nophone","content":[{"text":"The caller\'s phone number is not known. Ask the caller for the phone number of their account, then call this tool again."}],"status":"error"}}]}],'
       . '"toolConfig":{"tools":[{"toolSpec":{"name":"get_credit_card_summary","description":"Card summary","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}')



=== TEST 17: a phone tool with a number runs and looks the caller up by it
--- config
    location = /api/chat/completions {
        set $double_scenario "tool=get_credit_card_summary; tool_id=tu_phone";
        chat_completions_tool get_credit_card_summary /_tools/card "Card summary" method=GET phone;
        chat_completions;
    }
    location = /_tools/card {
        internal;
        default_type application/json;
        return 200 '{"phone":"$chat_completions_phone","balance":1284.57}';
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"What's my card balance? My number is 555 010 0199"}]}
--- response_body_like eval
::answer('Here is what I found: {"phone":"+15550100199","balance":1284.57}')



=== TEST 18: the number itself never reaches the error log, even at debug level
--- config
    location = /api/chat/completions {
        set $double_scenario "tool=lookup; tool_id=tu_p18";
        chat_completions_tool lookup /_tools/lookup "Look the caller up" method=GET phone;
        chat_completions;
    }
    location = /_tools/lookup {
        internal;
        return 200 "found";
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"Who am I?"}],"call":{"customer":{"number":"+1 (555) 010-0199"}}}
--- log_level: debug
--- response_body_like eval
::answer('Here is what I found: found')
--- error_log
caller phone number from call
--- no_error_log
5550100199
[error]
[alert]



=== TEST 19: a request that no tool needs does not look the number up
--- config
    location = /api/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions;
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"Call me at 555 010 0199"}],"call":{"customer":{"number":"+1 (555) 010-0199"}}}
--- log_level: debug
--- response_body_like eval
t::SSE::sse_re(deltas => ['{"content":"tok1"}'])
--- no_error_log
caller phone number
5550100199
[error]



=== TEST 20: reading $chat_completions_phone looks it up, once
--- config
    location = /api/chat/completions {
        set $double_scenario "tokens=1";
        add_header X-Phone $chat_completions_phone;
        add_header X-Phone-Source $chat_completions_phone_source;
        chat_completions;
    }
--- request
POST /api/chat/completions
{"messages":[{"role":"user","content":"Hello"}],"call":{"customer":{"number":"+1 (555) 010-0199"}}}
--- log_level: debug
--- response_headers
X-Phone: +15550100199
X-Phone-Source: call
--- response_body_like eval
t::SSE::sse_re(deltas => ['{"content":"tok1"}'])
--- error_log
caller phone number from call
--- no_error_log
[error]
