
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _NGX_HTTP_CHATCOMPLETIONS_SSE_INT_H_INCLUDED_
#define _NGX_HTTP_CHATCOMPLETIONS_SSE_INT_H_INCLUDED_


/*
 * Internal to the response units, not for the glue: sse.c (the stream's
 * events and SSE framing, output buffers), converse.c (the round state
 * both paths share, the non-streaming completion) and errors.c (Bedrock's
 * errors in OpenAI's terms).
 */


#include "ngx_http_chatcompletions_sse.h"


extern cc_str_t  cc_sse_empty;


/* sse.c: output buffers and string helpers */
void cc_sse_add(cc_sse_buf_t *b, const char *p, size_t len);
yajl_gen cc_sse_gen_create(cc_alloc_t *a, cc_sse_buf_t *b);
int cc_sse_output(cc_alloc_t *a, cc_sse_buf_t *b, cc_str_t *out);
int cc_sse_eq(const cc_str_t *s, const char *lit);
int cc_sse_space(u_char c);
int cc_sse_dup(cc_alloc_t *a, const cc_str_t *src, cc_str_t *dst);
int cc_sse_append(cc_alloc_t *a, cc_str_t *s, size_t *cap,
    const u_char *p, size_t len);

/* converse.c: the round state */
const cc_str_t *cc_sse_seam(cc_stream_t *s, const cc_str_t *text);
cc_tool_use_t *cc_sse_tool_add(cc_alloc_t *a, cc_stream_t *s,
    const cc_str_t *id, const cc_str_t *name, int64_t block);
void cc_sse_usage_read(const cc_json_t *u, cc_usage_t *usage);
void cc_sse_usage_add(cc_usage_t *sum, const cc_usage_t *u);
int cc_sse_gen_usage(yajl_gen g, const cc_usage_t *u);
const char *cc_sse_finish(cc_stream_t *s);

/* errors.c: exceptions and errors inside a stream */
int cc_sse_on_exception(cc_alloc_t *a, cc_stream_t *s,
    const cc_str_t *message_type, const cc_str_t *type,
    const u_char *payload, size_t len, cc_stream_fault_t *fault);
void cc_sse_fault(cc_stream_fault_t *fault, const char *type,
    const char *code, const char *message, const cc_str_t *name);


#endif /* _NGX_HTTP_CHATCOMPLETIONS_SSE_INT_H_INCLUDED_ */
