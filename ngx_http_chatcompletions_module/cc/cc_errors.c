
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <stdio.h>
#include <string.h>

#include "cc_errors.h"


/*
 * Every yajl_gen_* call returns yajl_gen_status_ok, which is 0, on
 * success: sequences of calls are chained with || and fail as a whole.
 */


#define CC_SSE_NAME_MAX  64


typedef enum {
    CC_SSE_PLAIN = 0,
    CC_SSE_ACCESS,          /* the gateway's IAM identity lacks access */
    CC_SSE_AUTH             /* the gateway's credentials are not valid */
} cc_sse_error_kind_e;


typedef struct {
    const char               *name;
    int                       status;
    const char               *type;
    const char               *code;
    cc_sse_error_kind_e       kind;
} cc_sse_error_map_t;


static const cc_sse_error_map_t *cc_sse_error_lookup(const cc_str_t *name);
static void cc_sse_error_name(const cc_str_t *raw, cc_str_t *name);
static int cc_sse_name_ok(const cc_str_t *name);
static int cc_sse_utf8_ok(const u_char *p, size_t len);
static int cc_sse_error_message(cc_alloc_t *a,
    const cc_sse_error_map_t *map, const cc_str_t *name, int status,
    const cc_str_t *bedrock, int stream, cc_str_t *out);
static const cc_json_t *cc_sse_message_member(const cc_json_t *obj);
static int cc_sse_caseeq(const cc_str_t *s, const char *lit);


static cc_str_t  cc_sse_empty = cc_string("");


/*
 * Error names are matched case-insensitively: HTTP errors name the shape
 * (ThrottlingException), stream exceptions the union member
 * (throttlingException).
 */
static const cc_sse_error_map_t  cc_sse_errors[] = {
    { "ValidationException", 400, "invalid_request_error", NULL,
      CC_SSE_PLAIN },
    { "ResourceNotFoundException", 404, "invalid_request_error",
      "model_not_found", CC_SSE_PLAIN },
    { "AccessDeniedException", 502, "server_error",
      "upstream_access_denied", CC_SSE_ACCESS },
    { "UnrecognizedClientException", 502, "server_error",
      "upstream_auth_failed", CC_SSE_AUTH },
    { "InvalidSignatureException", 502, "server_error",
      "upstream_auth_failed", CC_SSE_AUTH },
    { "IncompleteSignatureException", 502, "server_error",
      "upstream_auth_failed", CC_SSE_AUTH },
    { "ExpiredTokenException", 502, "server_error",
      "upstream_auth_failed", CC_SSE_AUTH },
    { "MissingAuthenticationTokenException", 502, "server_error",
      "upstream_auth_failed", CC_SSE_AUTH },
    { "MissingAuthenticationToken", 502, "server_error",
      "upstream_auth_failed", CC_SSE_AUTH },
    { "ThrottlingException", 429, "rate_limit_error",
      "rate_limit_exceeded", CC_SSE_PLAIN },
    { "ModelNotReadyException", 429, "rate_limit_error",
      "rate_limit_exceeded", CC_SSE_PLAIN },
    { "ServiceQuotaExceededException", 429, "rate_limit_error",
      "rate_limit_exceeded", CC_SSE_PLAIN },
    { "ModelTimeoutException", 504, "server_error", "timeout",
      CC_SSE_PLAIN },
    { "ModelErrorException", 502, "server_error", NULL, CC_SSE_PLAIN },
    { "ModelStreamErrorException", 502, "server_error", NULL,
      CC_SSE_PLAIN },
    { "InternalServerException", 500, "server_error", NULL,
      CC_SSE_PLAIN },
    { "ServiceUnavailableException", 503, "service_unavailable_error",
      NULL, CC_SSE_PLAIN },
    { NULL, 0, NULL, NULL, CC_SSE_PLAIN }
};


/* anything unknown: the gateway could not get an answer */
static const cc_sse_error_map_t  cc_sse_error_default = {
    NULL, 502, "server_error", NULL, CC_SSE_PLAIN
};


/* an unnamed error (a proxy in front of Bedrock, say): go by the status */
static const cc_sse_error_map_t  cc_sse_error_status[] = {
    { NULL, 429, "rate_limit_error", "rate_limit_exceeded", CC_SSE_PLAIN },
    { NULL, 503, "service_unavailable_error", NULL, CC_SSE_PLAIN },
    { NULL, 504, "server_error", "timeout", CC_SSE_PLAIN },
    { NULL, 408, "server_error", "timeout", CC_SSE_PLAIN },
    { NULL, 0, NULL, NULL, CC_SSE_PLAIN }
};


int
cc_error_body(cc_alloc_t *a, const char *type, const char *code,
    const cc_str_t *param, const cc_str_t *message, cc_str_t *out)
{
    yajl_gen      g;
    cc_gen_out_t  b;

    cc_gen_out_init(&b, a);

    g = cc_gen_create(a, &b);
    if (g == NULL) {
        return CC_ERROR;
    }

    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "error") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "message")
        || (message ? cc_gen_str(g, message) : cc_gen_lit(g, ""))
        || cc_gen_lit(g, "type")
        || yajl_gen_string(g, (const u_char *) type, strlen(type))
        || cc_gen_lit(g, "param")
        || (param ? cc_gen_str(g, param) : yajl_gen_null(g))
        || cc_gen_lit(g, "code")
        || (code ? yajl_gen_string(g, (const u_char *) code, strlen(code))
                 : yajl_gen_null(g))
        || yajl_gen_map_close(g) || yajl_gen_map_close(g))
    {
        yajl_gen_free(g);
        return CC_ERROR;
    }

    yajl_gen_free(g);

    out->len = 0;
    out->data = NULL;

    return cc_gen_output(a, &b, out);
}


static const cc_sse_error_map_t *
cc_sse_error_lookup(const cc_str_t *name)
{
    const cc_sse_error_map_t  *m;

    for (m = cc_sse_errors; m->name; m++) {
        if (cc_sse_caseeq(name, m->name)) {
            return m;
        }
    }

    return &cc_sse_error_default;
}


/*
 * "ValidationException:http://internal.amazon.com/coral/..." and
 * "aws.bedrock#ThrottlingException" name the same errors as the SDKs see
 * them: cut at the first ':', then keep what follows the first '#'.
 */
static void
cc_sse_error_name(const cc_str_t *raw, cc_str_t *name)
{
    u_char  *p, *last;

    name->data = raw->data;
    name->len = raw->len;

    if (raw->len == 0) {
        return;
    }

    p = memchr(raw->data, ':', raw->len);
    if (p != NULL) {
        name->len = p - raw->data;
    }

    last = name->data + name->len;

    p = memchr(name->data, '#', name->len);
    if (p != NULL) {
        name->data = p + 1;
        name->len = last - name->data;
    }
}


/* a name fit to quote back: these come from headers, not from JSON */
static int
cc_sse_name_ok(const cc_str_t *name)
{
    size_t  i;
    u_char  c;

    if (name == NULL || name->len == 0 || name->len > CC_SSE_NAME_MAX) {
        return 0;
    }

    for (i = 0; i < name->len; i++) {
        c = name->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '.'
              || c == '-'))
        {
            return 0;
        }
    }

    return 1;
}


static int
cc_sse_utf8_ok(const u_char *p, size_t len)
{
    size_t    i, n;
    uint32_t  cp, min;

    for (i = 0; i < len; /* void */) {

        if (p[i] < 0x80) {
            i++;
            continue;
        }

        if ((p[i] & 0xe0) == 0xc0) {
            n = 1;
            cp = p[i] & 0x1f;
            min = 0x80;

        } else if ((p[i] & 0xf0) == 0xe0) {
            n = 2;
            cp = p[i] & 0x0f;
            min = 0x800;

        } else if ((p[i] & 0xf8) == 0xf0) {
            n = 3;
            cp = p[i] & 0x07;
            min = 0x10000;

        } else {
            return 0;
        }

        if (len - i <= n) {
            return 0;
        }

        for (i++; n; n--, i++) {
            if ((p[i] & 0xc0) != 0x80) {
                return 0;
            }

            cp = cp << 6 | (p[i] & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
    }

    return 1;
}


/*
 * The client's message.  Credential failures say whose credentials were
 * refused and keep only Bedrock's first line: an InvalidSignature body
 * goes on with the canonical request, whose signed headers may include
 * the session token.
 */
static int
cc_sse_error_message(cc_alloc_t *a, const cc_sse_error_map_t *map,
    const cc_str_t *name, int status, const cc_str_t *bedrock, int stream,
    cc_str_t *out)
{
    int          n;
    char         text[160];
    size_t       len, plen;
    u_char      *p, *eol;
    const char  *prefix;

    len = bedrock->len;

    if (map->kind != CC_SSE_PLAIN && len) {
        eol = memchr(bedrock->data, '\n', len);
        if (eol != NULL) {
            len = eol - bedrock->data;
        }

        while (len && cc_is_space(bedrock->data[len - 1])) {
            len--;
        }
    }

    switch (map->kind) {

    case CC_SSE_ACCESS:
        prefix = "Amazon Bedrock refused the gateway's AWS credentials "
                 "(access denied: check the IAM policy and the model "
                 "access of the gateway's identity)";
        break;

    case CC_SSE_AUTH:
        prefix = "Amazon Bedrock refused the gateway's credentials";
        break;

    default:
        if (len) {
            return cc_str_dup(a, bedrock, out);
        }

        /* no message: say what happened as precisely as is safe */
        if (cc_sse_name_ok(name)) {
            n = snprintf(text, sizeof(text), "Amazon Bedrock %s %.*s",
                         stream ? "ended the stream with" : "returned",
                         (int) name->len, (char *) name->data);

        } else if (stream) {
            n = snprintf(text, sizeof(text),
                         "Amazon Bedrock ended the stream with an error");

        } else {
            n = snprintf(text, sizeof(text),
                         "Amazon Bedrock returned HTTP %d", status);
        }

        out->len = (n < 0) ? 0 : (size_t) n;
        out->data = cc_strdup(a, (u_char *) text, out->len);

        return out->data ? CC_OK : CC_ERROR;
    }

    plen = strlen(prefix);

    p = cc_alloc(a, plen + 2 + len + 1);
    if (p == NULL) {
        return CC_ERROR;
    }

    out->data = p;

    memcpy(p, prefix, plen);
    p += plen;

    if (len) {
        *p++ = ':';
        *p++ = ' ';
        memcpy(p, bedrock->data, len);
        p += len;
    }

    *p = '\0';
    out->len = p - out->data;

    return CC_OK;
}


/* {"message": ...} or the framework errors' {"Message": ...} */
static const cc_json_t *
cc_sse_message_member(const cc_json_t *obj)
{
    const cc_json_t  *m;

    m = cc_json_get(obj, "message");
    if (m == NULL || m->type != CC_JSON_STRING) {
        m = cc_json_get(obj, "Message");
    }

    if (m == NULL || m->type != CC_JSON_STRING) {
        return NULL;
    }

    return m;
}


int
cc_bedrock_error(cc_alloc_t *a, int bedrock_status,
    const cc_str_t *error_type_header, const u_char *body, size_t len,
    cc_http_error_t *out)
{
    char                       err[8];
    cc_str_t                   name, bedrock;
    cc_json_t                 *root, *v;
    const cc_json_t           *m;
    const cc_sse_error_map_t  *map;

    name.len = 0;
    name.data = NULL;
    bedrock = name;

    if (error_type_header != NULL) {
        cc_sse_error_name(error_type_header, &name);
    }

    /* a proxy's HTML page is simply not JSON: no name, no message */
    root = (len > 0) ? cc_json_parse(a, body, len, err, sizeof(err)) : NULL;

    if (root != NULL && root->type == CC_JSON_OBJECT) {
        if (name.len == 0) {
            v = cc_json_get(root, "code");
            if (v == NULL || v->type != CC_JSON_STRING || v->str.len == 0) {
                v = cc_json_get(root, "__type");
            }

            if (v != NULL && v->type == CC_JSON_STRING) {
                cc_sse_error_name(&v->str, &name);
            }
        }

        m = cc_sse_message_member(root);
        if (m != NULL) {
            bedrock = m->str;
        }
    }

    if (name.len) {
        map = cc_sse_error_lookup(&name);

    } else {
        for (map = cc_sse_error_status; map->status; map++) {
            if (map->status == bedrock_status) {
                break;
            }
        }

        if (map->status == 0) {
            map = &cc_sse_error_default;
        }
    }

    out->status = map->status;
    out->type = map->type;
    out->code = map->code;

    if (cc_sse_name_ok(&name)) {
        if (cc_str_dup(a, &name, &out->name) != CC_OK) {
            return CC_ERROR;
        }

    } else {
        out->name = cc_sse_empty;
    }

    return cc_sse_error_message(a, map, &name, bedrock_status, &bedrock, 0,
                                &out->message);
}


/* stream exceptions */

int
cc_stream_exception(cc_alloc_t *a, cc_alloc_t *dom,
    const cc_str_t *message_type, const cc_str_t *type,
    const u_char *payload, size_t len, cc_stream_fault_t *fault)
{
    char                       err[8];
    cc_str_t                   bedrock, msg;
    cc_json_t                 *root;
    const cc_json_t           *m;
    const cc_sse_error_map_t  *map;

    if (cc_str_eq(message_type, "exception")) {
        bedrock.len = 0;
        bedrock.data = NULL;

        root = cc_json_parse(dom, payload, len, err, sizeof(err));

        m = cc_sse_message_member(root);
        if (m != NULL) {
            bedrock = m->str;
        }

    } else if (cc_str_eq(message_type, "error")) {
        /* :error-message is a raw header: it may not be UTF-8 */
        bedrock.data = (u_char *) payload;
        bedrock.len = cc_sse_utf8_ok(payload, len) ? len : 0;

    } else {
        cc_stream_fault(fault, "server_error", NULL,
                     "Amazon Bedrock sent an unexpected message", type);

        snprintf(fault->detail, sizeof(fault->detail),
                 "unknown eventstream :message-type \"%.*s\"",
                 (int) (message_type == NULL ? 0
                        : message_type->len > 32 ? 32 : message_type->len),
                 message_type == NULL ? "" : (char *) message_type->data);

        return CC_ERROR;
    }

    map = cc_sse_error_lookup(type);

    if (cc_sse_error_message(a, map, type, 0, &bedrock, 1, &msg) != CC_OK
        || cc_str_dup(a, cc_sse_name_ok(type) ? type : &cc_sse_empty,
                      &fault->name)
           != CC_OK)
    {
        cc_stream_fault(fault, "server_error", NULL, "internal error", type);
        snprintf(fault->detail, sizeof(fault->detail), "out of memory");
        return CC_ERROR;
    }

    fault->type = map->type;
    fault->code = map->code;
    fault->message = msg;

    snprintf(fault->detail, sizeof(fault->detail),
             "Bedrock stream %.*s: %.*s",
             (int) (message_type->len > 16 ? 16 : message_type->len),
             (char *) message_type->data,
             cc_sse_name_ok(type) ? (int) type->len : 0,
             cc_sse_name_ok(type) ? (char *) type->data : "");

    return CC_ERROR;
}


void
cc_stream_fault(cc_stream_fault_t *fault, const char *type, const char *code,
    const char *message, const cc_str_t *name)
{
    fault->type = type;
    fault->code = code;
    fault->message.data = (u_char *) message;
    fault->message.len = strlen(message);
    fault->name = cc_sse_name_ok(name) ? *name : cc_sse_empty;
    fault->detail[0] = '\0';
}


static int
cc_sse_caseeq(const cc_str_t *s, const char *lit)
{
    size_t  i, n;
    u_char  c1, c2;

    n = strlen(lit);

    if (s == NULL || s->len != n) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        c1 = s->data[i];
        c2 = (u_char) lit[i];

        c1 = (c1 >= 'A' && c1 <= 'Z') ? c1 | 0x20 : c1;
        c2 = (c2 >= 'A' && c2 <= 'Z') ? c2 | 0x20 : c2;

        if (c1 != c2) {
            return 0;
        }
    }

    return 1;
}
