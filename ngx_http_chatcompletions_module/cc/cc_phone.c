
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The lookup of the caller's number in a request, source by source.
 * Candidates are checked in stack buffers and only a number found valid
 * is copied into the arena: a lookup can then fail for want of memory
 * only, never half-way through a candidate.
 */


#include <string.h>

#include "cc_phone.h"
#include "cc_phone_e164.h"
#include "cc_phone_scan.h"


static int cc_phone_copy(cc_alloc_t *a, const u_char *buf, size_t len,
    cc_str_t *out);
static size_t cc_phone_value(const cc_phone_cc_t *cc, const cc_json_t *v,
    u_char *buf);
static size_t cc_phone_messages(const cc_phone_cc_t *cc,
    const cc_json_t *messages, u_char *buf);
static const cc_json_t *cc_phone_member(const cc_json_t *obj,
    const cc_str_t *name);


int
cc_phone_find(cc_alloc_t *a, const cc_json_t *root,
    const cc_str_t *metadata_names, size_t nnames,
    const cc_str_t *header_value, const cc_str_t *default_cc, cc_str_t *out,
    cc_phone_source_e *source)
{
    size_t             i, n;
    u_char             buf[CC_PHONE_E164_BUF];
    cc_phone_cc_t      cc;
    const cc_json_t   *v, *metadata;
    cc_phone_source_e  src;

    out->len = 0;
    out->data = NULL;
    *source = CC_PHONE_NONE;

    cc_phone_cc_init(&cc, default_cc);

    n = 0;
    src = CC_PHONE_NONE;

    if (root != NULL && root->type == CC_JSON_OBJECT) {

        v = cc_json_get(cc_json_get(cc_json_get(root, "call"), "customer"),
                        "number");
        n = cc_phone_value(&cc, v, buf);

        if (n == 0) {
            v = cc_json_get(cc_json_get(root, "customer"), "number");
            n = cc_phone_value(&cc, v, buf);
        }

        if (n) {
            src = CC_PHONE_CALL;
        }

        /*
         * the metadata object, then the top level, where Vapi's
         * metadataSendMode "destructured" spreads the same fields
         */

        metadata = cc_json_get(root, "metadata");

        for (i = 0; n == 0 && i < 2 * nnames; i++) {
            n = cc_phone_value(&cc,
                               cc_phone_member(i < nnames ? metadata : root,
                                               &metadata_names[i % nnames]),
                               buf);
        }

        if (src == CC_PHONE_NONE && n) {
            src = CC_PHONE_METADATA;
        }
    }

    if (n == 0 && header_value != NULL && header_value->len
        && header_value->data != NULL)
    {
        n = cc_phone_parse(&cc, header_value->data, header_value->len, buf);

        if (n) {
            src = CC_PHONE_HEADER;
        }
    }

    if (n == 0 && root != NULL && root->type == CC_JSON_OBJECT) {
        n = cc_phone_messages(&cc, cc_json_get(root, "messages"), buf);

        if (n) {
            src = CC_PHONE_TEXT;
        }
    }

    if (n == 0) {
        return CC_DONE;
    }

    if (cc_phone_copy(a, buf, n, out) != CC_OK) {
        return CC_ERROR;
    }

    *source = src;

    return CC_OK;
}


const char *
cc_phone_source_name(cc_phone_source_e s)
{
    switch (s) {

    case CC_PHONE_CALL:
        return "call";

    case CC_PHONE_METADATA:
        return "metadata";

    case CC_PHONE_HEADER:
        return "header";

    case CC_PHONE_TEXT:
        return "text";

    default:
        return "none";
    }
}


static int
cc_phone_copy(cc_alloc_t *a, const u_char *buf, size_t len, cc_str_t *out)
{
    u_char  *p;

    p = cc_alloc(a, len + 1);
    if (p == NULL) {
        return CC_ERROR;
    }

    memcpy(p, buf, len);
    p[len] = '\0';

    out->len = len;
    out->data = p;

    return CC_OK;
}


/* a string, or a JSON integer literal ("15550100199" unquoted) */
static size_t
cc_phone_value(const cc_phone_cc_t *cc, const cc_json_t *v, u_char *buf)
{
    size_t  i;

    if (v == NULL || v->str.data == NULL) {
        return 0;
    }

    if (v->type == CC_JSON_NUMBER) {
        for (i = 0; i < v->str.len; i++) {
            if (!cc_phone_digit(v->str.data[i])) {
                return 0;
            }
        }

    } else if (v->type != CC_JSON_STRING) {
        return 0;
    }

    return cc_phone_parse(cc, v->str.data, v->str.len, buf);
}


/* the latest user message first: callers correct themselves */
static size_t
cc_phone_messages(const cc_phone_cc_t *cc, const cc_json_t *messages,
    u_char *buf)
{
    size_t            i, j, n;
    const cc_json_t  *m, *role, *content, *part, *type, *text;

    if (messages == NULL || messages->type != CC_JSON_ARRAY) {
        return 0;
    }

    for (i = messages->n; i > 0; i--) {

        m = messages->values[i - 1];
        role = cc_json_get(m, "role");

        if (role == NULL || role->type != CC_JSON_STRING
            || role->str.len != 4 || memcmp(role->str.data, "user", 4) != 0)
        {
            continue;
        }

        content = cc_json_get(m, "content");

        if (content == NULL) {
            continue;
        }

        if (content->type == CC_JSON_STRING) {
            n = cc_phone_text(cc, content->str.data, content->str.len, buf);
            if (n) {
                return n;
            }

            continue;
        }

        if (content->type != CC_JSON_ARRAY) {
            continue;
        }

        for (j = content->n; j > 0; j--) {

            part = content->values[j - 1];
            type = cc_json_get(part, "type");
            text = cc_json_get(part, "text");

            if (type != NULL
                && (type->type != CC_JSON_STRING || type->str.len != 4
                    || memcmp(type->str.data, "text", 4) != 0))
            {
                continue;
            }

            if (text == NULL || text->type != CC_JSON_STRING) {
                continue;
            }

            n = cc_phone_text(cc, text->str.data, text->str.len, buf);
            if (n) {
                return n;
            }
        }
    }

    return 0;
}


/* cc_json_get() for a name that is not NUL-terminated */
static const cc_json_t *
cc_phone_member(const cc_json_t *obj, const cc_str_t *name)
{
    size_t  i;

    if (obj == NULL || obj->type != CC_JSON_OBJECT || name->data == NULL) {
        return NULL;
    }

    /* the last duplicate wins, as in cc_json_get() */
    for (i = obj->n; i > 0; i--) {
        if (obj->keys[i - 1].len == name->len
            && memcmp(obj->keys[i - 1].data, name->data, name->len) == 0)
        {
            return obj->values[i - 1];
        }
    }

    return NULL;
}
