
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_DELTA_H_INCLUDED_
#define _CC_DELTA_H_INCLUDED_


#include "cc_core.h"
#include "cc_round.h"


/*
 * The most frequent Bedrock events read without a DOM: a text delta
 * ({"contentBlockIndex":0,"delta":{"text":"..."},"p":"..."}), the end of
 * a block ({"contentBlockIndex":0,"p":"..."}), of a message
 * ({"stopReason":"end_turn","p":"..."}) and the metadata
 * ({"usage":{"inputTokens":12,...},"metrics":{...},"p":"..."}).  CC_OK
 * with what the payload has of the event's top-level contentBlockIndex
 * (a plain integer), stopReason, delta.text (strings copied into a; data
 * NULL, index -1: absent) and usage (its counts plain integers, clamped
 * to CC_USAGE_MAX; totalTokens, if absent, the sum of input and output).
 * CC_DECLINED for any other shape (a delta of a tool's input or of
 * reasoning, a guardrail's trace, a service tier, a value of another
 * type, a count that is not plain, a key twice, bad JSON, an escaped
 * lone surrogate, no memory): the caller reads those with the DOM
 * (cc_json_parse()) as before.
 */

typedef struct {
    int64_t                   index;        /* contentBlockIndex, or -1 */
    cc_str_t                  stop_reason;
    cc_str_t                  text;         /* delta.text */
    cc_usage_t                usage;
    unsigned                  has_usage:1;
} cc_delta_t;


int cc_delta_scan(cc_alloc_t *a, const u_char *payload, size_t len,
    cc_delta_t *ev);


#endif /* _CC_DELTA_H_INCLUDED_ */
