
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_TURNS_H_INCLUDED_
#define _CC_TURNS_H_INCLUDED_


/*
 * Bedrock's turn rules: a user turn first, roles alternating, no blank
 * text, every toolUse answered by a toolResult in the next turn.  The
 * parsed messages are arranged so, and the tool loop's appends keep them
 * so.
 */


#include "cc_bedrock.h"


/*
 * The raw messages (cc_parse_messages(), cc_messages.h) as Bedrock's turns,
 * in chat->messages.  CC_OK; CC_DONE: no message with content is left;
 * CC_ERROR: no memory.
 */
int cc_normalize(cc_alloc_t *a, cc_chat_t *chat,
    const cc_chat_options_t *opts, cc_message_t *raw, size_t nraw);

/*
 * The server-side tool loop: append the assistant's round (text and
 * toolUse blocks), then a user turn of toolResults.  A message of the same
 * role as the last one is merged into it (toolResults first in a user
 * message); blank text blocks are dropped.  The blocks are copied, the
 * strings and JSON they point to are not.  CC_OK or CC_ERROR (no memory).
 */
int cc_chat_append_message(cc_alloc_t *a, cc_chat_t *chat, cc_role_e role,
    const cc_block_t *blocks, size_t n);


#endif /* _CC_TURNS_H_INCLUDED_ */
