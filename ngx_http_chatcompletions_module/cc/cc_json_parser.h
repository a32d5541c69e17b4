
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_JSON_PARSER_H_INCLUDED_
#define _CC_JSON_PARSER_H_INCLUDED_


/*
 * Private to cc_json.c (the parser) and cc_json_filter.c (the filter
 * between the input and yajl): the parser's state, which both keep.
 */


#include <yajl/yajl_parse.h>

#include "cc_json.h"


/* the filter's place in the text (cc_json_filter()) */
typedef enum {
    CC_JSON_OUT = 0,                        /* outside any string */
    CC_JSON_IN,                             /* in a string */
    CC_JSON_ESC,                            /* after a backslash */
    CC_JSON_HEX,                            /* in the digits of a \u */
    CC_JSON_PAIR,                           /* a high surrogate: a "\" ? */
    CC_JSON_PAIR_U                          /* ... and a "u" ? */
} cc_json_state_e;


/* the longest path an error names */
#define CC_JSON_PATH   256


struct cc_json_parser_s {
    cc_alloc_t               *alloc;
    yajl_handle               yajl;
    cc_yajl_mem_t             mem;
    cc_json_t                *root;
    cc_buf_t                  stack;        /* depth cc_json_frame_t */
    int                       depth;
    cc_str_t                  key;
    size_t                    offset;       /* bytes given to yajl */

    /* the filter between the input and yajl */
    cc_json_state_e           state;
    size_t                    pos;          /* bytes of input seen */
    u_char                    esc[12];      /* an escape held back */
    size_t                    nesc;
    size_t                    esc_at;       /* the input offset of esc */
    u_char                    u8need;       /* continuation bytes due */
    u_char                    u8lo;         /* the next one's range */
    u_char                    u8hi;
    size_t                    u8at;         /* where the character began */
    size_t                    bad_at;       /* the first bad byte */
    cc_buf_t                  text;         /* a feed's, for yajl */

    /* invalid UTF-8: in the string at path (empty: in a key), at byte */
    char                      path[CC_JSON_PATH];
    size_t                    utf8_at;

    unsigned                  have_key:1;
    unsigned                  too_deep:1;
    unsigned                  no_memory:1;
    unsigned                  strict:1;
    unsigned                  has_bad:1;    /* bad_at is set */
    unsigned                  bad_utf8:1;   /* the parse failed on it */
    unsigned                  dead:1;       /* yajl was abandoned */
};


/*
 * The filter (cc_json_filter.c).  cc_json_filter() takes one byte of the
 * input, cc_json_filter_utf8() one byte of a string's text (0: the string
 * or an escape cut it short); cc_json_lone() replaces the lone surrogate
 * escape held back, cc_json_flush() gives yajl what is held back as it
 * is; cc_json_put() collects bytes for yajl.  cc_json_plain() and
 * cc_json_plain_doc(): whether a feed (starting in a string or not,
 * *in) or a whole document is text the filter would pass unchanged.
 */
int cc_json_filter(cc_json_parser_t *p, u_char c);
int cc_json_filter_utf8(cc_json_parser_t *p, u_char c);
int cc_json_lone(cc_json_parser_t *p);
int cc_json_flush(cc_json_parser_t *p);
int cc_json_put(cc_json_parser_t *p, const u_char *data, size_t len);
int cc_json_plain(const u_char *data, size_t len, int *in);
int cc_json_plain_doc(const u_char *data, size_t len);


#endif /* _CC_JSON_PARSER_H_INCLUDED_ */
