
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The caller's phone number (cc_phone, cc_phone_scan, cc_phone_e164,
 * cc_phone_lex).
 *
 * Input: a byte that chooses the default country calling code (none,
 * "1", "44", "49"), then either a request body (it starts with '{': the
 * whole lookup, cc_phone_find(), as tools.c calls it, with the metadata
 * names "phone" and "customerPhone") or a text: the caller's words
 * (cc_phone_text()), one written number (cc_phone_parse()) and the
 * lookup with the text as the configured header's value.
 *
 * Every result is written into a malloc'ed block of exactly
 * CC_PHONE_E164_BUF bytes, so that a write past it trips ASan.  Asserted:
 * a number found is E.164 ("+", 7 to 15 digits, no leading 0), its
 * length the one returned, NUL-terminated; the lookup's result and its
 * source agree, and it never fails (the arena never refuses here).
 */


#include "fuzz_util.h"
#include "cc_phone.h"
#include "cc_phone_scan.h"


static void fz_e164(const char *what, const u_char *buf, size_t n);
static void fz_find(cc_alloc_t *a, const cc_json_t *root,
    const cc_str_t *header, const cc_str_t *cc);


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char            err[128];
    size_t          n, len;
    u_char         *buf, *text;
    cc_str_t        header;
    cc_json_t      *root, *empty;
    fz_arena_t      arena;
    cc_phone_cc_t   pcc;

    static cc_str_t  codes[] = {
        cc_null_string, cc_string("1"), cc_string("44"), cc_string("49")
    };

    if (size < 1) {
        return 0;
    }

    fz_arena_init(&arena);

    len = size - 1;
    text = fz_mem(data + 1, len);

    if (len && text[0] == '{') {
        root = cc_json_parse(&arena.alloc, text, len, err, sizeof(err));

        if (root != NULL) {
            fz_find(&arena.alloc, root, NULL, &codes[data[0] & 3]);
        }

    } else {
        cc_phone_cc_init(&pcc, &codes[data[0] & 3]);

        buf = malloc(CC_PHONE_E164_BUF);
        if (buf == NULL) {
            fz_fail("malloc failed", NULL, 0);
        }

        n = cc_phone_text(&pcc, text, len, buf);
        fz_e164("cc_phone_text()", buf, n);

        n = cc_phone_parse(&pcc, text, len, buf);
        fz_e164("cc_phone_parse()", buf, n);

        free(buf);

        empty = cc_json_object(&arena.alloc, 0);
        if (empty == NULL) {
            fz_fail("cc_json_object() failed", NULL, 0);
        }

        header.data = text;
        header.len = len;

        fz_find(&arena.alloc, empty, &header, &codes[data[0] & 3]);
    }

    free(text);
    fz_arena_reset(&arena);

    return 0;
}


static void
fz_find(cc_alloc_t *a, const cc_json_t *root, const cc_str_t *header,
    const cc_str_t *cc)
{
    int                 rc;
    cc_str_t            out;
    cc_phone_source_e   source;

    static cc_str_t  names[] = {
        cc_string("phone"), cc_string("customerPhone")
    };

    out.data = NULL;
    out.len = 0;
    source = CC_PHONE_NONE;

    rc = cc_phone_find(a, root, names, 2, header, cc, &out, &source);

    if (rc == CC_OK) {
        if (source == CC_PHONE_NONE || out.data == NULL) {
            fz_fail("cc_phone_find(): a number without its source", NULL,
                    0);
        }

        if (header == NULL && source == CC_PHONE_HEADER) {
            fz_fail("cc_phone_find(): a number from no header", NULL, 0);
        }

        fz_e164("cc_phone_find()", out.data, out.len);

    } else if (rc == CC_DONE) {
        if (source != CC_PHONE_NONE) {
            fz_fail("cc_phone_find(): no number, but a source", NULL, 0);
        }

    } else {
        fz_fail("cc_phone_find() failed", NULL, 0);
    }

    if (cc_phone_source_name(source) == NULL) {
        fz_fail("a source without a name", NULL, 0);
    }
}


static void
fz_e164(const char *what, const u_char *buf, size_t n)
{
    char    msg[128];
    size_t  i;

    if (n == 0) {
        return;
    }

    if (n < 1 + CC_PHONE_MIN_DIGITS || n > 1 + CC_PHONE_MAX_DIGITS
        || buf[0] != '+' || buf[1] == '0' || buf[n] != '\0')
    {
        snprintf(msg, sizeof(msg), "%s: not E.164", what);
        fz_fail(msg, buf, n);
    }

    for (i = 1; i < n; i++) {
        if (buf[i] < '0' || buf[i] > '9') {
            snprintf(msg, sizeof(msg), "%s: not E.164", what);
            fz_fail(msg, buf, n);
        }
    }
}
