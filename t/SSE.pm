package t::SSE;

# Helpers for the expected bodies of t/*.t (plain Perl: t::ChatCompletions
# is a Spiffy -Base module whose source filter rewrites subs).

use strict;
use warnings;

# A regex for a whole SSE answer: the role chunk, one chunk per delta (JSON
# text of the delta object), the finish chunk, an optional usage chunk,
# then [DONE].  id and created are checked for sameness by the body check.
sub sse_re {
    my %a = @_;
    my $model = quotemeta($a{model} // 'amazon.nova-lite-v1:0');
    my $usage_null = $a{usage} ? ',"usage":null' : '';
    my $head = '\{"id":"chatcmpl-[A-Za-z0-9]{24}","object":'
               . '"chat\.completion\.chunk","created":\d+,"model":"'
               . $model . '","choices":\[\{"index":0,"delta":';
    my $re = '^';
    $re .= '(?:: keepalive\\n\\n)*' if $a{keepalive};
    for my $d ('{"role":"assistant","content":""}', @{ $a{deltas} || [] }) {
        $re .= 'data: ' . $head . quotemeta($d)
               . ',"logprobs":null,"finish_reason":null\}\]'
               . $usage_null . '\}\n\n';
    }
    $re .= 'data: ' . $head . '\{\},"logprobs":null,"finish_reason":"'
           . ($a{finish} // 'stop') . '"\}\]' . $usage_null . '\}\n\n';
    if ($a{usage}) {
        $re .= 'data: \{"id":"chatcmpl-[A-Za-z0-9]{24}","object":'
               . '"chat\.completion\.chunk","created":\d+,"model":"'
               . $model . '","choices":\[\],"usage":'
               . quotemeta($a{usage}) . '\}\n\n';
    }
    $re .= 'data: \[DONE\]\n\n\z';
    return $re;
}

# The answer of the double's echo=1 (the Bedrock request body as one
# delta), anchored: the body exactly.
sub echo_re {
    my ($body, %a) = @_;
    (my $e = $body) =~ s/(["\\])/\\$1/g;
    return '^' . sse_re(%a, deltas => ['{"content":"' . $e . '"}']) . '\z';
}

# A stream told line by line, for answers whose deltas are many: every
# event must be a chunk of one id (else a BAD line), and runs of deltas of
# one field are joined.  Lines: "role", "content: ...", "reasoning_content:
# ...", "reasoning_signature: ...", "reasoning_redacted: ...",
# "tool_call N: id name", "arguments N: ...", "finish: F", "usage: {...}",
# "error: {...}", "[DONE]".
sub sse_summary {
    my ($body) = @_;
    require JSON::PP;
    my $json = JSON::PP->new->canonical;
    my (@out, $id, $last);
    for my $ev (split /\n\n/, $body) {
        next if $ev =~ /^:/;
        if ($ev !~ /^data: (.*)\z/s) {
            push @out, "BAD event: $ev";
            next;
        }
        my $data = $1;
        if ($data eq '[DONE]') {
            push @out, '[DONE]';
            $last = undef;
            next;
        }
        my $o = eval { JSON::PP::decode_json($data) };
        if (!$o) {
            push @out, "BAD json: $data";
            next;
        }
        if ($o->{error}) {
            push @out, 'error: ' . $json->encode($o->{error});
            next;
        }
        $id //= $o->{id};
        push @out, "BAD id: $o->{id}" if $o->{id} ne $id;
        if (!@{ $o->{choices} }) {
            push @out, 'usage: ' . $json->encode($o->{usage});
            $last = undef;
            next;
        }
        my $c = $o->{choices}[0];
        my $d = $c->{delta};
        if (defined $c->{finish_reason}) {
            push @out, "finish: $c->{finish_reason}";
            $last = undef;
            next;
        }
        if (exists $d->{role}) {
            push @out, 'role';
            $last = undef;
            next;
        }
        for my $k (sort keys %$d) {
            if ($k eq 'tool_calls') {
                my $t = $d->{tool_calls}[0];
                if (defined $t->{id}) {
                    push @out, "tool_call $t->{index}: $t->{id} "
                               . $t->{function}{name};
                    $last = undef;
                    next;
                }
                my $key = "arguments $t->{index}";
                if (defined $last && $last eq $key) {
                    $out[-1] .= $t->{function}{arguments};
                } else {
                    push @out, "$key: " . $t->{function}{arguments};
                    $last = $key;
                }
                next;
            }
            if (defined $last && $last eq $k) {
                $out[-1] .= $d->{$k};
            } else {
                push @out, "$k: $d->{$k}";
                $last = $k;
            }
        }
    }
    return join("\n", @out) . "\n";
}

1;
