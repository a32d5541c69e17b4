
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_MESSAGES_H_INCLUDED_
#define _CC_MESSAGES_H_INCLUDED_


/*
 * The "messages" array of an OpenAI request as raw blocks, for cc_chat.c:
 * roles checked, content parts and refusals read as text, tool calls and
 * tool results as blocks, system and developer texts hoisted to
 * p->chat->system.  cc_normalize() (cc_turns.h) then arranges the blocks.
 */


#include "cc_check.h"


/* CC_OK, or CC_ERROR with p->err filled */
int cc_parse_messages(cc_parse_t *p, const cc_json_t *root,
    cc_message_t **raw, size_t *nraw);


#endif /* _CC_MESSAGES_H_INCLUDED_ */
