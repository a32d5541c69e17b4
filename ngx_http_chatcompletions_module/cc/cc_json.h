
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_JSON_H_INCLUDED_
#define _CC_JSON_H_INCLUDED_


/*
 * The JSON DOM, parsed by yajl into the arena: values, the incremental
 * parser, member and number access, printing through a yajl generator
 * (cc_gen.h), and values built by hand.
 */


#include <yajl/yajl_parse.h>

#include "cc_core.h"
#include "cc_gen.h"


typedef enum {
    CC_JSON_NULL = 0,
    CC_JSON_FALSE,
    CC_JSON_TRUE,
    CC_JSON_NUMBER,
    CC_JSON_STRING,
    CC_JSON_ARRAY,
    CC_JSON_OBJECT
} cc_json_type_e;


typedef struct cc_json_s  cc_json_t;

struct cc_json_s {
    cc_json_type_e            type;

    /* STRING: the decoded UTF-8 bytes (NUL-terminated for convenience);
     * NUMBER: the literal as it appeared in the input */
    cc_str_t                  str;

    /* OBJECT and ARRAY: n members; keys is NULL for arrays */
    size_t                    n;
    cc_str_t                 *keys;
    cc_json_t               **values;
};


/* the deepest nesting accepted from any input (request bodies, events) */
#define CC_JSON_MAX_DEPTH  64


typedef struct cc_json_parser_s  cc_json_parser_t;


/* room for a parse error's text: a path of up to 256 bytes and more */
#define CC_JSON_ERR_LEN    384


/*
 * Incremental parser: feed the body buffer by buffer, then finish.
 * On error, err receives a short human-readable reason (NUL-terminated)
 * such as "unexpected end of input" or "invalid UTF-8 in string".
 */
cc_json_parser_t *cc_json_parser_create(cc_alloc_t *a);
int cc_json_parser_feed(cc_json_parser_t *p, const u_char *data, size_t len,
    char *err, size_t errlen);
cc_json_t *cc_json_parser_finish(cc_json_parser_t *p, char *err,
    size_t errlen);

/*
 * Strings are checked to be UTF-8 (RFC 3629) byte by byte; a string or a
 * key that is not fails the parse.  An escaped lone surrogate (\udc00, or
 * \ud800 not followed by a low one) becomes U+FFFD, unless the parser is
 * strict (client input): then it is invalid UTF-8 as well.  After a
 * failed feed or finish, cc_json_parser_bad_utf8() is 1 if that was the
 * reason: *path is the string's path ("messages[1].content") and *at the
 * offset of the bad byte in its decoded bytes, or *path is NULL (a key,
 * the top-level string) and *at is the offset in the input.
 */
void cc_json_parser_strict(cc_json_parser_t *p);
int cc_json_parser_bad_utf8(cc_json_parser_t *p, const char **path,
    size_t *at);

/* one-shot parse of a complete document; strict as for client input */
cc_json_t *cc_json_parse(cc_alloc_t *a, const u_char *data, size_t len,
    char *err, size_t errlen);
cc_json_t *cc_json_parse_strict(cc_alloc_t *a, const u_char *data,
    size_t len, char *err, size_t errlen);

/*
 * A complete document given to the caller's yajl callbacks, no DOM
 * built, when it is text that needs no rewriting (UTF-8 throughout, no
 * escaped surrogate): CC_OK, the callbacks saw all of it.  CC_DECLINED
 * otherwise, or when yajl or a callback stopped (no memory, bad JSON, a
 * shape the callbacks leave to the DOM): the caller parses it with
 * cc_json_parse(), which handles, or names, the rest.
 */
int cc_json_scan(cc_alloc_t *a, const u_char *data, size_t len,
    const yajl_callbacks *cb, void *ctx);

/* member lookup; NULL if absent or if obj is not an object */
cc_json_t *cc_json_get(const cc_json_t *obj, const char *key);

/* numbers: CC_OK when the literal fits; CC_ERROR otherwise */
int cc_json_double(const cc_json_t *v, double *out);
int cc_json_int(const cc_json_t *v, int64_t *out);

/* emit a value (recursively, depth-bounded) into a yajl generator */
int cc_json_gen(yajl_gen g, const cc_json_t *v);

/* serialize a value to compact JSON bytes in the arena */
int cc_json_serialize(cc_alloc_t *a, const cc_json_t *v, cc_str_t *out);

/* 1 if v is the JSON string s */
int cc_json_is(const cc_json_t *v, const char *s);

/*
 * Values built in the arena: an object with room for n members (n is 0:
 * set keys, values and n), a string pointing at s.  NULL: no memory.
 */
cc_json_t *cc_json_object(cc_alloc_t *a, size_t n);
cc_json_t *cc_json_string(cc_alloc_t *a, const char *s);


#endif /* _CC_JSON_H_INCLUDED_ */
