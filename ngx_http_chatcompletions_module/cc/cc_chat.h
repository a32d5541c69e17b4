
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_CHAT_H_INCLUDED_
#define _CC_CHAT_H_INCLUDED_


/*
 * The OpenAI Chat Completions request as a cc_chat_t (cc_bedrock.h), pure:
 * no nginx, only the JSON unit and yajl.
 *
 * cc_chat_parse() validates the request DOM (the top-level fields here,
 * the messages in cc_messages.c) and normalizes the conversation to
 * Bedrock's rules (cc_turns.c: first turn from the user, strict
 * alternation, no blank text, every toolUse answered by a toolResult in
 * the next turn); cc_bedrock_body() (cc_bedrock.h) serializes the result.
 * Strings in the result point into the DOM and the arena; nothing is
 * copied that need not be.
 */


#include "cc_check.h"
#include "cc_bedrock.h"


/*
 * CC_OK, or CC_ERROR with err filled in (400 for bad input, 500 when the
 * arena is exhausted).  Unknown fields are ignored at every level.
 */
int cc_chat_parse(cc_alloc_t *a, const cc_json_t *root,
    const cc_chat_options_t *opts, cc_chat_t *chat, cc_error_t *err);


/*
 * The checks that depend on the call's model (opts->model_id), once it
 * is known: CC_OK, or CC_ERROR with err filled in (400).
 */
int cc_chat_check_model(cc_alloc_t *a, const cc_chat_t *chat,
    const cc_chat_options_t *opts, cc_error_t *err);


#endif /* _CC_CHAT_H_INCLUDED_ */
