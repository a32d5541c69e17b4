
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _NGX_HTTP_CHATCOMPLETIONS_CHAT_INT_H_INCLUDED_
#define _NGX_HTTP_CHATCOMPLETIONS_CHAT_INT_H_INCLUDED_


/*
 * Internal to the request units (chat.c, bedrock.c): Bedrock's notion of
 * blank text and the pieces both the parser and the Converse body need.
 * Not for the glue.
 */


#include "ngx_http_chatcompletions_bedrock.h"


typedef struct {
    cc_str_t                  name;
    size_t                    index;
} cc_name_ref_t;


/* what a blank or empty toolResult is sent as: Bedrock rejects blank text */
extern cc_str_t  cc_empty_result_text;


int cc_is_blank(const u_char *p, size_t len);
int cc_str_cmp(const cc_str_t *s1, const cc_str_t *s2);

/* qsort() order of cc_name_ref_t: by name, then by index */
int cc_name_ref_cmp(const void *one, const void *two);

/* {"type":"object","properties":{}} in the arena; NULL: no memory */
cc_json_t *cc_default_schema(cc_alloc_t *a);


#endif /* _NGX_HTTP_CHATCOMPLETIONS_CHAT_INT_H_INCLUDED_ */
