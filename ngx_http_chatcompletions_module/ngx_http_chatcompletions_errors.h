
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _NGX_HTTP_CHATCOMPLETIONS_ERRORS_H_INCLUDED_
#define _NGX_HTTP_CHATCOMPLETIONS_ERRORS_H_INCLUDED_


/*
 * OpenAI error bodies, and Bedrock's HTTP errors in OpenAI's terms (the
 * client's status, type and code, and a message safe to show).  Errors
 * inside a stream are mapped the same way by cc_stream_event() (sse.h).
 */


#include "ngx_http_chatcompletions_json.h"


/* a pre-stream failure: what the client gets */
typedef struct {
    int                       status;       /* HTTP status */
    const char               *type;         /* OpenAI error type */
    const char               *code;         /* NULL: null */
    cc_str_t                  message;
    cc_str_t                  name;         /* Bedrock's error name, or "" */
} cc_http_error_t;


/*
 * {"error":{"message","type","param","code"}} stored in *out; param and
 * code NULL: null.
 */
int cc_error_body(cc_alloc_t *a, const char *type, const char *code,
    const cc_str_t *param, const cc_str_t *message, cc_str_t *out);

/*
 * Maps a Bedrock non-2xx answer (status, x-amzn-ErrorType header or NULL,
 * body) to what the client gets.  The body may be anything, JSON or not.
 * CC_ERROR only when out of memory.
 */
int cc_bedrock_error(cc_alloc_t *a, int bedrock_status,
    const cc_str_t *error_type_header, const u_char *body, size_t len,
    cc_http_error_t *out);


#endif /* _NGX_HTTP_CHATCOMPLETIONS_ERRORS_H_INCLUDED_ */
