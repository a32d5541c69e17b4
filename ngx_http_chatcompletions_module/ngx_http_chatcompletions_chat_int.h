
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _NGX_HTTP_CHATCOMPLETIONS_CHAT_INT_H_INCLUDED_
#define _NGX_HTTP_CHATCOMPLETIONS_CHAT_INT_H_INCLUDED_


/*
 * Internal to the request units, not for the glue.  cc_chat_parse()
 * (chat.c) validates the top-level fields, cc_parse_messages()
 * (messages.c) turns each message into blocks, cc_normalize() (turns.c)
 * arranges the blocks as Bedrock's turns; bedrock.c holds Bedrock's
 * rules (blank text, object schemas) and serializes the result.
 */


#include "ngx_http_chatcompletions_bedrock.h"


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


typedef struct {
    cc_alloc_t               *alloc;
    const cc_chat_options_t  *opts;
    cc_chat_t                *chat;
    cc_error_t               *err;
} cc_parse_t;


typedef struct {
    cc_str_t                  name;
    size_t                    index;
} cc_name_ref_t;


/* chat.c: validation, in OpenAI's words; CC_ERROR with p->err filled */
int cc_parse_check(cc_parse_t *p, const cc_json_t *v, const char *path,
    unsigned mask, const char *expected);
int cc_parse_missing(cc_parse_t *p, const char *path);
int cc_parse_error(cc_parse_t *p, const char *code, const char *param,
    const char *fmt, ...);
int cc_parse_function(cc_parse_t *p, const cc_json_t *v, const char *path,
    cc_json_t **fn);
int cc_parse_name(cc_parse_t *p, const cc_json_t *v, const char *path);
int cc_no_memory(cc_error_t *err);
void cc_path(char *buf, const char *fmt, ...);
void cc_show(char *buf, size_t size, const u_char *s, size_t len);
int cc_json_is(const cc_json_t *v, const char *s);
int cc_str_cmp(const cc_str_t *s1, const cc_str_t *s2);

/* qsort() order of cc_name_ref_t: by name, then by index */
int cc_name_ref_cmp(const void *one, const void *two);

/* messages.c: the messages as raw blocks, system texts hoisted */
int cc_parse_messages(cc_parse_t *p, const cc_json_t *root,
    cc_message_t **raw, size_t *nraw);

/* turns.c: the raw messages as Bedrock's turns, in p->chat */
int cc_normalize(cc_parse_t *p, cc_message_t *raw, size_t nraw);

/* bedrock.c: what Bedrock calls blank, and the JSON it takes */
int cc_is_blank(const u_char *p, size_t len);
cc_json_t *cc_json_object(cc_alloc_t *a, size_t n);
cc_json_t *cc_json_string(cc_alloc_t *a, const char *s);

/* {"type":"object","properties":{}} in the arena; NULL: no memory */
cc_json_t *cc_default_schema(cc_alloc_t *a);

/* what a blank toolResult is sent as: Bedrock rejects blank text */
extern cc_str_t  cc_empty_result_text;


#endif /* _NGX_HTTP_CHATCOMPLETIONS_CHAT_INT_H_INCLUDED_ */
