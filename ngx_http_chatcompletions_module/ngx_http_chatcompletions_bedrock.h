
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _NGX_HTTP_CHATCOMPLETIONS_BEDROCK_H_INCLUDED_
#define _NGX_HTTP_CHATCOMPLETIONS_BEDROCK_H_INCLUDED_


/*
 * A parsed request (cc_chat_t, chat.h) -> an Amazon Bedrock Converse
 * request, pure: no nginx, only the JSON unit and yajl.
 *
 * cc_bedrock_body() serializes the normalized conversation as a Converse
 * or ConverseStream body, cc_model_path() gives its URI path, and the
 * tool name and id checks are Bedrock's patterns.
 */


#include "ngx_http_chatcompletions_chat.h"


/*
 * The Converse / ConverseStream body as compact JSON: system, messages,
 * inferenceConfig, toolConfig.  CC_OK or CC_ERROR (no memory).
 */
int cc_bedrock_body(cc_alloc_t *a, const cc_chat_t *chat,
    const cc_chat_options_t *opts, cc_str_t *out);

/*
 * "/model/{id}/converse-stream" (stream) or "/model/{id}/converse", the
 * id percent-encoded as one path segment: every byte outside
 * A-Za-z0-9-_.~ becomes %XX (":" -> %3A, "/" -> %2F).
 */
int cc_model_path(cc_alloc_t *a, const cc_str_t *model_id, int stream,
    cc_str_t *out);

/* 1 if the id is a valid Bedrock toolUseId: [a-zA-Z0-9_.:-]{1,64} */
int cc_tool_id_valid(const cc_str_t *id);

/* 1 if the name is a valid Bedrock tool name: [a-zA-Z0-9_-]{1,64} */
int cc_tool_name_valid(const cc_str_t *name);


#endif /* _NGX_HTTP_CHATCOMPLETIONS_BEDROCK_H_INCLUDED_ */
