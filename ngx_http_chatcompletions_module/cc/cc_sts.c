
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * STS's query protocol: the XML answers of AssumeRole and
 * AssumeRoleWithWebIdentity (expat, no DTD, no entities) and the request
 * bodies.
 */


#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <expat.h>

#include "cc_sts.h"
#include "cc_uri.h"


/* the longest text kept from one element of an STS answer */
#define CC_STS_MAX_TEXT  16384

/* between a namespace URI and a local name: never in an XML name */
#define CC_STS_NS_SEP    '\n'

#define CC_STS_MALFORMED "MalformedResponse"


/* the texts collected from an STS answer, by index */
enum {
    CC_STS_ACCESS_KEY = 0,
    CC_STS_SECRET_KEY,
    CC_STS_SESSION_TOKEN,
    CC_STS_EXPIRATION,
    CC_STS_CODE,
    CC_STS_MESSAGE,
    CC_STS_NTEXTS
};

#define CC_STS_CREDENTIALS  (1 << CC_STS_NTEXTS)    /* a bit of seen */


enum {
    CC_STS_UNKNOWN = 0,
    CC_STS_RESPONSE,
    CC_STS_ERROR
};


typedef struct {
    XML_Parser                parser;
    cc_alloc_t               *alloc;
    cc_buf_t                  text[CC_STS_NTEXTS];
    cc_buf_t                 *cur;          /* the element being read */
    const char               *err;          /* why the parser stopped */
    unsigned                  depth;
    unsigned                  seen;         /* bits: texts, Credentials */
    unsigned                  kind:2;
    unsigned                  in_parent:1;  /* *Result or Error */
    unsigned                  in_creds:1;
} cc_sts_state_t;


static void cc_sts_stop(cc_sts_state_t *st, const char *err);
static int cc_sts_ends_with(const char *s, size_t n, const char *suffix);
static void cc_sts_field(cc_sts_state_t *st, const char *local, int from,
    int to);
static void XMLCALL cc_sts_start(void *data, const XML_Char *name,
    const XML_Char **attrs);
static void XMLCALL cc_sts_end(void *data, const XML_Char *name);
static void XMLCALL cc_sts_chars(void *data, const XML_Char *s, int len);
static void XMLCALL cc_sts_doctype(void *data, const XML_Char *name,
    const XML_Char *sysid, const XML_Char *pubid, int has_internal_subset);
static void XMLCALL cc_sts_entity(void *data, const XML_Char *name,
    int is_parameter_entity, const XML_Char *value, int value_length,
    const XML_Char *base, const XML_Char *system_id,
    const XML_Char *public_id, const XML_Char *notation_name);
static int cc_sts_result(cc_sts_state_t *st, cc_aws_creds_t *out,
    cc_str_t *code, cc_str_t *message);
static void cc_sts_trim(cc_buf_t *b, cc_str_t *s);
static int cc_sts_malformed(cc_str_t *code, cc_str_t *message,
    const char *text);
static size_t cc_sts_param(u_char *dst, size_t n, const char *name,
    const cc_str_t *value);
static size_t cc_sts_params(u_char *dst, const cc_sts_call_t *call,
    const cc_str_t *duration);


static const char  *cc_sts_names[CC_STS_NTEXTS] = {
    "AccessKeyId",
    "SecretAccessKey",
    "SessionToken",
    "Expiration",
    "Code",
    "Message"
};


static void
cc_sts_stop(cc_sts_state_t *st, const char *err)
{
    if (st->err == NULL) {
        st->err = err;
        XML_StopParser(st->parser, XML_FALSE);
    }
}


static int
cc_sts_ends_with(const char *s, size_t n, const char *suffix)
{
    size_t  len;

    len = strlen(suffix);

    return n >= len && memcmp(s + n - len, suffix, len) == 0;
}


/* the element local, if one of the texts from to to, is to be read */

static void
cc_sts_field(cc_sts_state_t *st, const char *local, int from, int to)
{
    int  i;

    for (i = from; i < to; i++) {
        if (strcmp(local, cc_sts_names[i]) != 0) {
            continue;
        }

        if (st->seen & (1u << i)) {
            cc_sts_stop(st, "an element of the STS response is repeated");
            return;
        }

        st->seen |= 1u << i;
        st->cur = &st->text[i];

        return;
    }
}


/*
 * The structure read: a *Response root with *Result/Credentials/<field>
 * under it, or ErrorResponse/Error/<Code or Message>; every other
 * element, and its text, is skipped.
 */

static void XMLCALL
cc_sts_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
    size_t           n;
    const char      *local;
    cc_sts_state_t  *st;

    st = data;

    (void) attrs;

    if (st->err != NULL) {
        return;
    }

    if (st->cur != NULL) {
        cc_sts_stop(st, "an element of the STS response holds elements");
        return;
    }

    st->depth++;

    local = strrchr(name, CC_STS_NS_SEP);
    local = (local != NULL) ? local + 1 : name;
    n = strlen(local);

    switch (st->depth) {

    case 1:
        if (strcmp(local, "ErrorResponse") == 0) {
            st->kind = CC_STS_ERROR;

        } else if (cc_sts_ends_with(local, n, "Response")) {
            st->kind = CC_STS_RESPONSE;

        } else {
            cc_sts_stop(st, "the STS response is not a Response document");
        }

        break;

    case 2:
        st->in_parent = (st->kind == CC_STS_RESPONSE
                         && cc_sts_ends_with(local, n, "Result"))
                        || (st->kind == CC_STS_ERROR
                            && strcmp(local, "Error") == 0);
        break;

    case 3:
        if (!st->in_parent) {
            break;
        }

        if (st->kind == CC_STS_ERROR) {
            cc_sts_field(st, local, CC_STS_CODE, CC_STS_NTEXTS);
            break;
        }

        if (strcmp(local, "Credentials") != 0) {
            break;
        }

        if (st->seen & CC_STS_CREDENTIALS) {
            cc_sts_stop(st, "an element of the STS response is repeated");
            break;
        }

        st->seen |= CC_STS_CREDENTIALS;
        st->in_creds = 1;
        break;

    case 4:
        if (st->in_creds) {
            cc_sts_field(st, local, CC_STS_ACCESS_KEY, CC_STS_CODE);
        }

        break;

    default:
        break;
    }
}


static void XMLCALL
cc_sts_end(void *data, const XML_Char *name)
{
    cc_sts_state_t  *st;

    st = data;

    (void) name;

    if (st->err != NULL) {
        return;
    }

    /* a text element holds no element: any end is its own */
    st->cur = NULL;

    if (st->depth == 3) {
        st->in_creds = 0;

    } else if (st->depth == 2) {
        st->in_parent = 0;
    }

    st->depth--;
}


/* text may come in pieces (around entities, at line ends): appended */

static void XMLCALL
cc_sts_chars(void *data, const XML_Char *s, int len)
{
    cc_sts_state_t  *st;

    st = data;

    if (st->err != NULL || st->cur == NULL || len <= 0) {
        return;
    }

    if ((size_t) len > CC_STS_MAX_TEXT - st->cur->len) {
        cc_sts_stop(st, "an element of the STS response is too long");
        return;
    }

    if (cc_buf_append(st->alloc, st->cur, (const u_char *) s, len)
        != CC_OK)
    {
        cc_sts_stop(st, "out of memory");
    }
}


/* no DTD, so no entity of the document's own can be expanded */

static void XMLCALL
cc_sts_doctype(void *data, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
    (void) name;
    (void) sysid;
    (void) pubid;
    (void) has_internal_subset;

    cc_sts_stop(data, "the STS response has a document type declaration");
}


static void XMLCALL
cc_sts_entity(void *data, const XML_Char *name, int is_parameter_entity,
    const XML_Char *value, int value_length, const XML_Char *base,
    const XML_Char *system_id, const XML_Char *public_id,
    const XML_Char *notation_name)
{
    (void) name;
    (void) is_parameter_entity;
    (void) value;
    (void) value_length;
    (void) base;
    (void) system_id;
    (void) public_id;
    (void) notation_name;

    cc_sts_stop(data, "the STS response has a document type declaration");
}


int
cc_sts_parse(cc_alloc_t *a, const u_char *data, size_t len,
    cc_aws_creds_t *out, cc_str_t *code, cc_str_t *message)
{
    XML_Parser      parser;
    cc_sts_state_t  st;

    memset(out, 0, sizeof(cc_aws_creds_t));
    code->len = 0;
    code->data = NULL;
    message->len = 0;
    message->data = NULL;

    if (len > INT_MAX) {
        return cc_sts_malformed(code, message, "the STS response is too long");
    }

    memset(&st, 0, sizeof(cc_sts_state_t));
    st.alloc = a;

    /* expat's own memory is malloc()ed, and all freed below */

    parser = XML_ParserCreateNS(NULL, CC_STS_NS_SEP);
    if (parser == NULL) {
        return cc_sts_malformed(code, message, "out of memory");
    }

    st.parser = parser;

    XML_SetUserData(parser, &st);
    XML_SetElementHandler(parser, cc_sts_start, cc_sts_end);
    XML_SetCharacterDataHandler(parser, cc_sts_chars);
    XML_SetStartDoctypeDeclHandler(parser, cc_sts_doctype);
    XML_SetEntityDeclHandler(parser, cc_sts_entity);

    if (XML_Parse(parser, (const char *) data, (int) len, XML_TRUE)
        != XML_STATUS_OK
        && st.err == NULL)
    {
        st.err = "the STS response is not well-formed XML";
    }

    XML_ParserFree(parser);

    if (st.err != NULL) {
        return cc_sts_malformed(code, message, st.err);
    }

    return cc_sts_result(&st, out, code, message);
}


static int
cc_sts_result(cc_sts_state_t *st, cc_aws_creds_t *out, cc_str_t *code,
    cc_str_t *message)
{
    int       i;
    cc_str_t  v[CC_STS_NTEXTS];

    for (i = 0; i < CC_STS_NTEXTS; i++) {
        cc_sts_trim(&st->text[i], &v[i]);
    }

    if (st->kind == CC_STS_ERROR) {
        if (v[CC_STS_CODE].len == 0) {
            return cc_sts_malformed(code, message,
                                    "the STS error response has no Code");
        }

        *code = v[CC_STS_CODE];
        *message = v[CC_STS_MESSAGE];

        return CC_ERROR;
    }

    for (i = CC_STS_ACCESS_KEY; i <= CC_STS_EXPIRATION; i++) {
        if (v[i].len == 0) {
            return cc_sts_malformed(code, message,
                                    "the STS response has no complete "
                                    "Credentials element");
        }
    }

    if (cc_iso8601_parse(v[CC_STS_EXPIRATION].data,
                         v[CC_STS_EXPIRATION].len, &out->expiration)
        != CC_OK)
    {
        out->expiration = 0;
        return cc_sts_malformed(code, message,
                                "the STS response has an invalid "
                                "Expiration");
    }

    out->access_key = v[CC_STS_ACCESS_KEY];
    out->secret_key = v[CC_STS_SECRET_KEY];
    out->session_token = v[CC_STS_SESSION_TOKEN];

    return CC_OK;
}


/* the text without the XML white space around it */

static void
cc_sts_trim(cc_buf_t *b, cc_str_t *s)
{
    u_char  *p, *e;

    /* an element that had no text: no buffer, and no NULL + 0 either */
    if (b->len == 0) {
        s->len = 0;
        s->data = NULL;
        return;
    }

    p = b->data;
    e = b->data + b->len;

    while (p < e && cc_is_space(*p)) {
        p++;
    }

    while (e > p && cc_is_space(e[-1])) {
        e--;
    }

    s->len = e - p;
    s->data = s->len ? p : NULL;
}


static int
cc_sts_malformed(cc_str_t *code, cc_str_t *message, const char *text)
{
    code->len = sizeof(CC_STS_MALFORMED) - 1;
    code->data = (u_char *) CC_STS_MALFORMED;
    message->len = strlen(text);
    message->data = (u_char *) text;

    return CC_ERROR;
}


/*
 * name (with its "&" and "=") and the encoded value at dst + n; the new
 * length.  dst NULL: only measured.
 */

static size_t
cc_sts_param(u_char *dst, size_t n, const char *name, const cc_str_t *value)
{
    size_t  len;

    len = strlen(name);

    if (dst != NULL) {
        memcpy(dst + n, name, len);
    }

    n += len;

    return n + cc_uri_escape(dst ? dst + n : NULL, value->data, value->len,
                             0);
}


static size_t
cc_sts_params(u_char *dst, const cc_sts_call_t *call,
    const cc_str_t *duration)
{
    size_t           n;
    static cc_str_t  version = cc_string("2011-06-15");

    n = cc_sts_param(dst, 0, "Action=", &call->action);
    n = cc_sts_param(dst, n, "&Version=", &version);
    n = cc_sts_param(dst, n, "&RoleArn=", &call->role_arn);
    n = cc_sts_param(dst, n, "&RoleSessionName=", &call->session_name);

    if (duration->len) {
        n = cc_sts_param(dst, n, "&DurationSeconds=", duration);
    }

    if (call->external_id.len) {
        n = cc_sts_param(dst, n, "&ExternalId=", &call->external_id);
    }

    if (call->web_identity_token.len) {
        n = cc_sts_param(dst, n, "&WebIdentityToken=",
                         &call->web_identity_token);
    }

    return n;
}


int
cc_sts_body(cc_alloc_t *a, const cc_sts_call_t *call, cc_str_t *body)
{
    char      digits[24];
    size_t    len;
    u_char   *p;
    cc_str_t  duration;

    duration.len = 0;
    duration.data = (u_char *) digits;

    if (call->duration > 0) {
        duration.len = snprintf(digits, sizeof(digits), "%lld",
                                (long long) call->duration);
    }

    len = cc_sts_params(NULL, call, &duration);

    p = cc_alloc(a, len + 1);
    if (p == NULL) {
        return CC_ERROR;
    }

    cc_sts_params(p, call, &duration);
    p[len] = '\0';

    body->len = len;
    body->data = p;

    return CC_OK;
}
