
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"


/*
 * Where a Bedrock call goes, and what happens when it fails before the
 * client saw anything of it.
 *
 * A location has an ordered list of targets (chat_completions_target),
 * each a region with its endpoint and the model it runs; without the
 * directive, one target made of chat_completions_region and
 * chat_completions_endpoint.  Every round starts on the first.
 *
 * An attempt that fails before any of its content reached the client
 * (throttled, 5xx, unreachable, stalled, cut or an exception before its
 * first delta) is tried again while chat_completions_attempts and
 * chat_completions_retry_budget allow: once on the same target after a
 * backoff with jitter, then on the next target at once.  A client error
 * (400, 403, 404) and anything after content was shown are final.
 *
 * A declared target that fails chat_completions_cooldown's number of
 * times in a row (any worker's attempts) is skipped for its time: the
 * count and the end of the cool-down are atomics in shared memory, no
 * lock on the way of a request.
 */


#define NGX_HTTP_CHATCOMPLETIONS_ATTEMPTS_MAX  10


/* a declared target's state, shared by the workers */
typedef struct {
    ngx_atomic_t                      failures;   /* in a row */
    ngx_atomic_t                      until;      /* ngx_current_msec */
} ngx_http_chatcompletions_cool_t;


static char *ngx_http_chatcompletions_target_model(ngx_conf_t *cf,
    ngx_http_chatcompletions_target_t *t, ngx_str_t *value);
static const char *ngx_http_chatcompletions_retryable(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_http_chatcompletions_attempt_t *a);
static void ngx_http_chatcompletions_retry_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_chatcompletions_targets_zone(
    ngx_shm_zone_t *shm_zone, void *data);
static ngx_http_chatcompletions_cool_t *ngx_http_chatcompletions_cool(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_http_chatcompletions_target_t *t);
static ngx_uint_t ngx_http_chatcompletions_next_target(
    ngx_http_chatcompletions_ctx_t *ctx, ngx_uint_t from);
static void ngx_http_chatcompletions_target_failed(
    ngx_http_chatcompletions_ctx_t *ctx);


/*
 * chat_completions_target region [endpoint=url] [model=id]
 *                         [map=from=to ...];
 */

char *
ngx_http_chatcompletions_target(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = conf;

    u_char                                *p;
    ngx_str_t                             *value;
    ngx_uint_t                             i;
    ngx_http_chatcompletions_target_t     *t;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    value = cf->args->elts;

    if (cclcf->targets == NULL) {
        cclcf->targets = ngx_array_create(cf->pool, 2,
                                   sizeof(ngx_http_chatcompletions_target_t));
        if (cclcf->targets == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    t = ngx_array_push(cclcf->targets);
    if (t == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(t, sizeof(ngx_http_chatcompletions_target_t));

    /* an outer level is not merged itself: say so here */
    cclcf->targets_own = 1;

    ccmcf = ngx_http_conf_get_module_main_conf(cf,
                                            ngx_http_chatcompletions_module);
    t->slot = ccmcf->ntargets++;

    t->region = value[1];

    if (ngx_http_chatcompletions_check_region(cf, &t->region) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "endpoint=", 9) == 0) {
            t->endpoint.data = value[i].data + 9;
            t->endpoint.len = value[i].len - 9;
            continue;
        }

        if (ngx_strncmp(value[i].data, "model=", 6) == 0
            || ngx_strncmp(value[i].data, "map=", 4) == 0)
        {
            if (ngx_http_chatcompletions_target_model(cf, t, &value[i])
                != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\": expected "
                           "\"endpoint=\", \"model=\" or \"map=\"",
                           &value[i]);
        return NGX_CONF_ERROR;
    }

    if (t->endpoint.len == 0) {
        p = ngx_pnalloc(cf->pool, sizeof("https://bedrock-runtime."
                                         ".amazonaws.com") - 1
                                  + t->region.len);
        if (p == NULL) {
            return NGX_CONF_ERROR;
        }

        t->endpoint.data = p;
        t->endpoint.len = ngx_sprintf(p, "https://bedrock-runtime.%V"
                                         ".amazonaws.com", &t->region)
                          - p;
    }

    if (ngx_http_chatcompletions_endpoint_host(cf, &t->endpoint, &t->host)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* model=id: every request's model here; map=from=to: one model's */

static char *
ngx_http_chatcompletions_target_model(ngx_conf_t *cf,
    ngx_http_chatcompletions_target_t *t, ngx_str_t *value)
{
    u_char        *eq;
    ngx_keyval_t  *kv;

    if (value->data[1] == 'o') {
        if (value->len == 6 || t->model.len) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid or duplicate \"%V\"", value);
            return NGX_CONF_ERROR;
        }

        t->model.data = value->data + 6;
        t->model.len = value->len - 6;

        return NGX_CONF_OK;
    }

    eq = ngx_strlchr(value->data + 4, value->data + value->len, '=');

    if (eq == NULL || eq == value->data + 4
        || eq + 1 == value->data + value->len)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"%V\": expected "
                           "\"map=<client model id>=<model id>\"", value);
        return NGX_CONF_ERROR;
    }

    if (t->maps == NULL) {
        t->maps = ngx_array_create(cf->pool, 2, sizeof(ngx_keyval_t));
        if (t->maps == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    kv = ngx_array_push(t->maps);
    if (kv == NULL) {
        return NGX_CONF_ERROR;
    }

    kv->key.data = value->data + 4;
    kv->key.len = eq - kv->key.data;
    kv->value.data = eq + 1;
    kv->value.len = value->data + value->len - kv->value.data;

    return NGX_CONF_OK;
}


/*
 * The targets of a level: its own, an outer level's own, or the one made
 * of this level's region and endpoint.
 */

char *
ngx_http_chatcompletions_merge_targets(ngx_conf_t *cf,
    ngx_http_chatcompletions_loc_conf_t *prev,
    ngx_http_chatcompletions_loc_conf_t *conf)
{
    ngx_http_chatcompletions_target_t  *t;

    ngx_conf_merge_uint_value(conf->attempts, prev->attempts, 1);
    ngx_conf_merge_msec_value(conf->retry_budget, prev->retry_budget, 10000);
    ngx_conf_merge_msec_value(conf->retry_backoff, prev->retry_backoff, 100);
    ngx_conf_merge_msec_value(conf->cooldown, prev->cooldown, 0);
    ngx_conf_merge_msec_value(conf->first_token_deadline,
                              prev->first_token_deadline, 0);
    ngx_conf_merge_uint_value(conf->cooldown_failures,
                              prev->cooldown_failures, 3);

    if (conf->attempts == 0
        || conf->attempts > NGX_HTTP_CHATCOMPLETIONS_ATTEMPTS_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "chat_completions_attempts must be 1 to %d",
                           NGX_HTTP_CHATCOMPLETIONS_ATTEMPTS_MAX);
        return NGX_CONF_ERROR;
    }

    if (conf->targets_own) {
        return NGX_CONF_OK;
    }

    if (prev->targets_own) {
        conf->targets = prev->targets;
        conf->targets_own = 1;
        return NGX_CONF_OK;
    }

    conf->targets = ngx_array_create(cf->pool, 1,
                                   sizeof(ngx_http_chatcompletions_target_t));
    if (conf->targets == NULL) {
        return NGX_CONF_ERROR;
    }

    t = ngx_array_push(conf->targets);
    if (t == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(t, sizeof(ngx_http_chatcompletions_target_t));

    /* the only target: nothing to skip it for */
    t->slot = -1;
    t->region = conf->region;
    t->endpoint = conf->endpoint;
    t->host = conf->host;

    return NGX_CONF_OK;
}


/* the model a target runs for the request */

ngx_str_t *
ngx_http_chatcompletions_target_model_id(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_target_t *t)
{
    ngx_uint_t     i;
    ngx_keyval_t  *kv;

    if (t->maps) {
        kv = t->maps->elts;

        for (i = 0; i < t->maps->nelts; i++) {
            if (kv[i].key.len == ctx->model_id.len
                && ngx_strncmp(kv[i].key.data, ctx->model_id.data,
                               ctx->model_id.len)
                   == 0)
            {
                return &kv[i].value;
            }
        }
    }

    return t->model.len ? &t->model : &ctx->model_id;
}


/*
 * A round's attempt failed: NGX_AGAIN when another one is due (the retry
 * timer is set, ctx->target chosen), NGX_DECLINED when the failure is
 * the answer.
 */

ngx_int_t
ngx_http_chatcompletions_retry(ngx_http_chatcompletions_ctx_t *ctx)
{
    char                                 *action;
    ngx_msec_t                            delay, elapsed, cap;
    ngx_uint_t                            next, n;
    const char                           *why;
    ngx_http_chatcompletions_target_t    *targets;
    ngx_http_chatcompletions_attempt_t   *a;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                         ngx_http_chatcompletions_module);

    a = ctx->round.attempt;

    why = ngx_http_chatcompletions_retryable(ctx, a);

    if (why == NULL) {
        return NGX_DECLINED;
    }

    /* the target's failure, whatever comes next */
    ngx_http_chatcompletions_target_failed(ctx);

    if (ctx->round.tries >= cclcf->attempts) {
        return NGX_DECLINED;
    }

    targets = cclcf->targets->elts;
    n = cclcf->targets->nelts;

    /* the same target once more after a backoff, then the next at once */

    next = ctx->round.target;
    delay = 0;

    if (n > 1
        && (ctx->round.on_target >= 2
            || ctx->fault.kind == NGX_HTTP_CHATCOMPLETIONS_FAULT_UNREACHABLE
            || ngx_http_chatcompletions_cool(ctx, &targets[next]) != NULL))
    {
        /* tried twice, nothing answered there, or now cooling down */
        next = ngx_http_chatcompletions_next_target(ctx, ctx->round.target);
    }

    if (next == ctx->round.target) {
        cap = cclcf->retry_backoff << ngx_min(ctx->round.on_target - 1, 6);
        delay = cap / 2 + (ngx_msec_t) ngx_random() % (cap / 2 + 1);
    }

    elapsed = ngx_current_msec - ctx->round.started;

    /* what the log line's context says: nothing was sent yet */
    action = ctx->request->connection->log->action;
    ctx->request->connection->log->action = "trying Bedrock";

    if (elapsed + delay >= cclcf->retry_budget) {
        ngx_log_error(NGX_LOG_WARN, ctx->request->connection->log, 0,
                      "chat_completions: Bedrock attempt %ui on %V failed "
                      "(%s); no retry: %M of %M ms "
                      "(chat_completions_retry_budget) spent",
                      ctx->attempts, &targets[ctx->round.target].host,
                      why, elapsed, cclcf->retry_budget);

        ctx->request->connection->log->action = action;
        return NGX_DECLINED;
    }

    ngx_log_error(NGX_LOG_WARN, ctx->request->connection->log, 0,
                  "chat_completions: Bedrock attempt %ui on %V (model "
                  "\"%V\") abandoned: %s; attempt %ui on %V in %M ms",
                  ctx->attempts, &targets[ctx->round.target].host,
                  ngx_http_chatcompletions_target_model_id(ctx,
                                             &targets[ctx->round.target]),
                  why, ctx->attempts + 1, &targets[next].host, delay);

    ctx->request->connection->log->action = action;

    ngx_http_chatcompletions_metric(ctx, NGX_HTTP_CHATCOMPLETIONS_M_RETRY,
                                    &targets[next]);

    if (next != ctx->round.target) {
        ctx->round.on_target = 0;

        ngx_http_chatcompletions_metric(ctx,
                                        NGX_HTTP_CHATCOMPLETIONS_M_FALLBACK,
                                        &targets[next]);
    }

    ctx->round.target = next;
    ctx->round.retrying = 1;

    /* the last attempt's failure is forgotten: the next one's counts */

    ngx_memzero(&ctx->fault, sizeof(ngx_http_chatcompletions_fault_t));
    ctx->bedrock_status = 0;

    if (ctx->streaming) {
        cc_stream_next_round(&ctx->stream);
    }

    ctx->retry.handler = ngx_http_chatcompletions_retry_handler;
    ctx->retry.data = ctx;
    ctx->retry.log = ctx->request->connection->log;
    ctx->retry.cancelable = 1;

    /* a timer even for no delay: next() is entered afresh */
    ngx_add_timer(&ctx->retry, delay);

    return NGX_AGAIN;
}


/* why a failed attempt may be tried again; NULL: it may not */

static const char *
ngx_http_chatcompletions_retryable(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_attempt_t *a)
{
    if (a == NULL || a->shown) {
        return NULL;
    }

    switch (ctx->fault.kind) {

    case NGX_HTTP_CHATCOMPLETIONS_FAULT_HTTP:

        switch (ctx->bedrock_status) {
        case NGX_HTTP_TOO_MANY_REQUESTS:
            return "throttled (429)";
        case NGX_HTTP_INTERNAL_SERVER_ERROR:
            return "Bedrock answered 500";
        case NGX_HTTP_BAD_GATEWAY:
            return "Bedrock answered 502";
        case NGX_HTTP_SERVICE_UNAVAILABLE:
            return "Bedrock answered 503";
        case NGX_HTTP_GATEWAY_TIME_OUT:
            return "Bedrock answered 504";
        default:
            /* 400, 403, 404: the same request fails the same way */
            return NULL;
        }

    case NGX_HTTP_CHATCOMPLETIONS_FAULT_EXCEPTION:

        if (ctx->fault.type.len == sizeof("invalid_request_error") - 1
            && ngx_strncmp(ctx->fault.type.data, "invalid_request_error",
                           ctx->fault.type.len)
               == 0)
        {
            return NULL;
        }

        return "an exception before the first token";

    case NGX_HTTP_CHATCOMPLETIONS_FAULT_UNREACHABLE:
        return ctx->bedrock_status == NGX_HTTP_GATEWAY_TIME_OUT
               ? "no answer in time" : "unreachable";

    case NGX_HTTP_CHATCOMPLETIONS_FAULT_TIMEOUT:
        return "stalled before the first token";

    case NGX_HTTP_CHATCOMPLETIONS_FAULT_TRUNCATED:
        return "cut before the first token";

    case NGX_HTTP_CHATCOMPLETIONS_FAULT_FRAMING:
        return "a corrupt frame before the first token";

    default:
        return NULL;
    }
}


/* the backoff is over: ngx_http_chatcompletions_wake() */

static void
ngx_http_chatcompletions_retry_handler(ngx_event_t *ev)
{
    ngx_http_request_t              *r;
    ngx_http_chatcompletions_ctx_t  *ctx;

    ctx = ev->data;
    r = ctx->request;

    if (ctx->state != NGX_HTTP_CHATCOMPLETIONS_RETRY) {
        return;
    }

    (void) ngx_http_post_request(r, NULL);

    ngx_http_run_posted_requests(r->connection);
}


/*
 * chat_completions_cooldown time|off [failures=N]: a declared target
 * failing N times in a row is skipped for time.
 */

char *
ngx_http_chatcompletions_cooldown(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (cclcf->cooldown != NGX_CONF_UNSET_MSEC) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        cclcf->cooldown = 0;

    } else {
        cclcf->cooldown = ngx_parse_time(&value[1], 0);
        if (cclcf->cooldown == (ngx_msec_t) NGX_ERROR
            || cclcf->cooldown == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid cool-down time \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    if (cf->args->nelts == 3) {
        if (ngx_strncmp(value[2].data, "failures=", 9) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\": expected "
                               "\"failures=\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        n = ngx_atoi(value[2].data + 9, value[2].len - 9);
        if (n <= 0 || n > 1000) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"%V\": 1 to 1000", &value[2]);
            return NGX_CONF_ERROR;
        }

        cclcf->cooldown_failures = n;
    }

    return NGX_CONF_OK;
}


/* the declared targets' zone: their state survives a reload */

ngx_int_t
ngx_http_chatcompletions_targets_init(ngx_conf_t *cf)
{
    size_t                                 size;
    ngx_str_t                              name;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = ngx_http_conf_get_module_main_conf(cf,
                                            ngx_http_chatcompletions_module);

    if (ccmcf->ntargets == 0) {
        return NGX_OK;
    }

    size = ngx_align(ccmcf->ntargets * sizeof(ngx_http_chatcompletions_cool_t)
                     + 8 * ngx_pagesize, ngx_pagesize);

    ngx_str_set(&name, "chat_completions_targets");

    ccmcf->targets_zone = ngx_shared_memory_add(cf, &name, size,
                                              &ngx_http_chatcompletions_module);
    if (ccmcf->targets_zone == NULL) {
        return NGX_ERROR;
    }

    ccmcf->targets_zone->init = ngx_http_chatcompletions_targets_zone;
    ccmcf->targets_zone->data = ccmcf;

    return NGX_OK;
}


static ngx_int_t
ngx_http_chatcompletions_targets_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t                       *shpool;
    ngx_http_chatcompletions_cool_t       *cool;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    ccmcf = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (data && shpool->data) {
        /* a reload: the same zone, the same size, the same targets */
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    cool = ngx_slab_calloc(shpool,
                     ccmcf->ntargets * sizeof(ngx_http_chatcompletions_cool_t));
    if (cool == NULL) {
        return NGX_ERROR;
    }

    shpool->data = cool;
    shm_zone->data = cool;

    return NGX_OK;
}


/* a target's state when it is cooling down now, else NULL */

static ngx_http_chatcompletions_cool_t *
ngx_http_chatcompletions_cool(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_target_t *t)
{
    ngx_http_chatcompletions_cool_t       *cool;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    if (t->slot < 0) {
        return NULL;
    }

    ccmcf = ngx_http_get_module_main_conf(ctx->request,
                                          ngx_http_chatcompletions_module);

    cool = ccmcf->targets_zone->data;
    cool = &cool[t->slot];

    return ((ngx_msec_int_t) (cool->until - ngx_current_msec) > 0)
           ? cool : NULL;
}


/* a round's first target: the first not cooling down (else the first) */

ngx_uint_t
ngx_http_chatcompletions_first_target(ngx_http_chatcompletions_ctx_t *ctx)
{
    ngx_uint_t                            i;
    ngx_http_chatcompletions_target_t    *t;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                         ngx_http_chatcompletions_module);

    t = cclcf->targets->elts;

    for (i = 0; i < cclcf->targets->nelts; i++) {
        if (ngx_http_chatcompletions_cool(ctx, &t[i]) == NULL) {
            return i;
        }
    }

    return 0;
}


/* the target after "from" not cooling down, else simply the next one */

static ngx_uint_t
ngx_http_chatcompletions_next_target(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_uint_t from)
{
    ngx_uint_t                            i, n, k;
    ngx_http_chatcompletions_target_t    *t;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                         ngx_http_chatcompletions_module);

    t = cclcf->targets->elts;
    n = cclcf->targets->nelts;

    for (i = 1; i < n; i++) {
        k = (from + i) % n;

        if (ngx_http_chatcompletions_cool(ctx, &t[k]) == NULL) {
            return k;
        }
    }

    return (from + 1) % n;
}


/* the current target failed: perhaps it cools down now */

static void
ngx_http_chatcompletions_target_failed(ngx_http_chatcompletions_ctx_t *ctx)
{
    ngx_atomic_uint_t                      failures;
    ngx_http_chatcompletions_cool_t       *cool;
    ngx_http_chatcompletions_target_t     *t;
    ngx_http_chatcompletions_loc_conf_t   *cclcf;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                         ngx_http_chatcompletions_module);

    t = ctx->target;

    if (t == NULL || t->slot < 0 || cclcf->cooldown == 0) {
        return;
    }

    ccmcf = ngx_http_get_module_main_conf(ctx->request,
                                          ngx_http_chatcompletions_module);

    cool = ccmcf->targets_zone->data;
    cool = &cool[t->slot];

    failures = ngx_atomic_fetch_add(&cool->failures, 1) + 1;

    if (failures < cclcf->cooldown_failures
        || !ngx_atomic_cmp_set(&cool->failures, failures, 0))
    {
        /* not yet; or another worker counted past it and cools it down */
        return;
    }

    cool->until = ngx_current_msec + cclcf->cooldown;

    ngx_log_error(NGX_LOG_WARN, ctx->request->connection->log, 0,
                  "chat_completions: Bedrock target %V (%V) failed %ui "
                  "times in a row: skipped for %M ms "
                  "(chat_completions_cooldown)", &t->host, &t->region,
                  (ngx_uint_t) failures, cclcf->cooldown);
}


/* an attempt answered: its target's failures in a row are over */

void
ngx_http_chatcompletions_target_ok(ngx_http_chatcompletions_ctx_t *ctx)
{
    ngx_http_chatcompletions_cool_t       *cool;
    ngx_http_chatcompletions_target_t     *t;
    ngx_http_chatcompletions_main_conf_t  *ccmcf;

    t = ctx->target;

    if (t == NULL || t->slot < 0) {
        return;
    }

    ccmcf = ngx_http_get_module_main_conf(ctx->request,
                                          ngx_http_chatcompletions_module);

    cool = ccmcf->targets_zone->data;
    cool = &cool[t->slot];

    if (cool->failures) {
        cool->failures = 0;
    }
}


/* where a racing attempt goes: the next target, or the same if alone */

ngx_uint_t
ngx_http_chatcompletions_hedge_target(ngx_http_chatcompletions_ctx_t *ctx)
{
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                         ngx_http_chatcompletions_module);

    if (cclcf->targets->nelts < 2) {
        return ctx->round.target;
    }

    return ngx_http_chatcompletions_next_target(ctx, ctx->round.target);
}


/* a racing attempt is out of the race: cancelled at once */

void
ngx_http_chatcompletions_hedge_lost(ngx_http_chatcompletions_attempt_t *a,
    const char *why)
{
    ngx_http_chatcompletions_ctx_t  *ctx;

    ctx = a->ctx;

    if (a->superseded) {
        return;
    }

    a->superseded = 1;

    if (ctx->round.shadow == a) {
        ctx->round.shadow = NULL;
    }

    if (a->stall.timer_set) {
        ngx_del_timer(&a->stall);
    }

    if (!a->done) {
        (void) ngx_http_chatcompletions_cancel_upstream(a->sr);
    }

    ngx_log_error(NGX_LOG_WARN, ctx->request->connection->log, 0,
                  "chat_completions: racing Bedrock attempt on %V (model "
                  "\"%V\") abandoned: %s", &a->target->host, &a->model, why);
}
