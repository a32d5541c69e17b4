
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_ERRORS_H_INCLUDED_
#define _CC_ERRORS_H_INCLUDED_


/*
 * OpenAI error bodies, and Bedrock's errors in OpenAI's terms (the
 * client's status, type and code, and a message safe to show): the HTTP
 * errors before a response starts, and the exceptions and errors inside
 * a stream, which cc_stream_event() (cc_sse.h) hands out as a fault.
 */


#include "cc_json.h"


/* a pre-stream failure: what the client gets */
typedef struct {
    int                       status;       /* HTTP status */
    const char               *type;         /* OpenAI error type */
    const char               *code;         /* NULL: null */
    cc_str_t                  message;
    cc_str_t                  name;         /* Bedrock's error name, or "" */
} cc_http_error_t;


/* an in-stream failure, mapped for the client (cc_stream_error) */
typedef struct {
    const char               *type;         /* OpenAI error type */
    const char               *code;         /* NULL: null */
    cc_str_t                  message;      /* for the client */
    cc_str_t                  name;         /* Bedrock's exception or error
                                               name, or the event type */
    char                      detail[128];  /* for the log only */
} cc_stream_fault_t;


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

/*
 * An eventstream message that is not an event: message_type "exception"
 * (payload {"message":...}, parsed in the arena dom) or "error" (payload
 * is :error-message); type is :exception-type or :error-code.  Always
 * CC_ERROR, with *fault filled; the strings it keeps are copied to a.
 */
int cc_stream_exception(cc_alloc_t *a, cc_alloc_t *dom,
    const cc_str_t *message_type, const cc_str_t *type,
    const u_char *payload, size_t len, cc_stream_fault_t *fault);

/* a fault of static strings: the form that needs no memory */
void cc_stream_fault(cc_stream_fault_t *fault, const char *type,
    const char *code, const char *message, const cc_str_t *name);


#endif /* _CC_ERRORS_H_INCLUDED_ */
