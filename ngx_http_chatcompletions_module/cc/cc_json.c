
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The JSON DOM: the incremental parser that builds it, member and number
 * access, its printing through a generator, values built by hand.
 */


#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "cc_json.h"


/*
 * A value under construction: members are collected in growable arrays
 * (keys for objects only) that the value takes when its container
 * closes.
 */
typedef struct {
    cc_json_t                *value;
    cc_buf_t                  keys;         /* cc_str_t */
    cc_buf_t                  values;       /* cc_json_t * */
} cc_json_frame_t;


/* members a container, and containers the stack, have room for at first */
#define CC_JSON_MEMBERS  8
#define CC_JSON_FRAMES   4


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


static cc_json_t *cc_json_new(cc_json_parser_t *p, cc_json_type_e type);
static int cc_json_add(cc_json_parser_t *p, cc_json_t *v);
static int cc_json_open(cc_json_parser_t *p, cc_json_type_e type);
static int cc_json_close(cc_json_parser_t *p);
static int cc_json_on_null(void *ctx);
static int cc_json_on_boolean(void *ctx, int b);
static int cc_json_on_number(void *ctx, const char *s, size_t len);
static int cc_json_on_string(void *ctx, const unsigned char *s, size_t len);
static int cc_json_on_start_map(void *ctx);
static int cc_json_on_map_key(void *ctx, const unsigned char *s, size_t len);
static int cc_json_on_end_map(void *ctx);
static int cc_json_on_start_array(void *ctx);
static int cc_json_on_end_array(void *ctx);
static int cc_json_utf8(cc_json_parser_t *p, const unsigned char *s,
    size_t len, int key);
static void cc_json_path(cc_json_parser_t *p);
static int cc_json_filter(cc_json_parser_t *p, u_char c);
static int cc_json_filter_utf8(cc_json_parser_t *p, u_char c);
static int cc_json_escape(cc_json_parser_t *p);
static int cc_json_lone(cc_json_parser_t *p);
static int cc_json_put(cc_json_parser_t *p, const u_char *data, size_t len);
static int cc_json_flush(cc_json_parser_t *p);
static int cc_json_hex(const u_char *p, uint32_t *cp);
static int cc_json_plain(const u_char *data, size_t len, int *in);
static int cc_json_plain_doc(const u_char *data, size_t len);
static size_t cc_json_plain_escape(const u_char *p, size_t len);
static size_t cc_json_special(const u_char *data, size_t i, size_t len);
static int cc_json_yajl(cc_json_parser_t *p, const u_char *data, size_t len,
    int complete);
static cc_json_t *cc_json_parse_doc(cc_alloc_t *a, const u_char *data,
    size_t len, int strict, char *err, size_t errlen);
static void cc_json_error(cc_json_parser_t *p, int end, char *err,
    size_t errlen);
static int cc_json_gen_depth(yajl_gen g, const cc_json_t *v, int depth);


static yajl_callbacks  cc_json_callbacks = {
    cc_json_on_null,
    cc_json_on_boolean,
    NULL,
    NULL,
    cc_json_on_number,
    cc_json_on_string,
    cc_json_on_start_map,
    cc_json_on_map_key,
    cc_json_on_end_map,
    cc_json_on_start_array,
    cc_json_on_end_array
};


static cc_json_t *
cc_json_new(cc_json_parser_t *p, cc_json_type_e type)
{
    cc_json_t  *v;

    v = cc_calloc(p->alloc, sizeof(cc_json_t));
    if (v == NULL) {
        p->no_memory = 1;
        return NULL;
    }

    v->type = type;

    return v;
}


static int
cc_json_add(cc_json_parser_t *p, cc_json_t *v)
{
    cc_json_frame_t  *f;

    if (p->depth == 0) {
        p->root = v;
        return 1;
    }

    f = (cc_json_frame_t *) p->stack.data + p->depth - 1;

    if (f->value->type == CC_JSON_OBJECT) {
        if (cc_buf_append(p->alloc, &f->keys, (u_char *) &p->key,
                          sizeof(cc_str_t))
            != CC_OK)
        {
            p->no_memory = 1;
            return 0;
        }

        p->have_key = 0;
    }

    if (cc_buf_append(p->alloc, &f->values, (u_char *) &v,
                      sizeof(cc_json_t *))
        != CC_OK)
    {
        p->no_memory = 1;
        return 0;
    }

    return 1;
}


static int
cc_json_open(cc_json_parser_t *p, cc_json_type_e type)
{
    cc_json_t        *v;
    cc_json_frame_t  *f;

    if (p->depth == CC_JSON_MAX_DEPTH) {
        p->too_deep = 1;
        return 0;
    }

    v = cc_json_new(p, type);
    if (v == NULL) {
        return 0;
    }

    if (!cc_json_add(p, v)) {
        return 0;
    }

    if (cc_buf_reserve(p->alloc, &p->stack, sizeof(cc_json_frame_t))
        != CC_OK)
    {
        p->no_memory = 1;
        return 0;
    }

    f = (cc_json_frame_t *) p->stack.data + p->depth++;
    p->stack.len += sizeof(cc_json_frame_t);

    memset(f, 0, sizeof(cc_json_frame_t));

    f->value = v;
    f->keys.min = CC_JSON_MEMBERS * sizeof(cc_str_t);
    f->values.min = CC_JSON_MEMBERS * sizeof(cc_json_t *);

    return 1;
}


static int
cc_json_close(cc_json_parser_t *p)
{
    cc_json_frame_t  *f;

    f = (cc_json_frame_t *) p->stack.data + --p->depth;
    p->stack.len -= sizeof(cc_json_frame_t);

    f->value->n = f->values.len / sizeof(cc_json_t *);
    f->value->keys = (cc_str_t *) f->keys.data;
    f->value->values = (cc_json_t **) f->values.data;

    return 1;
}


static int
cc_json_on_null(void *ctx)
{
    cc_json_t  *v;

    v = cc_json_new(ctx, CC_JSON_NULL);

    return v != NULL && cc_json_add(ctx, v);
}


static int
cc_json_on_boolean(void *ctx, int b)
{
    cc_json_t  *v;

    v = cc_json_new(ctx, b ? CC_JSON_TRUE : CC_JSON_FALSE);

    return v != NULL && cc_json_add(ctx, v);
}


static int
cc_json_on_number(void *ctx, const char *s, size_t len)
{
    cc_json_t         *v;
    cc_json_parser_t  *p;

    p = ctx;

    v = cc_json_new(p, CC_JSON_NUMBER);
    if (v == NULL) {
        return 0;
    }

    v->str.len = len;
    v->str.data = cc_strdup(p->alloc, (const u_char *) s, len);
    if (v->str.data == NULL) {
        p->no_memory = 1;
        return 0;
    }

    return cc_json_add(p, v);
}


static int
cc_json_on_string(void *ctx, const unsigned char *s, size_t len)
{
    cc_json_t         *v;
    cc_json_parser_t  *p;

    p = ctx;

    if (!cc_json_utf8(p, s, len, 0)) {
        return 0;
    }

    v = cc_json_new(p, CC_JSON_STRING);
    if (v == NULL) {
        return 0;
    }

    v->str.len = len;
    v->str.data = cc_strdup(p->alloc, s, len);
    if (v->str.data == NULL) {
        p->no_memory = 1;
        return 0;
    }

    return cc_json_add(p, v);
}


static int
cc_json_on_start_map(void *ctx)
{
    return cc_json_open(ctx, CC_JSON_OBJECT);
}


static int
cc_json_on_map_key(void *ctx, const unsigned char *s, size_t len)
{
    cc_json_parser_t  *p;

    p = ctx;

    if (!cc_json_utf8(p, s, len, 1)) {
        return 0;
    }

    p->key.len = len;
    p->key.data = cc_strdup(p->alloc, s, len);
    if (p->key.data == NULL) {
        p->no_memory = 1;
        return 0;
    }

    p->have_key = 1;

    return 1;
}


static int
cc_json_on_end_map(void *ctx)
{
    return cc_json_close(ctx);
}


static int
cc_json_on_start_array(void *ctx)
{
    return cc_json_open(ctx, CC_JSON_ARRAY);
}


static int
cc_json_on_end_array(void *ctx)
{
    return cc_json_close(ctx);
}


cc_json_parser_t *
cc_json_parser_create(cc_alloc_t *a)
{
    jmp_buf            abort;
    yajl_handle        h;
    yajl_alloc_funcs   funcs;
    cc_json_parser_t  *p;

    p = cc_calloc(a, sizeof(cc_json_parser_t));
    if (p == NULL) {
        return NULL;
    }

    p->alloc = a;
    p->stack.min = CC_JSON_FRAMES * sizeof(cc_json_frame_t);
    p->mem.alloc = a;
    p->mem.abort = &abort;

    cc_yajl_alloc_funcs(&p->mem, &funcs);

    if (setjmp(abort) != 0) {
        return NULL;
    }

    h = yajl_alloc(&cc_json_callbacks, &funcs, p);

    /* the filter checks UTF-8 itself, more strictly than yajl does */
    if (h == NULL || !yajl_config(h, yajl_dont_validate_strings, 1)) {
        return NULL;
    }

    p->mem.abort = NULL;
    p->yajl = h;

    return p;
}


void
cc_json_parser_strict(cc_json_parser_t *p)
{
    p->strict = 1;
}


int
cc_json_parser_bad_utf8(cc_json_parser_t *p, const char **path, size_t *at)
{
    if (!p->bad_utf8) {
        return 0;
    }

    *path = p->path[0] ? p->path : NULL;
    *at = p->path[0] ? p->utf8_at : p->bad_at;

    return 1;
}


/*
 * A string (key is 0) or a key checked to be UTF-8, see cc_json.h: 1, or
 * 0 with the place recorded.
 */

static int
cc_json_utf8(cc_json_parser_t *p, const unsigned char *s, size_t len,
    int key)
{
    size_t  n;

    /*
     * The filter checked every byte of the text and left no escape of a
     * surrogate alone: until it found one, yajl decodes only UTF-8.
     */
    if (!p->has_bad) {
        return 1;
    }

    n = cc_utf8_check(s, len);
    if (n == len) {
        return 1;
    }

    p->bad_utf8 = 1;
    p->utf8_at = n;
    p->path[0] = '\0';

    if (!key && p->depth > 0) {
        cc_json_path(p);
    }

    if (p->path[0] == '\0' && !p->has_bad) {
        /* an escape that made a lone surrogate in a key: where it ends */
        p->has_bad = 1;
        p->bad_at = p->offset + yajl_get_bytes_consumed(p->yajl);
    }

    return 0;
}


/* the path of the value being added, as cc_check.h writes paths */

static void
cc_json_path(cc_json_parser_t *p)
{
    int               i, n;
    size_t            len, idx;
    cc_str_t         *key;
    cc_json_frame_t  *f;

    len = 0;

    for (i = 0; i < p->depth; i++) {
        f = (cc_json_frame_t *) p->stack.data + i;

        idx = f->values.len / sizeof(cc_json_t *);

        if (f->value->type == CC_JSON_OBJECT) {
            key = (i == p->depth - 1) ? &p->key
                                      : (cc_str_t *) f->keys.data + idx - 1;

            n = snprintf(p->path + len, CC_JSON_PATH - len, "%s%.*s",
                         len ? "." : "", (int) key->len, key->data);

        } else {
            n = snprintf(p->path + len, CC_JSON_PATH - len, "[%zu]",
                         (i == p->depth - 1) ? idx : idx - 1);
        }

        if (n < 0 || (size_t) n >= CC_JSON_PATH - len) {
            break;
        }

        len += n;
    }
}


/*
 * The filter between the input and yajl: it checks that the bytes of
 * every string are UTF-8 (RFC 3629) and rewrites \u escapes of lone
 * surrogates, which yajl would decode into CESU-8 bytes (a lone low
 * one), into "?" (a lone high one before anything but an escape) or into
 * a wrong character (a high one before another escape).  A lone
 * surrogate becomes \ufffd, or, strict, \udc00, which yajl decodes into
 * bytes that cc_json_utf8() refuses: the error names the string.  The
 * text keeps its length, so offsets stay those of the input.
 */

static int
cc_json_filter(cc_json_parser_t *p, u_char c)
{
    switch (p->state) {

    case CC_JSON_OUT:
        /* yajl refuses anything but ASCII here: a JSON error */
        if (c == '"') {
            p->state = CC_JSON_IN;
        }

        return cc_json_put(p, &c, 1);

    case CC_JSON_IN:
        if (c == '\\' || c == '"') {
            if (p->u8need) {
                /* a character cut short */
                cc_json_filter_utf8(p, 0);
            }

            if (c == '"') {
                p->state = CC_JSON_OUT;
                return cc_json_put(p, &c, 1);
            }

            p->esc[0] = c;
            p->nesc = 1;
            p->esc_at = p->pos;
            p->state = CC_JSON_ESC;

            return CC_OK;
        }

        cc_json_filter_utf8(p, c);

        return cc_json_put(p, &c, 1);

    case CC_JSON_ESC:
        p->esc[p->nesc++] = c;

        if (c == 'u') {
            p->state = CC_JSON_HEX;
            return CC_OK;
        }

        p->state = CC_JSON_IN;

        return cc_json_flush(p);

    case CC_JSON_HEX:
        if (!isxdigit(c)) {
            /* not an escape yajl takes: it says so */
            p->state = CC_JSON_IN;

            if (cc_json_flush(p) != CC_OK) {
                return CC_ERROR;
            }

            return cc_json_filter(p, c);
        }

        p->esc[p->nesc++] = c;

        if (p->nesc == 6 || p->nesc == 12) {
            return cc_json_escape(p);
        }

        return CC_OK;

    case CC_JSON_PAIR:
        if (c == '\\') {
            p->esc[p->nesc++] = c;
            p->state = CC_JSON_PAIR_U;
            return CC_OK;
        }

        p->state = CC_JSON_IN;

        if (cc_json_lone(p) != CC_OK) {
            return CC_ERROR;
        }

        return cc_json_filter(p, c);

    default: /* CC_JSON_PAIR_U */
        if (c == 'u') {
            p->esc[p->nesc++] = c;
            p->state = CC_JSON_HEX;
            return CC_OK;
        }

        /* the backslash starts an escape of another kind */

        if (cc_json_lone(p) != CC_OK) {
            return CC_ERROR;
        }

        p->state = CC_JSON_ESC;

        return cc_json_filter(p, c);
    }
}


/* one byte of a string's text (0: the string or an escape cut it short) */

static int
cc_json_filter_utf8(cc_json_parser_t *p, u_char c)
{
    if (p->u8need) {
        if (c >= p->u8lo && c <= p->u8hi) {
            p->u8need--;
            p->u8lo = 0x80;
            p->u8hi = 0xbf;
            return 1;
        }

        p->u8need = 0;

        if (!p->has_bad) {
            p->has_bad = 1;
            p->bad_at = p->u8at;
        }

        if (c == 0) {
            return 0;
        }
    }

    if (c < 0x80) {
        return 1;
    }

    p->u8at = p->pos;
    p->u8lo = 0x80;
    p->u8hi = 0xbf;

    if (c >= 0xc2 && c <= 0xdf) {
        p->u8need = 1;

    } else if (c >= 0xe0 && c <= 0xef) {
        p->u8need = 2;
        p->u8lo = (c == 0xe0) ? 0xa0 : 0x80;
        p->u8hi = (c == 0xed) ? 0x9f : 0xbf;

    } else if (c >= 0xf0 && c <= 0xf4) {
        p->u8need = 3;
        p->u8lo = (c == 0xf0) ? 0x90 : 0x80;
        p->u8hi = (c == 0xf4) ? 0x8f : 0xbf;

    } else if (!p->has_bad) {
        p->has_bad = 1;
        p->bad_at = p->pos;
    }

    return 1;
}


/* a \uXXXX (nesc 6) or a high surrogate's \uXXXX\uXXXX (12) is complete */

static int
cc_json_escape(cc_json_parser_t *p)
{
    uint32_t  cp;

    /* the four bytes are hex digits: cc_json_filter() checked them */
    cp = 0;
    (void) cc_json_hex(p->esc + p->nesc - 4, &cp);

    if (p->nesc == 6) {
        if (cp >= 0xd800 && cp <= 0xdbff) {
            p->state = CC_JSON_PAIR;
            return CC_OK;
        }

        p->state = CC_JSON_IN;

        if (cp >= 0xdc00 && cp <= 0xdfff) {
            return cc_json_lone(p);
        }

        return cc_json_flush(p);
    }

    if (cp >= 0xdc00 && cp <= 0xdfff) {
        p->state = CC_JSON_IN;
        return cc_json_flush(p);
    }

    /* the first one is lone; the second is looked at anew */

    if (cc_json_lone(p) != CC_OK) {
        return CC_ERROR;
    }

    return cc_json_escape(p);
}


/*
 * The first six bytes of esc are a lone surrogate's escape: its
 * replacement goes to yajl, the bytes after it stay in esc.
 */

static int
cc_json_lone(cc_json_parser_t *p)
{
    if (p->strict && !p->has_bad) {
        p->has_bad = 1;
        p->bad_at = p->esc_at;
    }

    if (cc_json_put(p, (u_char *) (p->strict ? "\\udc00" : "\\ufffd"), 6)
        != CC_OK)
    {
        return CC_ERROR;
    }

    p->nesc -= 6;
    p->esc_at += 6;
    memmove(p->esc, p->esc + 6, p->nesc);

    return CC_OK;
}


/* what esc holds goes to yajl as it is */

static int
cc_json_flush(cc_json_parser_t *p)
{
    size_t  n;

    n = p->nesc;
    p->nesc = 0;

    return cc_json_put(p, p->esc, n);
}


static int
cc_json_hex(const u_char *p, uint32_t *cp)
{
    int       i;
    u_char    c;
    uint32_t  v;

    v = 0;

    for (i = 0; i < 4; i++) {
        c = p[i];

        if (c >= '0' && c <= '9') {
            v = v * 16 + (c - '0');

        } else if (c >= 'a' && c <= 'f') {
            v = v * 16 + (c - 'a' + 10);

        } else if (c >= 'A' && c <= 'F') {
            v = v * 16 + (c - 'A' + 10);

        } else {
            return CC_ERROR;
        }
    }

    *cp = v;

    return CC_OK;
}


/*
 * Bytes for yajl: a feed's text is given to yajl at once at its end.
 * yajl lexes a token cut by the end of its input again from its start
 * on every call, so handing it smaller pieces than the caller's would
 * make a long string quadratic.
 */

static int
cc_json_put(cc_json_parser_t *p, const u_char *data, size_t len)
{
    if (cc_buf_append(p->alloc, &p->text, data, len) != CC_OK) {
        p->no_memory = 1;
        p->dead = 1;
        return CC_ERROR;
    }

    return CC_OK;
}


/*
 * Bytes for yajl: what the filter collected (data is p->text's), or a
 * feed that needs no rewriting, as it is; complete: the input's end.
 */

static int
cc_json_yajl(cc_json_parser_t *p, const u_char *data, size_t len,
    int complete)
{
    jmp_buf      abort;
    yajl_status  st;

    p->mem.abort = &abort;

    if (setjmp(abort) != 0) {
        /* the arena refused yajl: its handle is not used again */
        p->mem.abort = NULL;
        p->no_memory = 1;
        p->dead = 1;
        return CC_ERROR;
    }

    st = complete ? yajl_complete_parse(p->yajl)
                  : yajl_parse(p->yajl, data, len);

    p->mem.abort = NULL;

    if (st != yajl_status_ok) {
        p->dead = 1;
        return CC_ERROR;
    }

    p->offset += len;

    if (data == p->text.data) {
        p->text.len = 0;
    }

    return CC_OK;
}


/*
 * Whether a feed, starting in a string (*in) or not, is text the filter
 * would give yajl unchanged: UTF-8 throughout, no escape cut by its end,
 * no escaped surrogate but in a pair.  *in becomes where it ends.  Most
 * text is, from Bedrock and from clients.
 */

static int
cc_json_plain(const u_char *data, size_t len, int *in)
{
    size_t  i, n;

    if (cc_utf8_check(data, len) != len) {
        return 0;
    }

    for (i = cc_json_special(data, 0, len);
         i < len;
         i = cc_json_special(data, i + n, len))
    {
        if (data[i] == '"') {
            *in = !*in;
            n = 1;
            continue;
        }

        /* a backslash: in a string, an escape */

        n = *in ? cc_json_plain_escape(data + i, len - i) : 0;
        if (n == 0) {
            return 0;
        }
    }

    return 1;
}


/*
 * The same for a whole document, whose strings' bounds do not matter: a
 * backslash outside a string is yajl's error anyway.  Backslashes are
 * rare: memchr() finds them.
 */

static int
cc_json_plain_doc(const u_char *data, size_t len)
{
    size_t         n;
    const u_char  *p, *last;

    if (cc_utf8_check(data, len) != len) {
        return 0;
    }

    last = data + len;

    for (p = memchr(data, '\\', len);
         p != NULL;
         p = memchr(p + n, '\\', last - p - n))
    {
        n = cc_json_plain_escape(p, last - p);
        if (n == 0) {
            return 0;
        }

        if (p + n == last) {
            break;
        }
    }

    return 1;
}


/*
 * The length of the escape at p (*p is a backslash): 2, 6, or 12 for a
 * surrogate pair; 0 if it is cut short, not hex or a lone surrogate.
 */

static size_t
cc_json_plain_escape(const u_char *p, size_t len)
{
    uint32_t  cp;

    if (len < 2) {
        return 0;
    }

    if (p[1] != 'u') {
        return 2;
    }

    if (len < 6 || cc_json_hex(p + 2, &cp) != CC_OK
        || (cp >= 0xdc00 && cp <= 0xdfff))
    {
        return 0;
    }

    if (cp < 0xd800 || cp > 0xdbff) {
        return 6;
    }

    /* a high surrogate: plain only as the first of a pair */

    if (len < 12 || p[6] != '\\' || p[7] != 'u'
        || cc_json_hex(p + 8, &cp) != CC_OK
        || cp < 0xdc00 || cp > 0xdfff)
    {
        return 0;
    }

    return 12;
}


/* the offset of the next quote or backslash from i, or len */

static size_t
cc_json_special(const u_char *data, size_t i, size_t len)
{
    uint64_t  w, q, b, m;

    /*
     * Eight bytes at a time: a byte of w ^ c is zero where w has c; the
     * lowest bit the test sets is exactly the first such byte's (a false
     * one can only follow a true one).
     */

    for ( /* void */ ; len - i >= 8; i += 8) {
        memcpy(&w, data + i, 8);

        q = w ^ 0x2222222222222222ULL;
        b = w ^ 0x5c5c5c5c5c5c5c5cULL;

        m = ((q - 0x0101010101010101ULL) & ~q)
            | ((b - 0x0101010101010101ULL) & ~b);
        m &= 0x8080808080808080ULL;

        if (m) {
#if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
            return i + (__builtin_ctzll(m) >> 3);
#else
            break;
#endif
        }
    }

    for ( /* void */ ; i < len; i++) {
        if (data[i] == '"' || data[i] == '\\') {
            return i;
        }
    }

    return len;
}


static void
cc_json_error(cc_json_parser_t *p, int end, char *err, size_t errlen)
{
    size_t          n, at;
    jmp_buf         abort;
    unsigned char  *msg;

    if (errlen == 0) {
        return;
    }

    if (p->no_memory) {
        snprintf(err, errlen, "out of memory");
        return;
    }

    if (p->too_deep) {
        snprintf(err, errlen, "nesting deeper than %d levels",
                 CC_JSON_MAX_DEPTH);
        return;
    }

    /* the input ended in a string with a byte that is not UTF-8 */

    if (!p->bad_utf8 && p->has_bad && end) {
        p->bad_utf8 = 1;
        p->path[0] = '\0';
    }

    if (p->bad_utf8) {
        if (p->path[0]) {
            snprintf(err, errlen, "invalid UTF-8 in %s at byte %zu",
                     p->path, p->utf8_at);

        } else {
            snprintf(err, errlen, "invalid UTF-8 at offset %zu", p->bad_at);
        }

        return;
    }

    /*
     * yajl's message reads like "lexical error: invalid char in json
     * text.\n <context>\n (right here) ------^\n"; keep the first line,
     * the context is the client's own text and does not belong in logs.
     */

    p->mem.abort = &abort;

    if (setjmp(abort) != 0) {
        p->mem.abort = NULL;
        snprintf(err, errlen, "invalid JSON");
        return;
    }

    msg = yajl_get_error(p->yajl, 0, p->text.data, p->text.len);

    p->mem.abort = NULL;

    if (msg == NULL) {
        snprintf(err, errlen, "invalid JSON");
        return;
    }

    n = strcspn((char *) msg, "\n");
    while (n && (msg[n - 1] == ' ' || msg[n - 1] == '.')) {
        n--;
    }

    if (!end) {
        at = p->offset + yajl_get_bytes_consumed(p->yajl);
        snprintf(err, errlen, "%.*s at offset %zu", (int) n, (char *) msg,
                 at);

    } else {
        snprintf(err, errlen, "%.*s", (int) n, (char *) msg);
    }

    yajl_free_error(p->yajl, msg);
}


int
cc_json_parser_feed(cc_json_parser_t *p, const u_char *data, size_t len,
    char *err, size_t errlen)
{
    int     in;
    size_t  i, j;

    if (p->dead) {
        snprintf(err, errlen, "the parser failed before");
        return CC_ERROR;
    }

    /* text that needs no rewriting goes to yajl as it is, not copied */

    if (p->nesc == 0 && p->u8need == 0 && p->text.len == 0
        && (p->state == CC_JSON_OUT || p->state == CC_JSON_IN))
    {
        in = (p->state == CC_JSON_IN);

        if (cc_json_plain(data, len, &in)) {
            p->state = in ? CC_JSON_IN : CC_JSON_OUT;
            p->pos += len;

            if (cc_json_yajl(p, data, len, 0) != CC_OK) {
                cc_json_error(p, 0, err, errlen);
                return CC_ERROR;
            }

            return CC_OK;
        }
    }

    /* room for the feed and an escape held back from the last one */

    if (cc_buf_reserve(p->alloc, &p->text, len + sizeof(p->esc)) != CC_OK) {
        p->no_memory = 1;
        p->dead = 1;
        cc_json_error(p, 0, err, errlen);
        return CC_ERROR;
    }

    for (i = 0; i < len; /* void */) {

        /* a run of ASCII that is no quote and no escape goes at once */

        if (p->state == CC_JSON_OUT
            || (p->state == CC_JSON_IN && p->u8need == 0))
        {
            for (j = i;
                 j < len && data[j] < 0x80 && data[j] != '"'
                 && data[j] != '\\';
                 j++)
            {
                /* void */
            }

            if (j > i) {
                if (cc_json_put(p, data + i, j - i) != CC_OK) {
                    cc_json_error(p, 0, err, errlen);
                    return CC_ERROR;
                }

                p->pos += j - i;
                i = j;
                continue;
            }
        }

        if (cc_json_filter(p, data[i]) != CC_OK) {
            cc_json_error(p, 0, err, errlen);
            return CC_ERROR;
        }

        p->pos++;
        i++;
    }

    if (p->text.len && cc_json_yajl(p, p->text.data, p->text.len, 0)
                       != CC_OK)
    {
        cc_json_error(p, 0, err, errlen);
        return CC_ERROR;
    }

    return CC_OK;
}


cc_json_t *
cc_json_parser_finish(cc_json_parser_t *p, char *err, size_t errlen)
{
    if (p->dead) {
        snprintf(err, errlen, "the parser failed before");
        return NULL;
    }

    /* the input ended in a character or an escape: yajl says the rest */

    if (p->u8need) {
        cc_json_filter_utf8(p, 0);
    }

    if (p->state == CC_JSON_PAIR || p->state == CC_JSON_PAIR_U) {
        if (cc_json_lone(p) != CC_OK) {
            cc_json_error(p, 0, err, errlen);
            return NULL;
        }
    }

    if ((cc_json_flush(p) != CC_OK)
        || (p->text.len
            && cc_json_yajl(p, p->text.data, p->text.len, 0) != CC_OK))
    {
        cc_json_error(p, 0, err, errlen);
        return NULL;
    }

    if (cc_json_yajl(p, NULL, 0, 1) != CC_OK) {
        cc_json_error(p, 1, err, errlen);
        return NULL;
    }

    if (p->root == NULL) {
        snprintf(err, errlen, "empty input");
        return NULL;
    }

    return p->root;
}


int
cc_json_scan(cc_alloc_t *a, const u_char *data, size_t len,
    const yajl_callbacks *cb, void *ctx)
{
    jmp_buf           abort;
    yajl_handle       h;
    yajl_status       st;
    cc_yajl_mem_t     mem;
    yajl_alloc_funcs  funcs;

    if (!cc_json_plain_doc(data, len)) {
        return CC_DECLINED;
    }

    mem.alloc = a;
    mem.abort = &abort;
    mem.failed = 0;

    cc_yajl_alloc_funcs(&mem, &funcs);

    if (setjmp(abort) != 0) {
        /* the arena refused yajl: the handle is not used again */
        return CC_DECLINED;
    }

    h = yajl_alloc(cb, &funcs, ctx);

    /* cc_json_plain_doc() checked the text */
    if (h == NULL || !yajl_config(h, yajl_dont_validate_strings, 1)) {
        return CC_DECLINED;
    }

    st = yajl_parse(h, data, len);

    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
    }

    return (st == yajl_status_ok) ? CC_OK : CC_DECLINED;
}


cc_json_t *
cc_json_parse(cc_alloc_t *a, const u_char *data, size_t len, char *err,
    size_t errlen)
{
    return cc_json_parse_doc(a, data, len, 0, err, errlen);
}


cc_json_t *
cc_json_parse_strict(cc_alloc_t *a, const u_char *data, size_t len,
    char *err, size_t errlen)
{
    return cc_json_parse_doc(a, data, len, 1, err, errlen);
}


static cc_json_t *
cc_json_parse_doc(cc_alloc_t *a, const u_char *data, size_t len, int strict,
    char *err, size_t errlen)
{
    cc_json_parser_t  *p;

    p = cc_json_parser_create(a);
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    p->strict = strict;

    if (cc_json_parser_feed(p, data, len, err, errlen) != CC_OK) {
        return NULL;
    }

    return cc_json_parser_finish(p, err, errlen);
}


cc_json_t *
cc_json_get(const cc_json_t *obj, const char *key)
{
    size_t  i, len;

    if (obj == NULL || obj->type != CC_JSON_OBJECT) {
        return NULL;
    }

    len = strlen(key);

    /* the last duplicate wins, as in most JSON parsers */
    for (i = obj->n; i > 0; i--) {
        if (obj->keys[i - 1].len == len
            && memcmp(obj->keys[i - 1].data, key, len) == 0)
        {
            return obj->values[i - 1];
        }
    }

    return NULL;
}


int
cc_json_double(const cc_json_t *v, double *out)
{
    char    *end;
    double   d;

    if (v == NULL || v->type != CC_JSON_NUMBER) {
        return CC_ERROR;
    }

    /* str.data is NUL-terminated: cc_strdup() */
    errno = 0;
    d = strtod((char *) v->str.data, &end);

    if (errno == ERANGE || *end != '\0') {
        return CC_ERROR;
    }

    *out = d;

    return CC_OK;
}


int
cc_json_int(const cc_json_t *v, int64_t *out)
{
    char       *end;
    long long   n;

    if (v == NULL || v->type != CC_JSON_NUMBER) {
        return CC_ERROR;
    }

    errno = 0;
    n = strtoll((char *) v->str.data, &end, 10);

    if (errno == ERANGE || *end != '\0') {
        return CC_ERROR;
    }

    *out = n;

    return CC_OK;
}


static int
cc_json_gen_depth(yajl_gen g, const cc_json_t *v, int depth)
{
    size_t  i;

    if (depth > CC_JSON_MAX_DEPTH) {
        return CC_ERROR;
    }

    switch (v->type) {

    case CC_JSON_NULL:
        return yajl_gen_null(g) == yajl_gen_status_ok ? CC_OK : CC_ERROR;

    case CC_JSON_FALSE:
    case CC_JSON_TRUE:
        return yajl_gen_bool(g, v->type == CC_JSON_TRUE)
               == yajl_gen_status_ok ? CC_OK : CC_ERROR;

    case CC_JSON_NUMBER:
        return yajl_gen_number(g, (const char *) v->str.data, v->str.len)
               == yajl_gen_status_ok ? CC_OK : CC_ERROR;

    case CC_JSON_STRING:
        return yajl_gen_string(g, v->str.data, v->str.len)
               == yajl_gen_status_ok ? CC_OK : CC_ERROR;

    case CC_JSON_ARRAY:
        if (yajl_gen_array_open(g) != yajl_gen_status_ok) {
            return CC_ERROR;
        }

        for (i = 0; i < v->n; i++) {
            if (cc_json_gen_depth(g, v->values[i], depth + 1) != CC_OK) {
                return CC_ERROR;
            }
        }

        return yajl_gen_array_close(g) == yajl_gen_status_ok
               ? CC_OK : CC_ERROR;

    case CC_JSON_OBJECT:
        if (yajl_gen_map_open(g) != yajl_gen_status_ok) {
            return CC_ERROR;
        }

        for (i = 0; i < v->n; i++) {
            if (yajl_gen_string(g, v->keys[i].data, v->keys[i].len)
                != yajl_gen_status_ok
                || cc_json_gen_depth(g, v->values[i], depth + 1) != CC_OK)
            {
                return CC_ERROR;
            }
        }

        return yajl_gen_map_close(g) == yajl_gen_status_ok
               ? CC_OK : CC_ERROR;
    }

    return CC_ERROR;
}


int
cc_json_gen(yajl_gen g, const cc_json_t *v)
{
    return cc_json_gen_depth(g, v, 1);
}


int
cc_json_serialize(cc_alloc_t *a, const cc_json_t *v, cc_str_t *out)
{
    yajl_gen      g;
    cc_gen_out_t  o;

    cc_gen_out_init(&o, a);

    g = cc_gen_create(a, &o);
    if (g == NULL) {
        return CC_ERROR;
    }

    out->data = NULL;
    out->len = 0;

    if (cc_json_gen(g, v) != CC_OK) {
        return CC_ERROR;
    }

    return cc_gen_output(a, &o, out);
}


int
cc_json_is(const cc_json_t *v, const char *s)
{
    size_t  len;

    if (v == NULL || v->type != CC_JSON_STRING) {
        return 0;
    }

    len = strlen(s);

    return v->str.len == len && memcmp(v->str.data, s, len) == 0;
}


cc_json_t *
cc_json_object(cc_alloc_t *a, size_t n)
{
    cc_json_t  *v;

    v = cc_calloc(a, sizeof(cc_json_t));
    if (v == NULL) {
        return NULL;
    }

    v->type = CC_JSON_OBJECT;

    if (n) {
        v->keys = cc_alloc(a, n * sizeof(cc_str_t));
        v->values = cc_alloc(a, n * sizeof(cc_json_t *));
        if (v->keys == NULL || v->values == NULL) {
            return NULL;
        }
    }

    return v;
}


cc_json_t *
cc_json_string(cc_alloc_t *a, const char *s)
{
    cc_json_t  *v;

    v = cc_calloc(a, sizeof(cc_json_t));
    if (v == NULL) {
        return NULL;
    }

    v->type = CC_JSON_STRING;
    v->str.len = strlen(s);
    v->str.data = (u_char *) s;

    return v;
}
