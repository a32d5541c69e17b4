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

1;
