
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_DELTA_H_INCLUDED_
#define _CC_DELTA_H_INCLUDED_


#include "cc_core.h"


/*
 * The most frequent Bedrock event, a contentBlockDelta of text
 * ({"contentBlockIndex":0,"delta":{"text":"..."},"p":"..."}), read
 * without a DOM: CC_OK with *text the delta's text (copied into a), or
 * text->data NULL when the delta has none; CC_DECLINED for any other
 * shape (a tool's input, reasoning, a text that is no string, a key
 * twice, bad JSON, escaped surrogates, no memory), which the caller reads
 * with the DOM (cc_json_parse()) as before.
 */
int cc_delta_text(cc_alloc_t *a, const u_char *payload, size_t len,
    cc_str_t *text);


#endif /* _CC_DELTA_H_INCLUDED_ */
