
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"
#include "cc_image.h"


/*
 * The Converse features beyond the conversation, as directives: a
 * guardrail (chat_completions_guardrail), the latency
 * (chat_completions_latency), the service tier and the tiers clients may
 * ask for (chat_completions_service_tier, _service_tier_allow), the image
 * size limit (chat_completions_image_max_size), whether metadata and user
 * go to Bedrock (chat_completions_request_metadata).  What the request
 * and the answer make of them is cc_extras.c's; the guardrail's
 * assessment is logged here when the answer ends.
 */


typedef struct {
    ngx_str_t                         name;
    ngx_uint_t                        bit;
} ngx_http_chatcompletions_tier_t;


static ngx_int_t ngx_http_chatcompletions_one_of(ngx_str_t *value,
    char **allowed);
static ngx_uint_t ngx_http_chatcompletions_tier_bit(ngx_str_t *name);


static char  *ngx_http_chatcompletions_traces[] = {
    "enabled", "enabled_full", "disabled", NULL
};

static char  *ngx_http_chatcompletions_modes[] = { "sync", "async", NULL };

static char  *ngx_http_chatcompletions_latencies[] = {
    "standard", "optimized", NULL
};

static ngx_http_chatcompletions_tier_t  ngx_http_chatcompletions_tiers[] = {
    { ngx_string("default"), CC_TIER_DEFAULT },
    { ngx_string("priority"), CC_TIER_PRIORITY },
    { ngx_string("flex"), CC_TIER_FLEX },
    { ngx_null_string, 0 }
};


/*
 * chat_completions_guardrail id version [trace=...] [stream=sync|async];
 * chat_completions_guardrail off;
 */

char *
ngx_http_chatcompletions_guardrail(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = conf;

    u_char                                  *p, *last;
    ngx_str_t                               *value, v;
    ngx_uint_t                               i;
    ngx_http_chatcompletions_extras_conf_t  *x;

    x = &cclcf->extras;
    value = cf->args->elts;

    if (x->guardrail_id.data != NULL) {
        return "is duplicate";
    }

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        ngx_str_set(&x->guardrail_id, "");
        return NGX_CONF_OK;
    }

    if (cf->args->nelts < 3) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "chat_completions_guardrail wants an identifier "
                           "and a version, or \"off\"");
        return NGX_CONF_ERROR;
    }

    /* Bedrock's patterns: [a-z0-9]+ or the guardrail's ARN */

    last = value[1].data + value[1].len;

    for (p = value[1].data; p < last; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))) {
            break;
        }
    }

    if (value[1].len == 0 || value[1].len > 2048
        || (p < last
            && (ngx_strncmp(value[1].data, "arn:aws", 7) != 0
                || ngx_strlcasestrn(value[1].data, last,
                                    (u_char *) ":guardrail/", 11 - 1)
                   == NULL)))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid guardrail identifier \"%V\": lowercase "
                           "letters and digits, or the guardrail's ARN",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    /* [1-9][0-9]{0,7} or DRAFT */

    v = value[2];

    if (!(v.len == 5 && ngx_strncmp(v.data, "DRAFT", 5) == 0)
        && (v.len == 0 || v.len > 8 || v.data[0] == '0'
            || ngx_atoi(v.data, v.len) == NGX_ERROR))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid guardrail version \"%V\": a number "
                           "from 1 to 99999999, or DRAFT", &v);
        return NGX_CONF_ERROR;
    }

    x->guardrail_id = value[1];
    x->guardrail_version = value[2];

    for (i = 3; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "trace=", 6) == 0) {
            v.data = value[i].data + 6;
            v.len = value[i].len - 6;

            if (ngx_http_chatcompletions_one_of(&v,
                                         ngx_http_chatcompletions_traces)
                != NGX_OK)
            {
                goto invalid;
            }

            x->guardrail_trace = v;
            continue;
        }

        if (ngx_strncmp(value[i].data, "stream=", 7) == 0) {
            v.data = value[i].data + 7;
            v.len = value[i].len - 7;

            if (ngx_http_chatcompletions_one_of(&v,
                                         ngx_http_chatcompletions_modes)
                != NGX_OK)
            {
                goto invalid;
            }

            x->guardrail_stream = v;
            continue;
        }

        goto invalid;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\": trace=enabled, "
                       "trace=enabled_full, trace=disabled, stream=sync or "
                       "stream=async", &value[i]);

    return NGX_CONF_ERROR;
}


/* chat_completions_latency standard | optimized; */

char *
ngx_http_chatcompletions_latency(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = conf;

    ngx_str_t  *value;

    value = cf->args->elts;

    if (cclcf->extras.latency.data != NULL) {
        return "is duplicate";
    }

    if (ngx_http_chatcompletions_one_of(&value[1],
                                        ngx_http_chatcompletions_latencies)
        != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid latency \"%V\": standard or optimized",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    cclcf->extras.latency = value[1];

    return NGX_CONF_OK;
}


/* chat_completions_service_tier off | default | priority | flex; */

char *
ngx_http_chatcompletions_service_tier(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = conf;

    ngx_str_t  *value;

    value = cf->args->elts;

    if (cclcf->extras.service_tier.data != NULL) {
        return "is duplicate";
    }

    if (ngx_strcmp(value[1].data, "off") == 0) {
        ngx_str_set(&cclcf->extras.service_tier, "");
        return NGX_CONF_OK;
    }

    if (ngx_http_chatcompletions_tier_bit(&value[1]) == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid service tier \"%V\": off, default, "
                           "priority or flex", &value[1]);
        return NGX_CONF_ERROR;
    }

    cclcf->extras.service_tier = value[1];

    return NGX_CONF_OK;
}


/* chat_completions_service_tier_allow none | tier ...; */

char *
ngx_http_chatcompletions_service_tier_allow(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i, bit, set;

    value = cf->args->elts;

    if (cclcf->extras.tiers_allowed != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    set = 0;

    for (i = 1; i < cf->args->nelts; i++) {
        if (cf->args->nelts == 2 && ngx_strcmp(value[i].data, "none") == 0)
        {
            break;
        }

        bit = ngx_http_chatcompletions_tier_bit(&value[i]);

        if (bit == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid service tier \"%V\": default, "
                               "priority or flex (or none alone)",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        set |= bit;
    }

    cclcf->extras.tiers_allowed = set;

    return NGX_CONF_OK;
}


void
ngx_http_chatcompletions_extras_create(
    ngx_http_chatcompletions_loc_conf_t *conf)
{
    /*
     * set by ngx_pcalloc():
     *
     *     conf->extras.guardrail_id = { 0, NULL };
     *     conf->extras.latency = { 0, NULL };
     *     conf->extras.service_tier = { 0, NULL };
     */

    conf->extras.tiers_allowed = NGX_CONF_UNSET_UINT;
    conf->extras.image_max = NGX_CONF_UNSET_SIZE;
    conf->extras.request_metadata = NGX_CONF_UNSET;
}


char *
ngx_http_chatcompletions_merge_extras(ngx_conf_t *cf,
    ngx_http_chatcompletions_loc_conf_t *prev,
    ngx_http_chatcompletions_loc_conf_t *conf)
{
    ngx_http_chatcompletions_extras_conf_t  *x, *px;

    x = &conf->extras;
    px = &prev->extras;

    /* a guardrail is inherited whole, or replaced whole */
    if (x->guardrail_id.data == NULL) {
        x->guardrail_id = px->guardrail_id;
        x->guardrail_version = px->guardrail_version;
        x->guardrail_trace = px->guardrail_trace;
        x->guardrail_stream = px->guardrail_stream;
    }

    ngx_conf_merge_str_value(x->latency, px->latency, "");
    ngx_conf_merge_str_value(x->service_tier, px->service_tier, "");
    ngx_conf_merge_uint_value(x->tiers_allowed, px->tiers_allowed, 0);
    ngx_conf_merge_size_value(x->image_max, px->image_max,
                              CC_IMAGE_MAX_SIZE);
    ngx_conf_merge_value(x->request_metadata, px->request_metadata, 0);

    if (x->image_max == 0 || x->image_max > CC_IMAGE_MAX_SIZE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "chat_completions_image_max_size must be from 1 "
                           "to %uz bytes (3.75 MB, Bedrock's limit)",
                           (size_t) CC_IMAGE_MAX_SIZE);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* the request's options from its location (the attempt adds the model) */

void
ngx_http_chatcompletions_extras_options(ngx_http_chatcompletions_ctx_t *ctx)
{
    cc_extras_conf_t                        *o;
    ngx_http_chatcompletions_extras_conf_t  *x;
    ngx_http_chatcompletions_loc_conf_t     *cclcf;

    cclcf = ngx_http_get_module_loc_conf(ctx->request,
                                         ngx_http_chatcompletions_module);
    x = &cclcf->extras;
    o = &ctx->conv->opts.extras;

    o->guardrail_id.data = x->guardrail_id.data;
    o->guardrail_id.len = x->guardrail_id.len;
    o->guardrail_version.data = x->guardrail_version.data;
    o->guardrail_version.len = x->guardrail_version.len;
    o->guardrail_trace.data = x->guardrail_trace.data;
    o->guardrail_trace.len = x->guardrail_trace.len;
    o->guardrail_stream.data = x->guardrail_stream.data;
    o->guardrail_stream.len = x->guardrail_stream.len;
    o->latency.data = x->latency.data;
    o->latency.len = x->latency.len;
    o->service_tier.data = x->service_tier.data;
    o->service_tier.len = x->service_tier.len;
    o->tiers_allowed = x->tiers_allowed;
    o->image_max = x->image_max;
    o->request_metadata = x->request_metadata ? 1 : 0;
}


/*
 * The guardrail's assessment when the answer ends: an intervention at
 * notice, any other assessment (trace=enabled) at info.  It may quote
 * what it matched in the conversation: it goes to the log, never to the
 * client.
 */

void
ngx_http_chatcompletions_extras_log(ngx_http_chatcompletions_ctx_t *ctx)
{
    ngx_str_t         trace;
    ngx_uint_t        intervened;
    static ngx_str_t  none = ngx_string("none (trace=disabled)");

    trace.data = ctx->stream.guardrail_trace.data;
    trace.len = ctx->stream.guardrail_trace.len;

    intervened = (ctx->stop_reason.len == sizeof("guardrail_intervened") - 1
                  && ngx_strncmp(ctx->stop_reason.data,
                                 "guardrail_intervened",
                                 ctx->stop_reason.len)
                     == 0);

    if (intervened) {
        ngx_log_error(NGX_LOG_NOTICE, ctx->request->connection->log, 0,
                      "chat_completions: guardrail intervened, "
                      "finish_reason content_filter, assessment: %V",
                      trace.len ? &trace : &none);

    } else if (trace.len) {
        ngx_log_error(NGX_LOG_INFO, ctx->request->connection->log, 0,
                      "chat_completions: guardrail assessment: %V", &trace);
    }
}


static ngx_int_t
ngx_http_chatcompletions_one_of(ngx_str_t *value, char **allowed)
{
    ngx_uint_t  i;

    for (i = 0; allowed[i]; i++) {
        if (ngx_strlen(allowed[i]) == value->len
            && ngx_strncmp(allowed[i], value->data, value->len) == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


static ngx_uint_t
ngx_http_chatcompletions_tier_bit(ngx_str_t *name)
{
    ngx_http_chatcompletions_tier_t  *t;

    for (t = ngx_http_chatcompletions_tiers; t->name.len; t++) {
        if (t->name.len == name->len
            && ngx_strncmp(t->name.data, name->data, name->len) == 0)
        {
            return t->bit;
        }
    }

    return 0;
}
