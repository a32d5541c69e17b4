
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_JSON_H_INCLUDED_
#define _CC_JSON_H_INCLUDED_


/*
 * The pure units, the cc_*.[ch] of this folder, compile without nginx, as
 * njs keeps its engine apart from its nginx glue.  They use the short
 * "cc_" prefix; the glue is prefixed ngx_http_chatcompletions_.  This one
 * is the base of all: the arena, strings, growable buffers and the JSON
 * DOM.
 *
 * Memory comes from an arena the caller owns: an nginx pool in the module,
 * a malloc arena in the unit tests.  Nothing is freed piecemeal; yajl is
 * routed to the same arena through its allocator hooks.
 */


#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <yajl/yajl_gen.h>


#define CC_OK      0
#define CC_ERROR  -1
#define CC_AGAIN  -2
#define CC_DONE   -4


typedef struct {
    void                    *(*alloc)(void *data, size_t size);
    void                     *data;
} cc_alloc_t;


typedef struct {
    size_t                    len;
    u_char                   *data;
} cc_str_t;


#define cc_string(s)         { sizeof(s) - 1, (u_char *) s }
#define cc_null_string       { 0, NULL }


/*
 * A growable buffer in an arena, for bytes or for an array (len and cap
 * count bytes then).  When an append does not fit, the buffer moves to a
 * new allocation of the largest of twice cap, what is needed, and min,
 * and the old one stays in the arena until the arena goes.  A zeroed
 * cc_buf_t is empty.  cap less than len means data is not the buffer's
 * own (a literal, say): the first append copies it.
 */
typedef struct {
    u_char                   *data;
    size_t                    len;
    size_t                    cap;
    size_t                    min;          /* the smallest allocation */
} cc_buf_t;


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


void *cc_alloc(cc_alloc_t *a, size_t size);
void *cc_calloc(cc_alloc_t *a, size_t size);
u_char *cc_strdup(cc_alloc_t *a, const u_char *s, size_t len);

/*
 * Room for n more bytes, or n bytes appended: CC_OK, or CC_ERROR when out
 * of memory (b is then unchanged).
 */
int cc_buf_reserve(cc_alloc_t *a, cc_buf_t *b, size_t n);
int cc_buf_append_grow(cc_alloc_t *a, cc_buf_t *b, const u_char *p,
    size_t n);


/* the common case, with room, is a copy: yajl prints a token at a time */

static inline int
cc_buf_append(cc_alloc_t *a, cc_buf_t *b, const u_char *p, size_t n)
{
    if (b->cap >= b->len && n <= b->cap - b->len) {
        if (n) {
            memcpy(b->data + b->len, p, n);
            b->len += n;
        }

        return CC_OK;
    }

    return cc_buf_append_grow(a, b, p, n);
}


/* a yajl generator whose memory comes from the arena */
yajl_gen cc_gen_alloc(cc_alloc_t *a);

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

/* one-shot parse of a complete document */
cc_json_t *cc_json_parse(cc_alloc_t *a, const u_char *data, size_t len,
    char *err, size_t errlen);

/* member lookup; NULL if absent or if obj is not an object */
cc_json_t *cc_json_get(const cc_json_t *obj, const char *key);

/* numbers: CC_OK when the literal fits; CC_ERROR otherwise */
int cc_json_double(const cc_json_t *v, double *out);
int cc_json_int(const cc_json_t *v, int64_t *out);

/* emit a value (recursively, depth-bounded) into a yajl generator */
int cc_json_gen(yajl_gen g, const cc_json_t *v);

/* serialize a value to compact JSON bytes in the arena */
int cc_json_serialize(cc_alloc_t *a, const cc_json_t *v, cc_str_t *out);

/* yajl_gen helpers */
#define cc_gen_lit(g, s)                                                    \
    yajl_gen_string(g, (const unsigned char *) s, sizeof(s) - 1)
#define cc_gen_str(g, s)  yajl_gen_string(g, (s)->data, (s)->len)

/*
 * Valid UTF-8 for bytes of unknown origin (a tool's answer): every
 * invalid sequence becomes U+FFFD.  out points at the input itself when
 * it is valid.
 */
int cc_utf8_sanitize(cc_alloc_t *a, const u_char *p, size_t len,
    cc_str_t *out);

/* copy a finished generator's buffer into the arena */
int cc_gen_finish(cc_alloc_t *a, yajl_gen g, cc_str_t *out);


/* what a generator from cc_gen_create() prints into, grown in an arena */
typedef struct {
    cc_alloc_t               *alloc;
    cc_buf_t                  buf;
    unsigned                  nomem:1;      /* an append failed */
} cc_gen_out_t;


/*
 * cc_gen_out_init() empties o for the arena a; cc_gen_create() makes a
 * generator that prints into o; set o->buf.len to 0 to reuse o.
 * cc_gen_add() adds bytes of its own between documents ("data: ",
 * "\n\n"); cc_gen_output() appends what o holds to *out, in the arena
 * a: CC_ERROR if an allocation failed on the way.
 */
void cc_gen_out_init(cc_gen_out_t *o, cc_alloc_t *a);
yajl_gen cc_gen_create(cc_alloc_t *a, cc_gen_out_t *o);
void cc_gen_add(cc_gen_out_t *o, const char *p, size_t len);
int cc_gen_output(cc_alloc_t *a, cc_gen_out_t *o, cc_str_t *out);

/* strings: s equals the literal; a copy into the arena (NUL-terminated) */
int cc_str_eq(const cc_str_t *s, const char *lit);
int cc_str_dup(cc_alloc_t *a, const cc_str_t *src, cc_str_t *dst);

/* JSON's whitespace: space, tab, CR, LF */
int cc_is_space(u_char c);

/* memcmp() order, a prefix first */
int cc_str_cmp(const cc_str_t *s1, const cc_str_t *s2);

/* 1 if v is the JSON string s */
int cc_json_is(const cc_json_t *v, const char *s);

/*
 * Values built in the arena: an object with room for n members (n is 0:
 * set keys, values and n), a string pointing at s.  NULL: no memory.
 */
cc_json_t *cc_json_object(cc_alloc_t *a, size_t n);
cc_json_t *cc_json_string(cc_alloc_t *a, const char *s);


#endif /* _CC_JSON_H_INCLUDED_ */
