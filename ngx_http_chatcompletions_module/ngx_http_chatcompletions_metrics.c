
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"
#include "ngx_http_chatcompletions_chain.h"


/*
 * Prometheus metrics: counters in a shared memory zone
 * (chat_completions_metrics_zone) that every worker adds to with atomic
 * operations, no lock; served in the text exposition format by
 * chat_completions_metrics.
 *
 * Every label value comes from the configuration, never from a request:
 * the locations that answer, the models they may call (the model, the
 * aliases, the targets' models; any other is "other"), the targets'
 * hosts, the tools, and fixed lists (statuses, error codes, Bedrock's
 * error names, credential sources).  The layout (which series is where)
 * is computed once the configuration is read.
 */


#define NGX_HTTP_CHATCOMPLETIONS_BUCKETS  12

/* seconds, as the text format writes them; milliseconds inside */
static ngx_msec_t  ngx_http_chatcompletions_buckets[] = {
    25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 20000, 30000, 60000
};

static char  *ngx_http_chatcompletions_bucket_text[] = {
    "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "20",
    "30", "60"
};

/* a histogram: its buckets (not cumulative), then count and sum (ms) */
#define NGX_HTTP_CHATCOMPLETIONS_HIST  (NGX_HTTP_CHATCOMPLETIONS_BUCKETS + 2)


static ngx_uint_t  ngx_http_chatcompletions_statuses[] = {
    200, 400, 401, 403, 404, 405, 413, 429, 499, 500, 502, 503, 504, 0
};

#define NGX_HTTP_CHATCOMPLETIONS_NSTATUS                                     \
    (sizeof(ngx_http_chatcompletions_statuses) / sizeof(ngx_uint_t))

static char  *ngx_http_chatcompletions_codes[] = {
    "invalid_json", "invalid_type", "missing_required_parameter",
    "empty_array", "invalid_value", "unsupported_value", "model_not_found",
    "method_not_allowed", "request_too_large", "rate_limit_exceeded",
    "upstream_auth_failed", "upstream_access_denied", "timeout",
    "upstream_unreachable", "upstream_truncated", "upstream_corrupt",
    "upstream_invalid", "no_credentials", "tool_rounds_exceeded",
    "invalid_api_key", "client_closed", "other", NULL
};

/* Bedrock's error and exception names; any other is "other" */
static char  *ngx_http_chatcompletions_bedrock_errors[] = {
    "ThrottlingException", "ValidationException",
    "ResourceNotFoundException", "AccessDeniedException",
    "ModelTimeoutException", "ModelNotReadyException",
    "ServiceUnavailableException", "ServiceQuotaExceededException",
    "InternalServerException", "ModelErrorException",
    "ModelStreamErrorException", "ExpiredTokenException",
    "UnrecognizedClientException", "InvalidSignatureException",
    "other", NULL
};

static char  *ngx_http_chatcompletions_tool_outcomes[] = {
    "ok", "error", "timeout", NULL
};

static char  *ngx_http_chatcompletions_token_types[] = {
    "input", "output", "cache_read", "cache_write", NULL
};


/* where each family starts in the zone's array */
typedef struct ngx_http_chatcompletions_layout_s {
    ngx_uint_t                        requests;
    ngx_uint_t                        errors;
    ngx_uint_t                        bedrock_errors;
    ngx_uint_t                        tokens;
    ngx_uint_t                        ttft;
    ngx_uint_t                        duration;
    ngx_uint_t                        gap;
    ngx_uint_t                        streams;
    ngx_uint_t                        attempts;
    ngx_uint_t                        retries;
    ngx_uint_t                        fallbacks;
    ngx_uint_t                        hedges;
    ngx_uint_t                        tools;
    ngx_uint_t                        tool_time;
    ngx_uint_t                        refreshes;
    ngx_uint_t                        keys;
    ngx_uint_t                        total;
} ngx_http_chatcompletions_layout_t;


static ngx_int_t ngx_http_chatcompletions_metrics_zone_init(
    ngx_shm_zone_t *shm_zone, void *data);
static ngx_int_t ngx_http_chatcompletions_metrics_log(ngx_http_request_t *r);
static ngx_int_t ngx_http_chatcompletions_metrics_handler(
    ngx_http_request_t *r);
static ngx_atomic_t *ngx_http_chatcompletions_counters(
    ngx_http_request_t *r, ngx_http_chatcompletions_layout_t **layout);
static void ngx_http_chatcompletions_observe(ngx_atomic_t *h, ngx_msec_t ms);
static ngx_uint_t ngx_http_chatcompletions_find(ngx_array_t *a,
    ngx_str_t *s);
static ngx_int_t ngx_http_chatcompletions_metrics_text(ngx_http_request_t *r,
    ngx_chain_t **out);


/* a label value of the configuration, once: its index */

ngx_int_t
ngx_http_chatcompletions_metrics_label(ngx_conf_t *cf, ngx_array_t **a,
    ngx_str_t *value)
{
    ngx_uint_t   i;
    ngx_str_t   *s;

    if (*a == NULL) {
        *a = ngx_array_create(cf->pool, 4, sizeof(ngx_str_t));
        if (*a == NULL) {
            return NGX_ERROR;
        }
    }

    s = (*a)->elts;

    for (i = 0; i < (*a)->nelts; i++) {
        if (s[i].len == value->len
            && ngx_strncmp(s[i].data, value->data, value->len) == 0)
        {
            return i;
        }
    }

    s = ngx_array_push(*a);
    if (s == NULL) {
        return NGX_ERROR;
    }

    *s = *value;

    return (*a)->nelts - 1;
}


/* chat_completions_metrics_zone size; */

char *
ngx_http_chatcompletions_metrics_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_chatcompletions_main_conf_t *ccmcf = conf;

    ssize_t     size;
    ngx_str_t  *value, name;

    if (ccmcf->metrics_zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_size(&value[1]);

    if (size == NGX_ERROR || size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\": at least %uzk",
                           &value[1], 8 * ngx_pagesize / 1024);
        return NGX_CONF_ERROR;
    }

    ngx_str_set(&name, "chat_completions_metrics");

    ccmcf->metrics_zone = ngx_shared_memory_add(cf, &name, size,
                                              &ngx_http_chatcompletions_module);
    if (ccmcf->metrics_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    ccmcf->metrics_zone->init = ngx_http_chatcompletions_metrics_zone_init;
    ccmcf->metrics_zone->data = ccmcf;

    return NGX_CONF_OK;
}


/* chat_completions_metrics; in a location */

char *
ngx_http_chatcompletions_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_chatcompletions_metrics_handler;

    return NGX_CONF_OK;
}


/* after the configuration: the layout, and the log phase handler */

ngx_int_t
ngx_http_chatcompletions_metrics_init(ngx_conf_t *cf)
{
    size_t                                 size;
    ngx_uint_t                             nloc, nmodel, ntarget, ntool, n;
    ngx_http_handler_pt                   *h;
    ngx_http_core_main_conf_t             *cmcf;
    ngx_http_chatcompletions_layout_t     *l;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = ngx_http_conf_get_module_main_conf(cf,
                                            ngx_http_chatcompletions_module);

    if (ccmcf->metrics_zone == NULL) {
        return NGX_OK;
    }

    nloc = ccmcf->m_locations ? ccmcf->m_locations->nelts : 0;
    nmodel = (ccmcf->m_models ? ccmcf->m_models->nelts : 0) + 1;
    ntarget = ccmcf->m_targets ? ccmcf->m_targets->nelts : 0;
    ntool = ccmcf->m_tools ? ccmcf->m_tools->nelts : 0;

    l = ngx_pcalloc(cf->pool, sizeof(ngx_http_chatcompletions_layout_t));
    if (l == NULL) {
        return NGX_ERROR;
    }

    n = 0;

    l->requests = n;
    n += nloc * nmodel * 2 * NGX_HTTP_CHATCOMPLETIONS_NSTATUS;
    l->errors = n;
    n += sizeof(ngx_http_chatcompletions_codes) / sizeof(char *) - 1;
    l->bedrock_errors = n;
    n += sizeof(ngx_http_chatcompletions_bedrock_errors) / sizeof(char *) - 1;
    l->tokens = n;
    n += nmodel * 4;
    l->ttft = n;
    n += nloc * NGX_HTTP_CHATCOMPLETIONS_HIST;
    l->duration = n;
    n += nloc * NGX_HTTP_CHATCOMPLETIONS_HIST;
    l->gap = n;
    n += NGX_HTTP_CHATCOMPLETIONS_HIST;
    l->streams = n;
    n += 1;
    l->attempts = n;
    n += ntarget;
    l->retries = n;
    n += ntarget;
    l->fallbacks = n;
    n += ntarget;
    l->hedges = n;
    n += 2;
    l->tools = n;
    n += ntool * 3;
    l->tool_time = n;
    n += ntool * NGX_HTTP_CHATCOMPLETIONS_HIST;
    l->refreshes = n;
    n += 16 * 2;
    l->keys = n;
    n += (ccmcf->m_keys ? ccmcf->m_keys->nelts : 0) * 3;
    l->total = n;

    ccmcf->m_layout = l;

    size = n * sizeof(ngx_atomic_t) + 2 * ngx_pagesize;

    if (size > ccmcf->metrics_zone->shm.size) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "chat_completions_metrics_zone is too small: %uz "
                      "bytes needed", size);
        return NGX_ERROR;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_chatcompletions_metrics_log;

    return NGX_OK;
}


/* a reload keeps the counts while the layout is the same */

static ngx_int_t
ngx_http_chatcompletions_metrics_zone_init(ngx_shm_zone_t *shm_zone,
    void *data)
{
    size_t                                 size;
    ngx_slab_pool_t                       *shpool;
    ngx_atomic_t                          *counters;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (ccmcf->m_layout == NULL) {
        return NGX_OK;
    }

    size = (ccmcf->m_layout->total + 1) * sizeof(ngx_atomic_t);

    if (data && shpool->data
        && *(ngx_atomic_t *) shpool->data == ccmcf->m_layout->total)
    {
        shm_zone->data = (void *) ((ngx_atomic_t *) shpool->data + 1);
        return NGX_OK;
    }

    if (shpool->data) {
        ngx_slab_free(shpool, shpool->data);
    }

    counters = ngx_slab_calloc(shpool, size);
    if (counters == NULL) {
        return NGX_ERROR;
    }

    /* the first word: how many follow, to tell a layout changed */
    counters[0] = ccmcf->m_layout->total;

    shpool->data = (void *) counters;
    shm_zone->data = (void *) (counters + 1);

    return NGX_OK;
}


static ngx_atomic_t *
ngx_http_chatcompletions_counters(ngx_http_request_t *r,
    ngx_http_chatcompletions_layout_t **layout)
{
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = ngx_http_get_module_main_conf(r, ngx_http_chatcompletions_module);

    if (ccmcf == NULL || ccmcf->metrics_zone == NULL
        || ccmcf->m_layout == NULL)
    {
        return NULL;
    }

    *layout = ccmcf->m_layout;

    return ccmcf->metrics_zone->data;
}


static void
ngx_http_chatcompletions_observe(ngx_atomic_t *h, ngx_msec_t ms)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_CHATCOMPLETIONS_BUCKETS; i++) {
        if (ms <= ngx_http_chatcompletions_buckets[i]) {
            break;
        }
    }

    if (i < NGX_HTTP_CHATCOMPLETIONS_BUCKETS) {
        (void) ngx_atomic_fetch_add(&h[i], 1);
    }

    (void) ngx_atomic_fetch_add(&h[NGX_HTTP_CHATCOMPLETIONS_BUCKETS], 1);
    (void) ngx_atomic_fetch_add(&h[NGX_HTTP_CHATCOMPLETIONS_BUCKETS + 1], ms);
}


static ngx_uint_t
ngx_http_chatcompletions_find(ngx_array_t *a, ngx_str_t *s)
{
    ngx_uint_t   i;
    ngx_str_t   *v;

    if (a == NULL) {
        return 0;
    }

    v = a->elts;

    for (i = 0; i < a->nelts; i++) {
        if (v[i].len == s->len
            && ngx_strncmp(v[i].data, s->data, s->len) == 0)
        {
            return i;
        }
    }

    return a->nelts;
}


/* the request is over: what it was, once */

static ngx_int_t
ngx_http_chatcompletions_metrics_log(ngx_http_request_t *r)
{
    ngx_uint_t                             loc, model, nmodel, st, code, i;
    ngx_str_t                              err;
    ngx_atomic_t                          *c;
    ngx_http_chatcompletions_ctx_t        *ctx;
    ngx_http_chatcompletions_layout_t     *l;
    ngx_http_chatcompletions_loc_conf_t   *cclcf;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    if (r != r->main) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_chatcompletions_module);
    if (ctx == NULL) {
        return NGX_OK;
    }

    c = ngx_http_chatcompletions_counters(r, &l);
    if (c == NULL) {
        return NGX_OK;
    }

    ccmcf = ngx_http_get_module_main_conf(r, ngx_http_chatcompletions_module);
    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    if (cclcf->metrics_location < 0) {
        return NGX_OK;
    }

    loc = cclcf->metrics_location;

    nmodel = (ccmcf->m_models ? ccmcf->m_models->nelts : 0) + 1;
    model = ngx_http_chatcompletions_find(ccmcf->m_models,
                                          ctx->target_model.len
                                          ? &ctx->target_model
                                          : &ctx->model_id);

    for (st = 0; st < NGX_HTTP_CHATCOMPLETIONS_NSTATUS - 1; st++) {
        if (ngx_http_chatcompletions_statuses[st] == r->headers_out.status) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&c[l->requests
                              + ((loc * nmodel + model) * 2 + ctx->streaming)
                                * NGX_HTTP_CHATCOMPLETIONS_NSTATUS + st], 1);

    /* the error the answer ended with, in OpenAI's words */

    err = ctx->fault.code;

    if (err.len == 0 && r->headers_out.status >= NGX_HTTP_BAD_REQUEST) {
        err = ctx->error_code;
    }

    if (err.len == 0 && r->connection->error && !ctx->finished) {
        ngx_str_set(&err, "client_closed");
    }

    if (err.len) {
        for (code = 0; ngx_http_chatcompletions_codes[code + 1]; code++) {
            if (ngx_strlen(ngx_http_chatcompletions_codes[code]) == err.len
                && ngx_strncmp(ngx_http_chatcompletions_codes[code],
                               err.data, err.len) == 0)
            {
                break;
            }
        }

        (void) ngx_atomic_fetch_add(&c[l->errors + code], 1);
    }

    /* the error Bedrock named, the first letter in either case */

    if (ctx->bedrock_error.len) {
        for (code = 0; ngx_http_chatcompletions_bedrock_errors[code + 1];
             code++)
        {
            if (ngx_strlen(ngx_http_chatcompletions_bedrock_errors[code])
                == ctx->bedrock_error.len
                && ngx_tolower(ngx_http_chatcompletions_bedrock_errors[code][0])
                   == ngx_tolower(ctx->bedrock_error.data[0])
                && ngx_strncmp(ngx_http_chatcompletions_bedrock_errors[code]
                               + 1, ctx->bedrock_error.data + 1,
                               ctx->bedrock_error.len - 1)
                   == 0)
            {
                break;
            }
        }

        (void) ngx_atomic_fetch_add(&c[l->bedrock_errors + code], 1);
    }

    /* by client key: requests, and their tokens */

    if (ngx_http_chatcompletions_key_label(ctx) >= 0) {
        i = l->keys + ngx_http_chatcompletions_key_label(ctx) * 3;

        (void) ngx_atomic_fetch_add(&c[i], 1);
        (void) ngx_atomic_fetch_add(&c[i + 1], ctx->stream.usage.input);
        (void) ngx_atomic_fetch_add(&c[i + 2], ctx->stream.usage.output);
    }

    /* tokens, as Bedrock reported them */

    i = l->tokens + model * 4;

    (void) ngx_atomic_fetch_add(&c[i], ctx->stream.usage.input);
    (void) ngx_atomic_fetch_add(&c[i + 1], ctx->stream.usage.output);
    (void) ngx_atomic_fetch_add(&c[i + 2], ctx->stream.usage.cache_read);
    (void) ngx_atomic_fetch_add(&c[i + 3], ctx->stream.usage.cache_write);

    i = loc * NGX_HTTP_CHATCOMPLETIONS_HIST;

    if (ctx->first_token) {
        ngx_http_chatcompletions_observe(&c[l->ttft + i], ctx->ttft);
    }

    ngx_http_chatcompletions_observe(&c[l->duration + i],
                                     ngx_current_msec - ctx->start);

    if (ctx->stream_counted) {
        ctx->stream_counted = 0;
        (void) ngx_atomic_fetch_add(&c[l->streams], (ngx_atomic_int_t) -1);
    }

    return NGX_OK;
}


/* the events of a request's life, counted as they happen */

void
ngx_http_chatcompletions_metric(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_metric_e what,
    ngx_http_chatcompletions_target_t *target)
{
    ngx_uint_t                          t;
    ngx_atomic_t                       *c;
    ngx_http_chatcompletions_layout_t  *l;

    c = ngx_http_chatcompletions_counters(ctx->request, &l);
    if (c == NULL) {
        return;
    }

    /* the target's index, from the configuration */
    t = target ? target->label - 1 : 0;

    if (target && target->label == 0) {
        return;
    }

    switch (what) {

    case NGX_HTTP_CHATCOMPLETIONS_M_ATTEMPT:
        (void) ngx_atomic_fetch_add(&c[l->attempts + t], 1);
        break;

    case NGX_HTTP_CHATCOMPLETIONS_M_RETRY:
        (void) ngx_atomic_fetch_add(&c[l->retries + t], 1);
        break;

    case NGX_HTTP_CHATCOMPLETIONS_M_FALLBACK:
        (void) ngx_atomic_fetch_add(&c[l->fallbacks + t], 1);
        break;

    case NGX_HTTP_CHATCOMPLETIONS_M_HEDGE:
        (void) ngx_atomic_fetch_add(&c[l->hedges], 1);
        break;

    case NGX_HTTP_CHATCOMPLETIONS_M_HEDGE_WON:
        (void) ngx_atomic_fetch_add(&c[l->hedges + 1], 1);
        break;

    case NGX_HTTP_CHATCOMPLETIONS_M_STREAM:
        if (!ctx->stream_counted) {
            ctx->stream_counted = 1;
            (void) ngx_atomic_fetch_add(&c[l->streams], 1);
        }
        break;

    case NGX_HTTP_CHATCOMPLETIONS_M_DELTA:
        if (ctx->last_delta) {
            ngx_http_chatcompletions_observe(&c[l->gap],
                                         ngx_current_msec - ctx->last_delta);
        }

        ctx->last_delta = ngx_current_msec;
        break;
    }
}


/* a server-side tool call settled: ok, error or timeout, and how long */

void
ngx_http_chatcompletions_metric_tool(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_tool_conf_t *tool, ngx_uint_t outcome,
    ngx_msec_t ms)
{
    ngx_uint_t                          t;
    ngx_atomic_t                       *c;
    ngx_http_chatcompletions_layout_t  *l;

    c = ngx_http_chatcompletions_counters(ctx->request, &l);
    if (c == NULL || tool->label == 0) {
        return;
    }

    t = tool->label - 1;

    (void) ngx_atomic_fetch_add(&c[l->tools + t * 3 + outcome], 1);

    ngx_http_chatcompletions_observe(&c[l->tool_time
                                        + t * NGX_HTTP_CHATCOMPLETIONS_HIST],
                                     ms);
}


/* a credential refresh ended */

void
ngx_http_chatcompletions_metric_refresh(ngx_http_request_t *r,
    ngx_uint_t source, ngx_uint_t ok)
{
    ngx_atomic_t                       *c;
    ngx_http_chatcompletions_layout_t  *l;

    c = ngx_http_chatcompletions_counters(r, &l);
    if (c == NULL || source >= 16) {
        return;
    }

    (void) ngx_atomic_fetch_add(&c[l->refreshes + source * 2 + (ok ? 0 : 1)],
                                1);
}


/* GET: the text exposition format */

static ngx_int_t
ngx_http_chatcompletions_metrics_handler(ngx_http_request_t *r)
{
    ngx_int_t     rc;
    ngx_chain_t  *out;

    if (!(r->method & (NGX_HTTP_GET | NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    out = NULL;

    rc = ngx_http_chatcompletions_metrics_text(r, &out);
    if (rc != NGX_OK) {
        return rc;
    }

    r->headers_out.status = NGX_HTTP_OK;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_length_n = out ? ngx_buf_size(out->buf) : 0;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only || out == NULL) {
        return rc;
    }

    return ngx_http_output_filter(r, out);
}


/* the text of a scrape */

typedef struct {
    ngx_http_request_t               *r;
    cc_alloc_t                        alloc;
    cc_buf_t                          buf;
    ngx_int_t                         error;
} ngx_http_chatcompletions_text_t;


static void ngx_http_chatcompletions_put(ngx_http_chatcompletions_text_t *t,
    const char *fmt, ...);
static void ngx_http_chatcompletions_label(ngx_http_chatcompletions_text_t *t,
    ngx_str_t *v);
static void ngx_http_chatcompletions_family(
    ngx_http_chatcompletions_text_t *t, char *name, char *type, char *help);
static void ngx_http_chatcompletions_hist(ngx_http_chatcompletions_text_t *t,
    char *name, char *label, ngx_str_t *value, ngx_atomic_t *h);
static void ngx_http_chatcompletions_series(
    ngx_http_chatcompletions_text_t *t, char *name, char *label,
    ngx_str_t *value, ngx_atomic_uint_t v);
static void ngx_http_chatcompletions_by_label(
    ngx_http_chatcompletions_text_t *t, char *name, char *help, char *label,
    ngx_str_t *values, ngx_uint_t n, ngx_atomic_t *c);


static void
ngx_http_chatcompletions_put(ngx_http_chatcompletions_text_t *t,
    const char *fmt, ...)
{
    u_char   buf[512], *p;
    va_list  args;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    if (cc_buf_append(&t->alloc, &t->buf, buf, p - buf) != CC_OK) {
        t->error = 1;
    }
}


/* a label value, escaped as the text format wants */

static void
ngx_http_chatcompletions_label(ngx_http_chatcompletions_text_t *t,
    ngx_str_t *v)
{
    u_char      c;
    ngx_uint_t  i;

    for (i = 0; i < v->len; i++) {
        c = v->data[i];

        if (c == '\\' || c == '"') {
            ngx_http_chatcompletions_put(t, "\\%c", c);

        } else if (c == '\n') {
            ngx_http_chatcompletions_put(t, "\\n");

        } else {
            ngx_http_chatcompletions_put(t, "%c", c);
        }
    }
}


static void
ngx_http_chatcompletions_family(ngx_http_chatcompletions_text_t *t,
    char *name, char *type, char *help)
{
    ngx_http_chatcompletions_put(t, "# HELP %s %s\n# TYPE %s %s\n",
                                 name, help, name, type);
}


/* one series with one label */

static void
ngx_http_chatcompletions_series(ngx_http_chatcompletions_text_t *t,
    char *name, char *label, ngx_str_t *value, ngx_atomic_uint_t v)
{
    ngx_http_chatcompletions_put(t, "%s{%s=\"", name, label);
    ngx_http_chatcompletions_label(t, value);
    ngx_http_chatcompletions_put(t, "\"} %uA\n", v);
}


/* a counter family with one label, a series per value */

static void
ngx_http_chatcompletions_by_label(ngx_http_chatcompletions_text_t *t,
    char *name, char *help, char *label, ngx_str_t *values, ngx_uint_t n,
    ngx_atomic_t *c)
{
    ngx_uint_t  i;

    ngx_http_chatcompletions_family(t, name, "counter", help);

    for (i = 0; i < n; i++) {
        ngx_http_chatcompletions_series(t, name, label, &values[i], c[i]);
    }
}


/* a histogram's lines; value NULL: no label */

static void
ngx_http_chatcompletions_hist(ngx_http_chatcompletions_text_t *t,
    char *name, char *label, ngx_str_t *value, ngx_atomic_t *h)
{
    ngx_uint_t         i;
    ngx_atomic_uint_t  sum;

    sum = 0;

    for (i = 0; i <= NGX_HTTP_CHATCOMPLETIONS_BUCKETS; i++) {

        if (i < NGX_HTTP_CHATCOMPLETIONS_BUCKETS) {
            sum += h[i];
        }

        ngx_http_chatcompletions_put(t, "%s_bucket{", name);

        if (value) {
            ngx_http_chatcompletions_put(t, "%s=\"", label);
            ngx_http_chatcompletions_label(t, value);
            ngx_http_chatcompletions_put(t, "\",");
        }

        ngx_http_chatcompletions_put(t, "le=\"%s\"} %uA\n",
                                 i < NGX_HTTP_CHATCOMPLETIONS_BUCKETS
                                 ? ngx_http_chatcompletions_bucket_text[i]
                                 : "+Inf",
                                 i < NGX_HTTP_CHATCOMPLETIONS_BUCKETS
                                 ? sum : h[NGX_HTTP_CHATCOMPLETIONS_BUCKETS]);
    }

    if (value) {
        ngx_http_chatcompletions_put(t, "%s_sum{%s=\"", name, label);
        ngx_http_chatcompletions_label(t, value);
        ngx_http_chatcompletions_put(t, "\"} %uA.%03uA\n%s_count{%s=\"",
                             h[NGX_HTTP_CHATCOMPLETIONS_BUCKETS + 1] / 1000,
                             h[NGX_HTTP_CHATCOMPLETIONS_BUCKETS + 1] % 1000,
                             name, label);
        ngx_http_chatcompletions_label(t, value);
        ngx_http_chatcompletions_put(t, "\"} %uA\n",
                                     h[NGX_HTTP_CHATCOMPLETIONS_BUCKETS]);
        return;
    }

    ngx_http_chatcompletions_put(t, "%s_sum %uA.%03uA\n%s_count %uA\n", name,
                                 h[NGX_HTTP_CHATCOMPLETIONS_BUCKETS + 1] / 1000,
                                 h[NGX_HTTP_CHATCOMPLETIONS_BUCKETS + 1] % 1000,
                                 name, h[NGX_HTTP_CHATCOMPLETIONS_BUCKETS]);
}


static ngx_int_t
ngx_http_chatcompletions_metrics_text(ngx_http_request_t *r,
    ngx_chain_t **out)
{
    time_t                                 now;
    ngx_buf_t                             *b;
    ngx_str_t                             *locs, *models, *targets, *tools;
    ngx_str_t                              other, name, s;
    ngx_uint_t                             i, j, k, st, nloc, nmodel;
    ngx_uint_t                             ntarget, ntool;
    ngx_atomic_t                          *c, v;
    ngx_chain_t                           *cl;
    ngx_http_chatcompletions_text_t        t;
    ngx_http_chatcompletions_layout_t     *l;
    ngx_http_chatcompletions_shctx_t      *sh;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ngx_memzero(&t, sizeof(ngx_http_chatcompletions_text_t));
    t.r = r;
    t.alloc.alloc = ngx_http_chatcompletions_pool_alloc;
    t.alloc.data = r->pool;
    t.buf.min = 16384;

    ccmcf = ngx_http_get_module_main_conf(r, ngx_http_chatcompletions_module);

    c = ngx_http_chatcompletions_counters(r, &l);

    if (c == NULL) {
        /* no zone: nothing is counted */
        return NGX_OK;
    }

    ngx_str_set(&other, "other");

    locs = ccmcf->m_locations ? ccmcf->m_locations->elts : NULL;
    nloc = ccmcf->m_locations ? ccmcf->m_locations->nelts : 0;
    models = ccmcf->m_models ? ccmcf->m_models->elts : NULL;
    nmodel = (ccmcf->m_models ? ccmcf->m_models->nelts : 0) + 1;
    targets = ccmcf->m_targets ? ccmcf->m_targets->elts : NULL;
    ntarget = ccmcf->m_targets ? ccmcf->m_targets->nelts : 0;
    tools = ccmcf->m_tools ? ccmcf->m_tools->elts : NULL;
    ntool = ccmcf->m_tools ? ccmcf->m_tools->nelts : 0;

    /* requests */

    ngx_http_chatcompletions_family(&t, "chat_completions_requests_total",
                                    "counter", "Chat completion requests "
                                    "answered, by location, model, stream "
                                    "and HTTP status.");

    for (i = 0; i < nloc; i++) {
        for (j = 0; j < nmodel; j++) {
            for (k = 0; k < 2; k++) {
                for (st = 0; st < NGX_HTTP_CHATCOMPLETIONS_NSTATUS; st++) {

                    v = c[l->requests + ((i * nmodel + j) * 2 + k)
                                        * NGX_HTTP_CHATCOMPLETIONS_NSTATUS
                          + st];
                    if (v == 0) {
                        continue;
                    }

                    ngx_http_chatcompletions_put(&t,
                                   "chat_completions_requests_total{"
                                   "location=\"");
                    ngx_http_chatcompletions_label(&t, &locs[i]);
                    ngx_http_chatcompletions_put(&t, "\",model=\"");
                    ngx_http_chatcompletions_label(&t, j < nmodel - 1
                                                   ? &models[j] : &other);

                    if (ngx_http_chatcompletions_statuses[st]) {
                        ngx_http_chatcompletions_put(&t, "\",stream=\"%s\","
                                   "status=\"%ui\"} %uA\n",
                                   k ? "true" : "false",
                                   ngx_http_chatcompletions_statuses[st], v);
                    } else {
                        ngx_http_chatcompletions_put(&t, "\",stream=\"%s\","
                                   "status=\"other\"} %uA\n",
                                   k ? "true" : "false", v);
                    }
                }
            }
        }
    }

    /* errors */

    ngx_http_chatcompletions_family(&t, "chat_completions_errors_total",
                                    "counter", "Answers that ended with an "
                                    "error, by its OpenAI code "
                                    "(client_closed: the client went away).");

    for (i = 0; ngx_http_chatcompletions_codes[i]; i++) {
        ngx_http_chatcompletions_put(&t, "chat_completions_errors_total{"
                                     "code=\"%s\"} %uA\n",
                                     ngx_http_chatcompletions_codes[i],
                                     c[l->errors + i]);
    }

    ngx_http_chatcompletions_family(&t,
                                    "chat_completions_bedrock_errors_total",
                                    "counter", "Answers that ended with an "
                                    "error or exception Bedrock named, by "
                                    "its name.");

    for (i = 0; ngx_http_chatcompletions_bedrock_errors[i]; i++) {
        ngx_http_chatcompletions_put(&t,
                                     "chat_completions_bedrock_errors_total{"
                                     "name=\"%s\"} %uA\n",
                                     ngx_http_chatcompletions_bedrock_errors[i],
                                     c[l->bedrock_errors + i]);
    }

    /* tokens */

    ngx_http_chatcompletions_family(&t, "chat_completions_tokens_total",
                                    "counter", "Tokens Bedrock reported, by "
                                    "model and type.");

    for (j = 0; j < nmodel; j++) {
        for (k = 0; k < 4; k++) {
            v = c[l->tokens + j * 4 + k];

            if (v == 0 && j == nmodel - 1) {
                continue;
            }

            ngx_http_chatcompletions_put(&t, "chat_completions_tokens_total{"
                                         "model=\"");
            ngx_http_chatcompletions_label(&t, j < nmodel - 1
                                           ? &models[j] : &other);
            ngx_http_chatcompletions_put(&t, "\",type=\"%s\"} %uA\n",
                                      ngx_http_chatcompletions_token_types[k],
                                      v);
        }
    }

    /* latencies */

    ngx_http_chatcompletions_family(&t,
                       "chat_completions_time_to_first_token_seconds",
                       "histogram", "From taking the request to Bedrock's "
                       "first token, streamed answers.");

    for (i = 0; i < nloc; i++) {
        ngx_http_chatcompletions_hist(&t,
                       "chat_completions_time_to_first_token_seconds",
                       "location", &locs[i],
                       &c[l->ttft + i * NGX_HTTP_CHATCOMPLETIONS_HIST]);
    }

    ngx_http_chatcompletions_family(&t,
                       "chat_completions_request_duration_seconds",
                       "histogram", "From taking the request to its end.");

    for (i = 0; i < nloc; i++) {
        ngx_http_chatcompletions_hist(&t,
                       "chat_completions_request_duration_seconds",
                       "location", &locs[i],
                       &c[l->duration + i * NGX_HTTP_CHATCOMPLETIONS_HIST]);
    }

    ngx_http_chatcompletions_family(&t,
                       "chat_completions_inter_token_seconds", "histogram",
                       "Between two tokens of a streamed answer.");
    ngx_http_chatcompletions_hist(&t, "chat_completions_inter_token_seconds",
                                  NULL, NULL, &c[l->gap]);

    ngx_http_chatcompletions_family(&t, "chat_completions_streams_open",
                                    "gauge", "Streamed answers in progress.");
    ngx_http_chatcompletions_put(&t, "chat_completions_streams_open %uA\n",
                                 c[l->streams]);

    /* Bedrock attempts, by target */

    ngx_http_chatcompletions_by_label(&t, "chat_completions_bedrock_"
                       "attempts_total", "Bedrock calls started, retries and "
                       "racing attempts included, by target.", "target",
                       targets, ntarget, &c[l->attempts]);

    ngx_http_chatcompletions_by_label(&t, "chat_completions_bedrock_"
                       "retries_total", "Bedrock calls tried again after a "
                       "failure, by the target tried.", "target", targets,
                       ntarget, &c[l->retries]);

    ngx_http_chatcompletions_by_label(&t, "chat_completions_bedrock_"
                       "fallbacks_total", "Retries on another target, by the "
                       "target fallen back to.", "target", targets, ntarget,
                       &c[l->fallbacks]);

    ngx_http_chatcompletions_family(&t,
                       "chat_completions_bedrock_hedges_total", "counter",
                       "Racing attempts started after a late first token, "
                       "and those that won.");
    ngx_http_chatcompletions_put(&t,
                       "chat_completions_bedrock_hedges_total{result="
                       "\"started\"} %uA\n"
                       "chat_completions_bedrock_hedges_total{result="
                       "\"won\"} %uA\n", c[l->hedges], c[l->hedges + 1]);

    /* tools */

    ngx_http_chatcompletions_family(&t, "chat_completions_tool_calls_total",
                                    "counter", "Server-side tool calls, by "
                                    "tool and outcome.");

    for (i = 0; i < ntool; i++) {
        for (k = 0; k < 3; k++) {
            ngx_http_chatcompletions_put(&t,
                                     "chat_completions_tool_calls_total{"
                                     "tool=\"");
            ngx_http_chatcompletions_label(&t, &tools[i]);
            ngx_http_chatcompletions_put(&t, "\",outcome=\"%s\"} %uA\n",
                                   ngx_http_chatcompletions_tool_outcomes[k],
                                   c[l->tools + i * 3 + k]);
        }
    }

    ngx_http_chatcompletions_family(&t,
                       "chat_completions_tool_duration_seconds", "histogram",
                       "Server-side tool calls' time, by tool.");

    for (i = 0; i < ntool; i++) {
        ngx_http_chatcompletions_hist(&t,
                       "chat_completions_tool_duration_seconds", "tool",
                       &tools[i],
                       &c[l->tool_time + i * NGX_HTTP_CHATCOMPLETIONS_HIST]);
    }

    /* client keys */

    if (ccmcf->m_keys) {
        locs = ccmcf->m_keys->elts;

        ngx_http_chatcompletions_family(&t,
                       "chat_completions_key_requests_total", "counter",
                       "Requests by the name of the client's API key.");

        for (i = 0; i < ccmcf->m_keys->nelts; i++) {
            ngx_http_chatcompletions_series(&t,
                       "chat_completions_key_requests_total", "key",
                       &locs[i], c[l->keys + i * 3]);
        }

        ngx_http_chatcompletions_family(&t,
                       "chat_completions_key_tokens_total", "counter",
                       "Tokens Bedrock reported, by the name of the "
                       "client's API key and type.");

        for (i = 0; i < ccmcf->m_keys->nelts; i++) {
            for (k = 0; k < 2; k++) {
                ngx_http_chatcompletions_put(&t,
                       "chat_completions_key_tokens_total{key=\"");
                ngx_http_chatcompletions_label(&t, &locs[i]);
                ngx_http_chatcompletions_put(&t, "\",type=\"%s\"} %uA\n",
                                      ngx_http_chatcompletions_token_types[k],
                                      c[l->keys + i * 3 + 1 + k]);
            }
        }
    }

    /* credentials */

    ngx_http_chatcompletions_family(&t,
                       "chat_completions_credential_refreshes_total",
                       "counter", "AWS credential fetches, by source and "
                       "outcome.");

    for (i = NGX_HTTP_CHATCOMPLETIONS_SRC_WEB_IDENTITY; i < 16; i++) {
        name = ngx_http_chatcompletions_source_name(i);

        if (name.len == 0 || i == (NGX_HTTP_CHATCOMPLETIONS_SRC_ASSUMED
                                   | NGX_HTTP_CHATCOMPLETIONS_SRC_API_KEY))
        {
            continue;
        }

        if (i > NGX_HTTP_CHATCOMPLETIONS_SRC_IMDS
            && i < (NGX_HTTP_CHATCOMPLETIONS_SRC_ASSUMED
                    | NGX_HTTP_CHATCOMPLETIONS_SRC_CONFIG))
        {
            continue;
        }

        ngx_http_chatcompletions_put(&t,
                       "chat_completions_credential_refreshes_total{source="
                       "\"%V\",outcome=\"ok\"} %uA\n"
                       "chat_completions_credential_refreshes_total{source="
                       "\"%V\",outcome=\"error\"} %uA\n",
                       &name, c[l->refreshes + i * 2],
                       &name, c[l->refreshes + i * 2 + 1]);
    }

    ngx_http_chatcompletions_family(&t,
                       "chat_completions_credentials_expiry_seconds", "gauge",
                       "Seconds until the AWS credentials in use expire.");

    if (ccmcf->creds_zone && ccmcf->creds_zone->data) {
        sh = ccmcf->creds_zone->data;
        now = ngx_time();

        for (i = 0; i < sh->nslots; i++) {
            if (sh->slots[i].akid_len == 0 || sh->slots[i].expires == 0) {
                continue;
            }

            s = ngx_http_chatcompletions_source_name(sh->slots[i].source);

            ngx_http_chatcompletions_put(&t,
                       "chat_completions_credentials_expiry_seconds{slot="
                       "\"%ui\",source=\"%V\"} %T\n", i, &s,
                       sh->slots[i].expires - now);
        }
    }

    if (t.error) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b = ngx_calloc_buf(r->pool);
    cl = ngx_alloc_chain_link(r->pool);
    if (b == NULL || cl == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = t.buf.data;
    b->last = t.buf.data + t.buf.len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    cl->buf = b;
    cl->next = NULL;

    *out = cl;

    return NGX_OK;
}
