
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The filter between the input and yajl (the parser's state is
 * cc_json_parser.h), and the checks that tell text it would pass
 * unchanged, which goes to yajl without it.
 */


#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "cc_json_parser.h"


static int cc_json_escape(cc_json_parser_t *p);
static int cc_json_hex(const u_char *p, uint32_t *cp);
static size_t cc_json_plain_escape(const u_char *p, size_t len);
static size_t cc_json_special(const u_char *data, size_t i, size_t len);


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

int
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

int
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

int
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

int
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

int
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
 * Whether a feed, starting in a string (*in) or not, is text the filter
 * would give yajl unchanged: UTF-8 throughout, no escape cut by its end,
 * no escaped surrogate but in a pair.  *in becomes where it ends.  Most
 * text is, from Bedrock and from clients.
 */

int
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

int
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
