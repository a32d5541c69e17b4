
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_CHECK_H_INCLUDED_
#define _CC_CHECK_H_INCLUDED_


/*
 * The checks of an OpenAI request, in OpenAI's words: what the client
 * gets for a bad request (cc_error_t), and the helpers cc_chat.c and
 * cc_messages.c fill it with: type checks, missing parameters, function
 * objects and names, the JSON path of a value, a value quoted safely.
 */


#include "cc_bedrock.h"


/* a JSON path such as messages[12].tool_calls[3].function.arguments */
#define CC_PATH_LEN          192

/* how much of a client's value an error message quotes */
#define CC_SHOW_LEN          48

/* type masks for cc_parse_check() */
#define CC_T_NULL            (1 << CC_JSON_NULL)
#define CC_T_BOOL            ((1 << CC_JSON_FALSE) | (1 << CC_JSON_TRUE))
#define CC_T_NUMBER          (1 << CC_JSON_NUMBER)
#define CC_T_STRING          (1 << CC_JSON_STRING)
#define CC_T_ARRAY           (1 << CC_JSON_ARRAY)
#define CC_T_OBJECT          (1 << CC_JSON_OBJECT)


/*
 * An OpenAI error: status 400 and type "invalid_request_error" for bad
 * input; status 500, type "server_error" when the arena is exhausted.
 * code is NULL for JSON null; an empty param is JSON null as well.
 */
typedef struct {
    int                       status;
    const char               *type;
    const char               *code;
    cc_str_t                  param;
    cc_str_t                  message;
} cc_error_t;



/* what a parse is about: the request being built and its error */
typedef struct {
    cc_alloc_t               *alloc;
    const cc_chat_options_t  *opts;
    cc_chat_t                *chat;
    cc_error_t               *err;
} cc_parse_t;


/* CC_ERROR with p->err filled (400), unless the check passes (CC_OK) */
int cc_parse_check(cc_parse_t *p, const cc_json_t *v, const char *path,
    unsigned mask, const char *expected);
int cc_parse_missing(cc_parse_t *p, const char *path);
int cc_parse_empty(cc_parse_t *p, const char *path);
int cc_parse_error(cc_parse_t *p, const char *code, const char *param,
    const char *fmt, ...);
int cc_parse_function(cc_parse_t *p, const cc_json_t *v, const char *path,
    cc_json_t **fn);
int cc_parse_name(cc_parse_t *p, const cc_json_t *v, const char *path);

/* CC_ERROR with err filled: 500, the arena is exhausted */
int cc_no_memory(cc_error_t *err);

/* a path into buf, which is CC_PATH_LEN bytes */
void cc_path(char *buf, const char *fmt, ...);

/* a client's value, quoted: at most CC_SHOW_LEN bytes and "..." */
void cc_show(char *buf, size_t size, const u_char *s, size_t len);

/* how OpenAI names a value's type: "a string", "an integer", ... */
const char *cc_json_kind(const cc_json_t *v);


#endif /* _CC_CHECK_H_INCLUDED_ */
