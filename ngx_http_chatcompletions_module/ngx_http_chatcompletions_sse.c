
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <stdio.h>
#include <string.h>

#include "ngx_http_chatcompletions_sse.h"


/*
 * Every yajl_gen_* call returns yajl_gen_status_ok, which is 0, on
 * success: sequences of calls are chained with || and fail as a whole.
 */


#define CC_SSE_BUF_MIN   1024
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


static void cc_sse_print(void *ctx, const char *str, size_t len);
static void cc_sse_add(cc_sse_buf_t *b, const char *p, size_t len);
static yajl_gen cc_sse_gen_create(cc_alloc_t *a, cc_sse_buf_t *b);
static int cc_sse_begin(cc_alloc_t *a, cc_stream_t *s);
static int cc_sse_output(cc_alloc_t *a, cc_sse_buf_t *b, cc_str_t *out);
static int cc_sse_eq(const cc_str_t *s, const char *lit);
static int cc_sse_caseeq(const cc_str_t *s, const char *lit);
static int cc_sse_space(u_char c);
static int cc_sse_dup(cc_alloc_t *a, const cc_str_t *src, cc_str_t *dst);
static int cc_sse_append(cc_alloc_t *a, cc_str_t *s, size_t *cap,
    const u_char *p, size_t len);
static int cc_sse_push(cc_alloc_t *a, cc_tool_use_t ***arr, size_t *n,
    size_t *cap, cc_tool_use_t *t);
static const cc_str_t *cc_sse_seam(cc_stream_t *s, const cc_str_t *text);
static cc_tool_use_t *cc_sse_tool_find(cc_stream_t *s, int64_t block);
static cc_tool_use_t *cc_sse_tool_add(cc_alloc_t *a, cc_stream_t *s,
    const cc_str_t *id, const cc_str_t *name, int64_t block);
static void cc_sse_usage_read(const cc_json_t *u, cc_usage_t *usage);
static void cc_sse_usage_add(cc_usage_t *sum, const cc_usage_t *u);
static const char *cc_sse_finish(cc_stream_t *s);

static int cc_sse_head(cc_stream_t *s);
static int cc_sse_choice_open(cc_stream_t *s);
static int cc_sse_choice_close(cc_stream_t *s, const char *finish);
static int cc_sse_gen_usage(yajl_gen g, const cc_usage_t *u);
static int cc_sse_role(cc_stream_t *s);
static int cc_sse_content(cc_stream_t *s, const cc_str_t *text);
static int cc_sse_tool_start(cc_stream_t *s, cc_tool_use_t *t);
static int cc_sse_tool_args(cc_stream_t *s, cc_tool_use_t *t,
    const u_char *p, size_t len);

static cc_json_t *cc_sse_parse(cc_stream_t *s, cc_alloc_t *a,
    const cc_str_t *type, const u_char *payload, size_t len,
    cc_stream_fault_t *fault);
static int cc_sse_on_delta(cc_alloc_t *a, cc_stream_t *s,
    const cc_json_t *ev);
static int cc_sse_on_text(cc_alloc_t *a, cc_stream_t *s,
    const cc_str_t *text);
static int cc_sse_on_block_start(cc_alloc_t *a, cc_stream_t *s,
    const cc_json_t *ev);
static int cc_sse_on_block_stop(cc_stream_t *s, const cc_json_t *ev);
static int cc_sse_on_message_stop(cc_alloc_t *a, cc_stream_t *s,
    const cc_json_t *ev);
static void cc_sse_on_metadata(cc_stream_t *s, const cc_json_t *ev);
static int cc_sse_on_exception(cc_alloc_t *a, cc_stream_t *s,
    const cc_str_t *message_type, const cc_str_t *type,
    const u_char *payload, size_t len, cc_stream_fault_t *fault);
static void cc_sse_fault(cc_stream_fault_t *fault, const char *type,
    const char *code, const char *message, const cc_str_t *name);

static const cc_sse_error_map_t *cc_sse_error_lookup(const cc_str_t *name);
static void cc_sse_error_name(const cc_str_t *raw, cc_str_t *name);
static int cc_sse_name_ok(const cc_str_t *name);
static int cc_sse_utf8_ok(const u_char *p, size_t len);
static int cc_sse_error_message(cc_alloc_t *a,
    const cc_sse_error_map_t *map, const cc_str_t *name, int status,
    const cc_str_t *bedrock, int stream, cc_str_t *out);
static const cc_json_t *cc_sse_message_member(const cc_json_t *obj);
static void cc_sse_invalid(cc_http_error_t *err, const char *message);


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


void
cc_stream_init(cc_stream_t *s)
{
    memset(s, 0, sizeof(cc_stream_t));
}


/* output buffers */

static void
cc_sse_print(void *ctx, const char *str, size_t len)
{
    cc_sse_add(ctx, str, len);
}


static void
cc_sse_add(cc_sse_buf_t *b, const char *p, size_t len)
{
    size_t   cap;
    u_char  *data;

    /* yajl prints empty strings with whatever pointer it was given */
    if (b->nomem || len == 0) {
        return;
    }

    if (b->cap - b->len < len) {
        cap = b->cap ? b->cap : CC_SSE_BUF_MIN;

        while (cap - b->len < len) {
            cap *= 2;
        }

        data = cc_alloc(b->alloc, cap);
        if (data == NULL) {
            b->nomem = 1;
            return;
        }

        if (b->len) {
            memcpy(data, b->data, b->len);
        }

        b->data = data;
        b->cap = cap;
    }

    memcpy(b->data + b->len, p, len);
    b->len += len;
}


static yajl_gen
cc_sse_gen_create(cc_alloc_t *a, cc_sse_buf_t *b)
{
    yajl_gen          g;
    yajl_alloc_funcs  funcs;

    cc_yajl_alloc_funcs(a, &funcs);

    g = yajl_gen_alloc(&funcs);
    if (g == NULL) {
        return NULL;
    }

    if (!yajl_gen_config(g, yajl_gen_print_callback, cc_sse_print, b)) {
        yajl_gen_free(g);
        return NULL;
    }

    return g;
}


/*
 * The stream's generator and buffer are made once and reused, so a long
 * answer does not grow the pool by a generator per token: only the
 * bytes handed out are allocated per event.
 */
static int
cc_sse_begin(cc_alloc_t *a, cc_stream_t *s)
{
    if (s->gen == NULL) {
        s->alloc = a;
        s->buf.alloc = a;

        s->gen = cc_sse_gen_create(a, &s->buf);
        if (s->gen == NULL) {
            return CC_ERROR;
        }
    }

    s->buf.len = 0;
    s->buf.nomem = 0;

    return CC_OK;
}


/* appends what the buffer holds to *out, in the arena */
static int
cc_sse_output(cc_alloc_t *a, cc_sse_buf_t *b, cc_str_t *out)
{
    u_char  *p;

    if (b->nomem) {
        return CC_ERROR;
    }

    if (b->len == 0) {
        return CC_OK;
    }

    p = cc_alloc(a, out->len + b->len);
    if (p == NULL) {
        return CC_ERROR;
    }

    if (out->len) {
        memcpy(p, out->data, out->len);
    }

    memcpy(p + out->len, b->data, b->len);

    out->data = p;
    out->len += b->len;

    return CC_OK;
}


/* small helpers */

static int
cc_sse_eq(const cc_str_t *s, const char *lit)
{
    size_t  n;

    n = strlen(lit);

    return s != NULL && s->len == n && memcmp(s->data, lit, n) == 0;
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


static int
cc_sse_space(u_char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}


static int
cc_sse_dup(cc_alloc_t *a, const cc_str_t *src, cc_str_t *dst)
{
    dst->data = cc_strdup(a, src->data, src->len);
    if (dst->data == NULL) {
        return CC_ERROR;
    }

    dst->len = src->len;

    return CC_OK;
}


/* grows by doubling: a token's worth of bytes is usually a plain copy */
static int
cc_sse_append(cc_alloc_t *a, cc_str_t *s, size_t *cap, const u_char *p,
    size_t len)
{
    size_t   n;
    u_char  *data;

    if (len == 0) {
        return CC_OK;
    }

    if (*cap - s->len < len) {
        n = *cap ? *cap * 2 : 256;

        while (n - s->len < len) {
            n *= 2;
        }

        data = cc_alloc(a, n);
        if (data == NULL) {
            return CC_ERROR;
        }

        if (s->len) {
            memcpy(data, s->data, s->len);
        }

        s->data = data;
        *cap = n;
    }

    memcpy(s->data + s->len, p, len);
    s->len += len;

    return CC_OK;
}


static int
cc_sse_push(cc_alloc_t *a, cc_tool_use_t ***arr, size_t *n, size_t *cap,
    cc_tool_use_t *t)
{
    size_t           ncap;
    cc_tool_use_t  **p;

    if (*n == *cap) {
        ncap = *cap ? *cap * 2 : 4;

        p = cc_alloc(a, ncap * sizeof(cc_tool_use_t *));
        if (p == NULL) {
            return CC_ERROR;
        }

        if (*n) {
            memcpy(p, *arr, *n * sizeof(cc_tool_use_t *));
        }

        *arr = p;
        *cap = ncap;
    }

    (*arr)[(*n)++] = t;

    return CC_OK;
}


/* the separator to put before a round's first text, if any */
static const cc_str_t *
cc_sse_seam(cc_stream_t *s, const cc_str_t *text)
{
    if (s->separator.len == 0
        || !s->text_shown
        || s->text_ws
        || s->round.text.len
        || cc_sse_space(text->data[0]))
    {
        return NULL;
    }

    return &s->separator;
}


static cc_tool_use_t *
cc_sse_tool_find(cc_stream_t *s, int64_t block)
{
    size_t  i;

    /* a handful of blocks per round: a scan beats any map */
    for (i = 0; i < s->round.ntools; i++) {
        if (s->round.tools[i]->block == block) {
            return s->round.tools[i];
        }
    }

    return NULL;
}


static cc_tool_use_t *
cc_sse_tool_add(cc_alloc_t *a, cc_stream_t *s, const cc_str_t *id,
    const cc_str_t *name, int64_t block)
{
    cc_round_t     *r;
    cc_tool_use_t  *t;

    r = &s->round;

    t = cc_calloc(a, sizeof(cc_tool_use_t));
    if (t == NULL) {
        return NULL;
    }

    if (cc_sse_dup(a, id, &t->id) != CC_OK
        || cc_sse_dup(a, name, &t->name) != CC_OK)
    {
        return NULL;
    }

    t->block = block;

    if (s->is_server_tool && s->is_server_tool(s->is_server_tool_data, name))
    {
        t->server = 1;
        t->index = -1;

        if (cc_sse_push(a, &r->server, &r->nserver, &s->server_cap, t)
            != CC_OK)
        {
            return NULL;
        }

    } else {
        t->index = s->next_index++;

        if (cc_sse_push(a, &r->client, &r->nclient, &s->client_cap, t)
            != CC_OK)
        {
            return NULL;
        }
    }

    if (cc_sse_push(a, &r->tools, &r->ntools, &s->tools_cap, t) != CC_OK) {
        return NULL;
    }

    return t;
}


static void
cc_sse_usage_read(const cc_json_t *u, cc_usage_t *usage)
{
    memset(usage, 0, sizeof(cc_usage_t));

    if (u == NULL || u->type != CC_JSON_OBJECT) {
        return;
    }

    (void) cc_json_int(cc_json_get(u, "inputTokens"), &usage->input);
    (void) cc_json_int(cc_json_get(u, "outputTokens"), &usage->output);
    (void) cc_json_int(cc_json_get(u, "cacheReadInputTokens"),
                       &usage->cache_read);
    (void) cc_json_int(cc_json_get(u, "cacheWriteInputTokens"),
                       &usage->cache_write);

    if (cc_json_int(cc_json_get(u, "totalTokens"), &usage->total) != CC_OK) {
        usage->total = usage->input + usage->output;
    }
}


static void
cc_sse_usage_add(cc_usage_t *sum, const cc_usage_t *u)
{
    sum->input += u->input;
    sum->output += u->output;
    sum->total += u->total;
    sum->cache_read += u->cache_read;
    sum->cache_write += u->cache_write;
}


const char *
cc_finish_reason(const cc_str_t *stop_reason)
{
    if (stop_reason == NULL || stop_reason->len == 0) {
        return "stop";
    }

    if (cc_sse_eq(stop_reason, "end_turn")
        || cc_sse_eq(stop_reason, "stop_sequence"))
    {
        return "stop";
    }

    if (cc_sse_eq(stop_reason, "tool_use")) {
        return "tool_calls";
    }

    if (cc_sse_eq(stop_reason, "max_tokens")
        || cc_sse_eq(stop_reason, "model_context_window_exceeded"))
    {
        return "length";
    }

    if (cc_sse_eq(stop_reason, "content_filtered")
        || cc_sse_eq(stop_reason, "guardrail_intervened"))
    {
        return "content_filter";
    }

    /* malformed_model_output, malformed_tool_use, anything newer */
    return "stop";
}


/*
 * "tool_calls" tells SDKs to run the calls: say it only if some were
 * shown; a round bound reached on a server tool is a plain stop.
 */
static const char *
cc_sse_finish(cc_stream_t *s)
{
    const char  *f;

    f = cc_finish_reason(&s->stop_reason);

    if (s->next_index == 0 && strcmp(f, "tool_calls") == 0) {
        f = "stop";
    }

    return f;
}


/* chunk generation */

/* "data: {"id":..,"object":"chat.completion.chunk","created":..,"model":.. */
static int
cc_sse_head(cc_stream_t *s)
{
    yajl_gen  g;

    g = s->gen;

    yajl_gen_reset(g, NULL);
    cc_sse_add(&s->buf, "data: ", sizeof("data: ") - 1);

    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "id") || cc_gen_str(g, &s->id)
        || cc_gen_lit(g, "object") || cc_gen_lit(g, "chat.completion.chunk")
        || cc_gen_lit(g, "created") || yajl_gen_integer(g, s->created)
        || cc_gen_lit(g, "model") || cc_gen_str(g, &s->model))
    {
        return CC_ERROR;
    }

    return CC_OK;
}


/* ,"choices":[{"index":0,"delta": */
static int
cc_sse_choice_open(cc_stream_t *s)
{
    yajl_gen  g;

    g = s->gen;

    if (cc_gen_lit(g, "choices") || yajl_gen_array_open(g)
        || yajl_gen_map_open(g)
        || cc_gen_lit(g, "index") || yajl_gen_integer(g, 0)
        || cc_gen_lit(g, "delta"))
    {
        return CC_ERROR;
    }

    return CC_OK;
}


/* ,"logprobs":null,"finish_reason":F}][,"usage":null]}\n\n */
static int
cc_sse_choice_close(cc_stream_t *s, const char *finish)
{
    yajl_gen  g;

    g = s->gen;

    if (cc_gen_lit(g, "logprobs") || yajl_gen_null(g)
        || cc_gen_lit(g, "finish_reason")
        || (finish ? yajl_gen_string(g, (const u_char *) finish,
                                     strlen(finish))
                   : yajl_gen_null(g))
        || yajl_gen_map_close(g) || yajl_gen_array_close(g))
    {
        return CC_ERROR;
    }

    /* the spec: with include_usage, the chunks before the last say null */
    if (s->include_usage
        && (cc_gen_lit(g, "usage") || yajl_gen_null(g)))
    {
        return CC_ERROR;
    }

    if (yajl_gen_map_close(g)) {
        return CC_ERROR;
    }

    cc_sse_add(&s->buf, "\n\n", 2);

    return CC_OK;
}


static int
cc_sse_gen_usage(yajl_gen g, const cc_usage_t *u)
{
    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "prompt_tokens") || yajl_gen_integer(g, u->input)
        || cc_gen_lit(g, "completion_tokens")
        || yajl_gen_integer(g, u->output)
        || cc_gen_lit(g, "total_tokens") || yajl_gen_integer(g, u->total)
        || cc_gen_lit(g, "prompt_tokens_details") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "cached_tokens")
        || yajl_gen_integer(g, u->cache_read)
        || yajl_gen_map_close(g)
        || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    return CC_OK;
}


static int
cc_sse_role(cc_stream_t *s)
{
    yajl_gen  g;

    g = s->gen;

    if (cc_sse_head(s) != CC_OK || cc_sse_choice_open(s) != CC_OK) {
        return CC_ERROR;
    }

    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "role") || cc_gen_lit(g, "assistant")
        || cc_gen_lit(g, "content") || cc_gen_lit(g, "")
        || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    s->role_sent = 1;

    return cc_sse_choice_close(s, NULL);
}


static int
cc_sse_content(cc_stream_t *s, const cc_str_t *text)
{
    yajl_gen  g;

    g = s->gen;

    if (cc_sse_head(s) != CC_OK || cc_sse_choice_open(s) != CC_OK) {
        return CC_ERROR;
    }

    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "content") || cc_gen_str(g, text)
        || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    return cc_sse_choice_close(s, NULL);
}


/* {"tool_calls":[{"index":k,"id":..,"type":"function",
 *                 "function":{"name":..,"arguments":""}}]} */
static int
cc_sse_tool_start(cc_stream_t *s, cc_tool_use_t *t)
{
    yajl_gen  g;

    g = s->gen;

    if (cc_sse_head(s) != CC_OK || cc_sse_choice_open(s) != CC_OK) {
        return CC_ERROR;
    }

    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "tool_calls") || yajl_gen_array_open(g)
        || yajl_gen_map_open(g)
        || cc_gen_lit(g, "index") || yajl_gen_integer(g, t->index)
        || cc_gen_lit(g, "id") || cc_gen_str(g, &t->id)
        || cc_gen_lit(g, "type") || cc_gen_lit(g, "function")
        || cc_gen_lit(g, "function") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "name") || cc_gen_str(g, &t->name)
        || cc_gen_lit(g, "arguments") || cc_gen_lit(g, "")
        || yajl_gen_map_close(g)
        || yajl_gen_map_close(g) || yajl_gen_array_close(g)
        || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    return cc_sse_choice_close(s, NULL);
}


/* {"tool_calls":[{"index":k,"function":{"arguments":..}}]} */
static int
cc_sse_tool_args(cc_stream_t *s, cc_tool_use_t *t, const u_char *p,
    size_t len)
{
    yajl_gen  g;

    g = s->gen;

    if (cc_sse_head(s) != CC_OK || cc_sse_choice_open(s) != CC_OK) {
        return CC_ERROR;
    }

    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "tool_calls") || yajl_gen_array_open(g)
        || yajl_gen_map_open(g)
        || cc_gen_lit(g, "index") || yajl_gen_integer(g, t->index)
        || cc_gen_lit(g, "function") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "arguments") || yajl_gen_string(g, p, len)
        || yajl_gen_map_close(g)
        || yajl_gen_map_close(g) || yajl_gen_array_close(g)
        || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    return cc_sse_choice_close(s, NULL);
}


/* events */

int
cc_stream_event(cc_alloc_t *a, cc_stream_t *s, const cc_str_t *message_type,
    const cc_str_t *type, const u_char *payload, size_t len, cc_str_t *out,
    cc_stream_fault_t *fault)
{
    int         rc;
    cc_json_t  *ev;

    if (type == NULL) {
        type = &cc_sse_empty;
    }

    if (cc_sse_begin(a, s) != CC_OK) {
        goto nomem;
    }

    if (!cc_sse_eq(message_type, "event")) {
        return cc_sse_on_exception(a, s, message_type, type, payload, len,
                                   fault);
    }

    /* in order of frequency: one delta per token */

    if (cc_sse_eq(type, "contentBlockDelta")) {
        ev = cc_sse_parse(s, a, type, payload, len, fault);
        if (ev == NULL) {
            return CC_ERROR;
        }

        rc = cc_sse_on_delta(a, s, ev);

    } else if (cc_sse_eq(type, "messageStart")) {
        /* the payload is {"role":"assistant"}: nothing to learn from it */
        rc = s->role_sent ? CC_OK : cc_sse_role(s);

    } else if (cc_sse_eq(type, "contentBlockStart")) {
        ev = cc_sse_parse(s, a, type, payload, len, fault);
        if (ev == NULL) {
            return CC_ERROR;
        }

        rc = cc_sse_on_block_start(a, s, ev);

    } else if (cc_sse_eq(type, "contentBlockStop")) {
        ev = cc_sse_parse(s, a, type, payload, len, fault);
        if (ev == NULL) {
            return CC_ERROR;
        }

        rc = cc_sse_on_block_stop(s, ev);

    } else if (cc_sse_eq(type, "messageStop")) {
        ev = cc_sse_parse(s, a, type, payload, len, fault);
        if (ev == NULL) {
            return CC_ERROR;
        }

        rc = cc_sse_on_message_stop(a, s, ev);

    } else if (cc_sse_eq(type, "metadata")) {
        ev = cc_sse_parse(s, a, type, payload, len, fault);
        if (ev == NULL) {
            return CC_ERROR;
        }

        cc_sse_on_metadata(s, ev);
        rc = CC_DONE;

    } else {
        /* new event types appear: ignore what is not understood */
        rc = CC_OK;
    }

    if (rc == CC_ERROR || cc_sse_output(a, &s->buf, out) != CC_OK) {
        goto nomem;
    }

    return rc;

nomem:

    cc_sse_fault(fault, "server_error", NULL, "internal error", type);
    snprintf(fault->detail, sizeof(fault->detail),
             "out of memory handling a Bedrock event");

    return CC_ERROR;
}


static cc_json_t *
cc_sse_parse(cc_stream_t *s, cc_alloc_t *a, const cc_str_t *type,
    const u_char *payload, size_t len, cc_stream_fault_t *fault)
{
    char        err[96];
    cc_json_t  *ev;

    err[0] = '\0';

    ev = cc_json_parse(s->scratch ? s->scratch : a, payload, len, err,
                       sizeof(err));

    if (ev != NULL && ev->type == CC_JSON_OBJECT) {
        return ev;
    }

    cc_sse_fault(fault, "server_error", NULL,
                 "Amazon Bedrock sent an invalid event", type);

    snprintf(fault->detail, sizeof(fault->detail),
             "invalid %.*s event payload: %s",
             (int) (type->len > 32 ? 32 : type->len), (char *) type->data,
             ev ? "not an object" : err);

    return NULL;
}


static int
cc_sse_on_delta(cc_alloc_t *a, cc_stream_t *s, const cc_json_t *ev)
{
    int64_t         block;
    cc_json_t      *delta, *v, *input;
    cc_tool_use_t  *t;

    delta = cc_json_get(ev, "delta");
    if (delta == NULL || delta->type != CC_JSON_OBJECT) {
        return CC_OK;
    }

    v = cc_json_get(delta, "text");
    if (v != NULL) {
        if (v->type != CC_JSON_STRING || v->str.len == 0) {
            return CC_OK;
        }

        return cc_sse_on_text(a, s, &v->str);
    }

    v = cc_json_get(delta, "toolUse");
    if (v == NULL) {
        /* reasoningContent is dropped: a voice agent would speak it */
        return CC_OK;
    }

    input = cc_json_get(v, "input");

    if (input == NULL || input->type != CC_JSON_STRING
        || cc_json_int(cc_json_get(ev, "contentBlockIndex"), &block)
           != CC_OK)
    {
        return CC_OK;
    }

    t = cc_sse_tool_find(s, block);
    if (t == NULL || t->stopped || input->str.len == 0) {
        return CC_OK;
    }

    if (cc_sse_append(a, &t->input, &t->cap, input->str.data,
                      input->str.len)
        != CC_OK)
    {
        return CC_ERROR;
    }

    t->nonempty = 1;

    if (t->server) {
        return CC_OK;
    }

    if (!s->role_sent && cc_sse_role(s) != CC_OK) {
        return CC_ERROR;
    }

    return cc_sse_tool_args(s, t, input->str.data, input->str.len);
}


static int
cc_sse_on_text(cc_alloc_t *a, cc_stream_t *s, const cc_str_t *text)
{
    int              rc;
    cc_str_t         joined;
    const cc_str_t  *sep;

    sep = cc_sse_seam(s, text);

    if (cc_sse_append(a, &s->round.text, &s->text_cap, text->data,
                      text->len)
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (!s->role_sent && cc_sse_role(s) != CC_OK) {
        return CC_ERROR;
    }

    if (sep == NULL) {
        rc = cc_sse_content(s, text);

    } else {
        /* once a round at most */
        joined.len = sep->len + text->len;
        joined.data = cc_alloc(s->scratch ? s->scratch : a, joined.len);
        if (joined.data == NULL) {
            return CC_ERROR;
        }

        memcpy(joined.data, sep->data, sep->len);
        memcpy(joined.data + sep->len, text->data, text->len);

        rc = cc_sse_content(s, &joined);
    }

    s->text_shown = 1;
    s->text_ws = cc_sse_space(text->data[text->len - 1]);

    return rc;
}


static int
cc_sse_on_block_start(cc_alloc_t *a, cc_stream_t *s, const cc_json_t *ev)
{
    int64_t         block;
    cc_json_t      *tu, *id, *name;
    cc_tool_use_t  *t;

    /* text blocks need no state; toolResult, image and others are not ours */
    tu = cc_json_get(cc_json_get(ev, "start"), "toolUse");
    if (tu == NULL) {
        return CC_OK;
    }

    id = cc_json_get(tu, "toolUseId");
    name = cc_json_get(tu, "name");

    if (id == NULL || id->type != CC_JSON_STRING
        || name == NULL || name->type != CC_JSON_STRING
        || cc_json_int(cc_json_get(ev, "contentBlockIndex"), &block)
           != CC_OK
        || cc_sse_tool_find(s, block) != NULL)
    {
        return CC_OK;
    }

    t = cc_sse_tool_add(a, s, &id->str, &name->str, block);
    if (t == NULL) {
        return CC_ERROR;
    }

    if (t->server) {
        return CC_OK;
    }

    if (!s->role_sent && cc_sse_role(s) != CC_OK) {
        return CC_ERROR;
    }

    return cc_sse_tool_start(s, t);
}


static int
cc_sse_on_block_stop(cc_stream_t *s, const cc_json_t *ev)
{
    int64_t         block;
    cc_tool_use_t  *t;

    if (cc_json_int(cc_json_get(ev, "contentBlockIndex"), &block) != CC_OK) {
        return CC_OK;
    }

    t = cc_sse_tool_find(s, block);
    if (t == NULL || t->stopped) {
        return CC_OK;
    }

    t->stopped = 1;

    if (t->nonempty) {
        return CC_OK;
    }

    /* no arguments: "{}", never "", which SDKs fail to JSON.parse */
    t->input.data = (u_char *) "{}";
    t->input.len = 2;

    if (t->server) {
        return CC_OK;
    }

    return cc_sse_tool_args(s, t, t->input.data, t->input.len);
}


static int
cc_sse_on_message_stop(cc_alloc_t *a, cc_stream_t *s, const cc_json_t *ev)
{
    cc_json_t  *v;

    v = cc_json_get(ev, "stopReason");
    if (v == NULL || v->type != CC_JSON_STRING) {
        return CC_OK;
    }

    if (cc_sse_dup(a, &v->str, &s->round.stop_reason) != CC_OK) {
        return CC_ERROR;
    }

    s->stop_reason = s->round.stop_reason;

    return CC_OK;
}


static void
cc_sse_on_metadata(cc_stream_t *s, const cc_json_t *ev)
{
    cc_usage_t  u;

    cc_sse_usage_read(cc_json_get(ev, "usage"), &u);

    cc_sse_usage_add(&s->round.usage, &u);
    cc_sse_usage_add(&s->usage, &u);

    s->round_done = 1;
}


static int
cc_sse_on_exception(cc_alloc_t *a, cc_stream_t *s,
    const cc_str_t *message_type, const cc_str_t *type,
    const u_char *payload, size_t len, cc_stream_fault_t *fault)
{
    char                       err[8];
    cc_str_t                   bedrock, msg;
    cc_json_t                 *root;
    const cc_json_t           *m;
    const cc_sse_error_map_t  *map;

    if (cc_sse_eq(message_type, "exception")) {
        bedrock.len = 0;
        bedrock.data = NULL;

        root = cc_json_parse(s->scratch ? s->scratch : a, payload, len, err,
                             sizeof(err));

        m = cc_sse_message_member(root);
        if (m != NULL) {
            bedrock = m->str;
        }

    } else if (cc_sse_eq(message_type, "error")) {
        /* :error-message is a raw header: it may not be UTF-8 */
        bedrock.data = (u_char *) payload;
        bedrock.len = cc_sse_utf8_ok(payload, len) ? len : 0;

    } else {
        cc_sse_fault(fault, "server_error", NULL,
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
        || cc_sse_dup(a, cc_sse_name_ok(type) ? type : &cc_sse_empty,
                      &fault->name)
           != CC_OK)
    {
        cc_sse_fault(fault, "server_error", NULL, "internal error", type);
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


/* fault with static strings: the out-of-memory safe form */
static void
cc_sse_fault(cc_stream_fault_t *fault, const char *type, const char *code,
    const char *message, const cc_str_t *name)
{
    fault->type = type;
    fault->code = code;
    fault->message.data = (u_char *) message;
    fault->message.len = strlen(message);
    fault->name = cc_sse_name_ok(name) ? *name : cc_sse_empty;
    fault->detail[0] = '\0';
}


/* rounds and the end of the stream */

int
cc_stream_round_tool_uses(cc_stream_t *s, cc_round_t *round)
{
    *round = s->round;

    return CC_OK;
}


void
cc_stream_next_round(cc_stream_t *s)
{
    /*
     * Buffers are dropped, not reused: the glue may still hold the old
     * round's text and tool uses in the history it sends next.
     */
    memset(&s->round, 0, sizeof(cc_round_t));

    s->text_cap = 0;
    s->tools_cap = 0;
    s->server_cap = 0;
    s->client_cap = 0;
    s->round_done = 0;
}


int
cc_stream_finish(cc_alloc_t *a, cc_stream_t *s, cc_str_t *out)
{
    size_t          i;
    yajl_gen        g;
    const char     *finish;
    cc_tool_use_t  *t;

    if (cc_sse_begin(a, s) != CC_OK) {
        return CC_ERROR;
    }

    g = s->gen;

    if (!s->role_sent && cc_sse_role(s) != CC_OK) {
        return CC_ERROR;
    }

    /* a block that never stopped must not leave "" arguments either */
    for (i = 0; i < s->round.nclient; i++) {
        t = s->round.client[i];

        if (!t->stopped && !t->nonempty) {
            t->input.data = (u_char *) "{}";
            t->input.len = 2;

            if (cc_sse_tool_args(s, t, t->input.data, t->input.len)
                != CC_OK)
            {
                return CC_ERROR;
            }
        }

        t->stopped = 1;
    }

    finish = cc_sse_finish(s);

    if (cc_sse_head(s) != CC_OK
        || cc_sse_choice_open(s) != CC_OK
        || yajl_gen_map_open(g) || yajl_gen_map_close(g)
        || cc_sse_choice_close(s, finish) != CC_OK)
    {
        return CC_ERROR;
    }

    if (s->include_usage) {
        if (cc_sse_head(s) != CC_OK
            || cc_gen_lit(g, "choices")
            || yajl_gen_array_open(g) || yajl_gen_array_close(g)
            || cc_gen_lit(g, "usage")
            || cc_sse_gen_usage(g, &s->usage) != CC_OK
            || yajl_gen_map_close(g))
        {
            return CC_ERROR;
        }

        cc_sse_add(&s->buf, "\n\n", 2);
    }

    cc_sse_add(&s->buf, "data: [DONE]\n\n", sizeof("data: [DONE]\n\n") - 1);

    out->len = 0;
    out->data = NULL;

    if (cc_sse_output(a, &s->buf, out) != CC_OK) {
        return CC_ERROR;
    }

    s->finish_reason = finish;
    s->finished = 1;

    return CC_OK;
}


int
cc_stream_error(cc_alloc_t *a, cc_stream_t *s, const char *type,
    const char *code, const cc_str_t *message, cc_str_t *out)
{
    int           rc;
    cc_str_t      body;
    cc_sse_buf_t  b;

    rc = cc_error_body(a, type, code, NULL, message, &body);
    if (rc != CC_OK) {
        return rc;
    }

    memset(&b, 0, sizeof(cc_sse_buf_t));
    b.alloc = a;

    cc_sse_add(&b, "data: ", sizeof("data: ") - 1);
    cc_sse_add(&b, (char *) body.data, body.len);
    cc_sse_add(&b, "\n\ndata: [DONE]\n\n",
               sizeof("\n\ndata: [DONE]\n\n") - 1);

    out->len = 0;
    out->data = NULL;

    if (cc_sse_output(a, &b, out) != CC_OK) {
        return CC_ERROR;
    }

    if (s != NULL) {
        s->finished = 1;
    }

    return CC_OK;
}


/* errors */

int
cc_error_body(cc_alloc_t *a, const char *type, const char *code,
    const cc_str_t *param, const cc_str_t *message, cc_str_t *out)
{
    yajl_gen      g;
    cc_sse_buf_t  b;

    memset(&b, 0, sizeof(cc_sse_buf_t));
    b.alloc = a;

    g = cc_sse_gen_create(a, &b);
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

    return cc_sse_output(a, &b, out);
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

        while (len && cc_sse_space(bedrock->data[len - 1])) {
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
            return cc_sse_dup(a, bedrock, out);
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
        if (cc_sse_dup(a, &name, &out->name) != CC_OK) {
            return CC_ERROR;
        }

    } else {
        out->name = cc_sse_empty;
    }

    return cc_sse_error_message(a, map, &name, bedrock_status, &bedrock, 0,
                                &out->message);
}


/* non-streaming */

static void
cc_sse_invalid(cc_http_error_t *err, const char *message)
{
    err->status = 502;
    err->type = "server_error";
    err->code = NULL;
    err->message.data = (u_char *) message;
    err->message.len = strlen(message);
    err->name = cc_sse_empty;
}


int
cc_converse_round(cc_alloc_t *a, cc_stream_t *s, const u_char *json,
    size_t len, cc_http_error_t *err)
{
    char              perr[8];
    size_t            i;
    cc_str_t          args;
    cc_json_t        *root, *msg, *content, *b, *v, *tu, *id, *name, *input;
    cc_usage_t        u;
    cc_round_t       *r;
    cc_tool_use_t    *t;
    const cc_str_t   *sep;

    r = &s->round;

    root = cc_json_parse(a, json, len, perr, sizeof(perr));

    msg = cc_json_get(cc_json_get(root, "output"), "message");
    if (msg == NULL || msg->type != CC_JSON_OBJECT) {
        /* 200 without output happens (guardrails, per envoy) */
        cc_sse_invalid(err, "upstream sent an invalid Converse response");
        return CC_ERROR;
    }

    content = cc_json_get(msg, "content");
    if (content != NULL && content->type != CC_JSON_ARRAY) {
        cc_sse_invalid(err, "upstream sent an invalid Converse response");
        return CC_ERROR;
    }

    r->message = msg;

    for (i = 0; content != NULL && i < content->n; i++) {
        b = content->values[i];

        v = cc_json_get(b, "text");
        if (v != NULL && v->type == CC_JSON_STRING) {
            if (v->str.len == 0) {
                continue;
            }

            sep = cc_sse_seam(s, &v->str);

            if ((sep != NULL
                 && cc_sse_append(a, &s->content, &s->content_cap,
                                  sep->data, sep->len) != CC_OK)
                || cc_sse_append(a, &s->content, &s->content_cap,
                                 v->str.data, v->str.len) != CC_OK
                || cc_sse_append(a, &r->text, &s->text_cap, v->str.data,
                                 v->str.len) != CC_OK)
            {
                goto nomem;
            }

            s->text_shown = 1;
            s->text_ws = cc_sse_space(v->str.data[v->str.len - 1]);

            continue;
        }

        tu = cc_json_get(b, "toolUse");
        if (tu == NULL) {
            /* reasoningContent and newer blocks are not shown */
            continue;
        }

        id = cc_json_get(tu, "toolUseId");
        name = cc_json_get(tu, "name");

        if (id == NULL || id->type != CC_JSON_STRING
            || name == NULL || name->type != CC_JSON_STRING)
        {
            continue;
        }

        input = cc_json_get(tu, "input");
        if (input == NULL || input->type != CC_JSON_OBJECT) {
            input = cc_calloc(a, sizeof(cc_json_t));
            if (input == NULL) {
                goto nomem;
            }

            input->type = CC_JSON_OBJECT;
        }

        if (cc_json_serialize(a, input, &args) != CC_OK) {
            goto nomem;
        }

        t = cc_sse_tool_add(a, s, &id->str, &name->str, (int64_t) i);
        if (t == NULL) {
            goto nomem;
        }

        t->input = args;
        t->input_json = input;
        t->nonempty = 1;
        t->stopped = 1;

        if (!t->server
            && cc_sse_push(a, &s->calls, &s->ncalls, &s->calls_cap, t)
               != CC_OK)
        {
            goto nomem;
        }
    }

    v = cc_json_get(root, "stopReason");
    if (v != NULL && v->type == CC_JSON_STRING) {
        r->stop_reason = v->str;
        s->stop_reason = v->str;
    }

    cc_sse_usage_read(cc_json_get(root, "usage"), &u);

    cc_sse_usage_add(&r->usage, &u);
    cc_sse_usage_add(&s->usage, &u);

    s->round_done = 1;

    return CC_OK;

nomem:

    err->status = 500;
    err->type = "server_error";
    err->code = NULL;
    err->message.data = (u_char *) "internal error";
    err->message.len = sizeof("internal error") - 1;
    err->name = cc_sse_empty;

    return CC_ERROR;
}


int
cc_completion_build(cc_alloc_t *a, cc_stream_t *s, cc_str_t *out)
{
    size_t          i;
    yajl_gen        g;
    const char     *finish;
    cc_sse_buf_t    b;
    cc_tool_use_t  *t;

    memset(&b, 0, sizeof(cc_sse_buf_t));
    b.alloc = a;

    g = cc_sse_gen_create(a, &b);
    if (g == NULL) {
        return CC_ERROR;
    }

    finish = cc_sse_finish(s);

    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "id") || cc_gen_str(g, &s->id)
        || cc_gen_lit(g, "object") || cc_gen_lit(g, "chat.completion")
        || cc_gen_lit(g, "created") || yajl_gen_integer(g, s->created)
        || cc_gen_lit(g, "model") || cc_gen_str(g, &s->model)
        || cc_gen_lit(g, "choices") || yajl_gen_array_open(g)
        || yajl_gen_map_open(g)
        || cc_gen_lit(g, "index") || yajl_gen_integer(g, 0)
        || cc_gen_lit(g, "message") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "role") || cc_gen_lit(g, "assistant")
        || cc_gen_lit(g, "content")
        /* null only beside tool calls: "" when the model said nothing */
        || ((s->content.len == 0 && s->ncalls)
            ? yajl_gen_null(g) : cc_gen_str(g, &s->content))
        || cc_gen_lit(g, "refusal") || yajl_gen_null(g))
    {
        goto failed;
    }

    if (s->ncalls) {
        if (cc_gen_lit(g, "tool_calls") || yajl_gen_array_open(g)) {
            goto failed;
        }

        for (i = 0; i < s->ncalls; i++) {
            t = s->calls[i];

            if (yajl_gen_map_open(g)
                || cc_gen_lit(g, "id") || cc_gen_str(g, &t->id)
                || cc_gen_lit(g, "type") || cc_gen_lit(g, "function")
                || cc_gen_lit(g, "function") || yajl_gen_map_open(g)
                || cc_gen_lit(g, "name") || cc_gen_str(g, &t->name)
                || cc_gen_lit(g, "arguments") || cc_gen_str(g, &t->input)
                || yajl_gen_map_close(g) || yajl_gen_map_close(g))
            {
                goto failed;
            }
        }

        if (yajl_gen_array_close(g)) {
            goto failed;
        }
    }

    if (yajl_gen_map_close(g)
        || cc_gen_lit(g, "logprobs") || yajl_gen_null(g)
        || cc_gen_lit(g, "finish_reason")
        || yajl_gen_string(g, (const u_char *) finish, strlen(finish))
        || yajl_gen_map_close(g) || yajl_gen_array_close(g)
        || cc_gen_lit(g, "usage") || cc_sse_gen_usage(g, &s->usage) != CC_OK
        || yajl_gen_map_close(g))
    {
        goto failed;
    }

    yajl_gen_free(g);

    out->len = 0;
    out->data = NULL;

    if (cc_sse_output(a, &b, out) != CC_OK) {
        return CC_ERROR;
    }

    s->finish_reason = finish;
    s->finished = 1;

    return CC_OK;

failed:

    yajl_gen_free(g);

    return CC_ERROR;
}


int
cc_completion(cc_alloc_t *a, const cc_stream_t *meta,
    const u_char *converse_json, size_t len, cc_str_t *out,
    cc_http_error_t *err)
{
    cc_stream_t  s;

    cc_stream_init(&s);

    s.id = meta->id;
    s.created = meta->created;
    s.model = meta->model;
    s.separator = meta->separator;
    s.is_server_tool = meta->is_server_tool;
    s.is_server_tool_data = meta->is_server_tool_data;

    if (cc_converse_round(a, &s, converse_json, len, err) != CC_OK) {
        return CC_ERROR;
    }

    if (cc_completion_build(a, &s, out) != CC_OK) {
        err->status = 500;
        err->type = "server_error";
        err->code = NULL;
        err->message.data = (u_char *) "internal error";
        err->message.len = sizeof("internal error") - 1;
        err->name = cc_sse_empty;
        return CC_ERROR;
    }

    return CC_OK;
}


cc_json_t *
cc_tool_input(cc_alloc_t *a, cc_tool_use_t *t, char *err, size_t errlen)
{
    cc_json_t  *v;

    if (errlen) {
        err[0] = '\0';
    }

    if (t->input_json != NULL) {
        return t->input_json;
    }

    v = NULL;

    if (t->input.len) {
        v = cc_json_parse(a, t->input.data, t->input.len, err, errlen);

        if (v != NULL && v->type != CC_JSON_OBJECT) {
            snprintf(err, errlen, "not a JSON object");
            v = NULL;
        }
    }

    /* Bedrock takes an object only: a model's broken input becomes {} */
    if (v == NULL) {
        v = cc_calloc(a, sizeof(cc_json_t));
        if (v == NULL) {
            return NULL;
        }

        v->type = CC_JSON_OBJECT;
    }

    t->input_json = v;

    return v;
}
