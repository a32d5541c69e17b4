package t::ChatCompletions;

# Shared setup for the t/*.t files: the Bedrock location every test uses,
# the credentials the Bedrock double accepts, and a check that every SSE
# event is valid JSON and that all chunks of a stream share one id.

use Test::Nginx::Socket -Base;
use JSON::PP ();

our $BedrockPort = $ENV{TEST_NGINX_BEDROCK_PORT} || 19090;

our $HttpConfig = <<"_EOC_";
    chat_completions_endpoint http://127.0.0.1:$BedrockPort;
    chat_completions_region us-east-1;
    chat_completions_access_key_id AKIDEXAMPLE;
    chat_completions_secret_access_key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
    chat_completions_keepalive_interval 0;
_EOC_

our $BedrockLocation = <<"_EOC_";
    # declares \$double_scenario for tests that do not set it; a "set" at
    # server level would run again in the subrequest and reset it
    location = /_double_scenario {
        set \$double_scenario "";
        return 404;
    }

    location = /_bedrock {
        internal;
        proxy_pass http://127.0.0.1:$BedrockPort\$chat_completions_bedrock_uri;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header X-Double-Scenario \$double_scenario;
        proxy_buffering off;
    }
_EOC_

repeat_each(2);
no_long_string();
log_level('warn');

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->http_config) {
        $block->set_value("http_config", $HttpConfig);

    } elsif ($block->http_config !~ /chat_completions_endpoint/) {
        $block->set_value("http_config", $HttpConfig . $block->http_config);
    }

    if (defined $block->config && !defined $block->no_bedrock_location) {
        $block->set_value("config", $block->config . $BedrockLocation);
    }

    if (!defined $block->error_log && !defined $block->no_error_log) {
        $block->set_value("no_error_log", "[error]\n[alert]\n[crit]");
    }
});

add_response_body_check(sub {
    my ($block, $body, $req_idx, $repeated_req_idx, $dry_run) = @_;

    return if $dry_run;
    return unless defined $body && $body =~ /^(?::[^\n]*\n\n)*data: /;

    my (%ids, %created);

    for my $line (split /\n/, $body) {
        next unless $line =~ /^data: (.*)$/;
        my $data = $1;
        next if $data eq '[DONE]';

        my $obj = eval { JSON::PP::decode_json($data) };
        if (!$obj) {
            Test::More::fail($block->name . " - SSE data is not JSON: $data");
            return;
        }

        next if $obj->{error};
        $ids{$obj->{id}} = 1;
        $created{$obj->{created}} = 1;
    }

    if (keys %ids > 1 || keys %created > 1) {
        Test::More::fail($block->name
                         . " - chunks of one stream differ in id or created");
    }
});

1;
