
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"


typedef enum {
    NGX_HTTP_CHATCOMPLETIONS_VAR_BEDROCK_URI = 0,
    NGX_HTTP_CHATCOMPLETIONS_VAR_BEDROCK_HOST,
    NGX_HTTP_CHATCOMPLETIONS_VAR_MODEL,
    NGX_HTTP_CHATCOMPLETIONS_VAR_ID,
    NGX_HTTP_CHATCOMPLETIONS_VAR_PROMPT_TOKENS,
    NGX_HTTP_CHATCOMPLETIONS_VAR_COMPLETION_TOKENS,
    NGX_HTTP_CHATCOMPLETIONS_VAR_TOTAL_TOKENS,
    NGX_HTTP_CHATCOMPLETIONS_VAR_STOP_REASON,
    NGX_HTTP_CHATCOMPLETIONS_VAR_TTFT,
    NGX_HTTP_CHATCOMPLETIONS_VAR_ROUNDS,
    NGX_HTTP_CHATCOMPLETIONS_VAR_STREAM,
    NGX_HTTP_CHATCOMPLETIONS_VAR_ERROR,
    NGX_HTTP_CHATCOMPLETIONS_VAR_PHONE,
    NGX_HTTP_CHATCOMPLETIONS_VAR_PHONE_SOURCE,
    NGX_HTTP_CHATCOMPLETIONS_VAR_TOOL,
    NGX_HTTP_CHATCOMPLETIONS_VAR_TOOL_CALL_ID,
    NGX_HTTP_CHATCOMPLETIONS_VAR_TOOL_INPUT,
    NGX_HTTP_CHATCOMPLETIONS_VAR_UPSTREAM_URL,
    NGX_HTTP_CHATCOMPLETIONS_VAR_CREDENTIALS_SOURCE,
    NGX_HTTP_CHATCOMPLETIONS_VAR_CREDENTIALS_URL,
    NGX_HTTP_CHATCOMPLETIONS_VAR_ATTEMPTS,
    NGX_HTTP_CHATCOMPLETIONS_VAR_TARGET,
    NGX_HTTP_CHATCOMPLETIONS_VAR_RETRY_MS,
    NGX_HTTP_CHATCOMPLETIONS_VAR_HEDGED,
    NGX_HTTP_CHATCOMPLETIONS_VAR_KEY_NAME,
    NGX_HTTP_CHATCOMPLETIONS_VAR_GUARDRAIL,
    NGX_HTTP_CHATCOMPLETIONS_VAR_SERVICE_TIER,
    NGX_HTTP_CHATCOMPLETIONS_VAR_CACHE_READ_TOKENS,
    NGX_HTTP_CHATCOMPLETIONS_VAR_CACHE_WRITE_TOKENS
} ngx_http_chatcompletions_var_e;


static ngx_int_t ngx_http_chatcompletions_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_http_chatcompletions_ctx_t *ngx_http_chatcompletions_get_ctx(
    ngx_http_request_t *r);


/*
 * The values change from one Bedrock round to the next, and parent and
 * subrequests share one cache of evaluated variables: none is cacheable.
 */

static ngx_http_variable_t  ngx_http_chatcompletions_vars[] = {

    { ngx_string("chat_completions_bedrock_uri"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_BEDROCK_URI,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_bedrock_host"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_BEDROCK_HOST,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_model"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_MODEL,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_id"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_ID,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_prompt_tokens"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_PROMPT_TOKENS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_completion_tokens"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_COMPLETION_TOKENS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_total_tokens"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_TOTAL_TOKENS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_stop_reason"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_STOP_REASON,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_guardrail"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_GUARDRAIL,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_service_tier"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_SERVICE_TIER,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_ttft"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_TTFT,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_rounds"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_ROUNDS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_stream"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_STREAM,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_error"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_ERROR,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_phone"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_PHONE,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_phone_source"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_PHONE_SOURCE,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_tool"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_TOOL,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_tool_call_id"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_TOOL_CALL_ID,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_tool_input"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_TOOL_INPUT,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_upstream_url"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_UPSTREAM_URL,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_credentials_source"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_CREDENTIALS_SOURCE,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_credentials_url"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_CREDENTIALS_URL,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_attempts"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_ATTEMPTS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_target"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_TARGET,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_retry_ms"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_RETRY_MS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_hedged"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_HEDGED,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_key_name"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_KEY_NAME,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_cache_read_tokens"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_CACHE_READ_TOKENS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("chat_completions_cache_write_tokens"), NULL,
      ngx_http_chatcompletions_variable,
      NGX_HTTP_CHATCOMPLETIONS_VAR_CACHE_WRITE_TOKENS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_int_t
ngx_http_chatcompletions_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                                *p;
    int64_t                                n;
    ngx_str_t                              s, host, uri;
    ngx_http_chatcompletions_ctx_t        *ctx;
    ngx_http_chatcompletions_tool_call_t  *call;
    ngx_http_chatcompletions_refresh_t    *rf;
    ngx_http_chatcompletions_loc_conf_t   *cclcf;
    ngx_http_chatcompletions_attempt_t    *a;

    if (data == NGX_HTTP_CHATCOMPLETIONS_VAR_CREDENTIALS_URL) {
        /* a credentials fetch's own target */

        ngx_str_null(&s);

        rf = ngx_http_chatcompletions_fetch_of(r);
        if (rf) {
            s = *ngx_http_chatcompletions_fetch_url(rf);
        }

        goto string;
    }

    ctx = ngx_http_chatcompletions_get_ctx(r);

    if (data == NGX_HTTP_CHATCOMPLETIONS_VAR_BEDROCK_HOST) {
        cclcf = ngx_http_get_module_loc_conf(ctx ? ctx->request : r,
                                             ngx_http_chatcompletions_module);
        /* an attempt's own target, the current one's, the location's */
        a = ngx_http_chatcompletions_attempt_of(r);
        s = a ? a->target->host
              : (ctx && ctx->target) ? ctx->target->host : cclcf->host;
        goto string;
    }

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    n = -1;
    ngx_str_null(&s);

    switch (data) {

    case NGX_HTTP_CHATCOMPLETIONS_VAR_BEDROCK_URI:
        a = ngx_http_chatcompletions_attempt_of(r);
        s = a ? a->uri : ctx->round.bedrock_uri;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_MODEL:
        s = ctx->target_model.len ? ctx->target_model : ctx->model_id;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_ATTEMPTS:
        n = ctx->attempts;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_TARGET:
        if (ctx->target) {
            s = ctx->target->region;
        }
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_RETRY_MS:
        n = ctx->attempts ? (int64_t) ctx->retry_ms : -1;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_KEY_NAME:
        s = ctx->key_name;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_HEDGED:
        n = ctx->attempts ? (ctx->hedges ? 1 : 0) : -1;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_ID:
        s = ctx->id;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_PROMPT_TOKENS:
        n = ctx->finished ? ctx->prompt_tokens : -1;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_COMPLETION_TOKENS:
        n = ctx->finished ? ctx->completion_tokens : -1;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_TOTAL_TOKENS:
        n = ctx->finished ? ctx->total_tokens : -1;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_CACHE_READ_TOKENS:
        n = ctx->finished ? ctx->stream.usage.cache_read : -1;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_CACHE_WRITE_TOKENS:
        n = ctx->finished ? ctx->stream.usage.cache_write : -1;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_STOP_REASON:
        s = ctx->stop_reason;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_GUARDRAIL:
        s.data = ctx->stream.guardrail_trace.data;
        s.len = ctx->stream.guardrail_trace.len;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_SERVICE_TIER:
        s.data = ctx->stream.service_tier.data;
        s.len = ctx->stream.service_tier.len;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_TTFT:
        n = ctx->first_token ? (int64_t) ctx->ttft : -1;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_ROUNDS:
        n = ctx->round.n;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_STREAM:
        ngx_str_set(&s, "0");
        if (ctx->streaming) {
            ngx_str_set(&s, "1");
        }
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_ERROR:
        s = ctx->fault.code;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_PHONE:
        s = *ngx_http_chatcompletions_phone(ctx);
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_PHONE_SOURCE:
        (void) ngx_http_chatcompletions_phone(ctx);

        if (ctx->phone_source) {
            s.data = (u_char *) ctx->phone_source;
            s.len = ngx_strlen(ctx->phone_source);
        }
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_TOOL:
    case NGX_HTTP_CHATCOMPLETIONS_VAR_TOOL_CALL_ID:
    case NGX_HTTP_CHATCOMPLETIONS_VAR_TOOL_INPUT:
        call = ngx_http_chatcompletions_tool_call(r);
        if (call == NULL) {
            break;
        }

        s = (data == NGX_HTTP_CHATCOMPLETIONS_VAR_TOOL) ? call->name
            : (data == NGX_HTTP_CHATCOMPLETIONS_VAR_TOOL_CALL_ID) ? call->id
            : call->input_json;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_CREDENTIALS_SOURCE:
        s = ctx->creds_source;
        break;

    case NGX_HTTP_CHATCOMPLETIONS_VAR_UPSTREAM_URL:
        /* the endpoint and the signed path, for proxy_pass */

        /* in an attempt's subrequest, its own: a racer has its target */

        a = ngx_http_chatcompletions_attempt_of(r);

        if (a) {
            host = a->target->endpoint;
            uri = a->uri;

        } else if (ctx->round.bedrock_uri.len && ctx->target) {
            host = ctx->target->endpoint;
            uri = ctx->round.bedrock_uri;

        } else {
            break;
        }

        while (host.len && host.data[host.len - 1] == '/') {
            host.len--;
        }

        p = ngx_pnalloc(r->pool, host.len + uri.len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        s.data = p;
        s.len = ngx_sprintf(p, "%V%V", &host, &uri) - p;
        break;
    }

    if (n >= 0) {
        p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        s.data = p;
        s.len = ngx_sprintf(p, "%L", n) - p;
    }

string:

    if (s.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = s.len;
    v->data = s.data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * The request whose values a variable gives: a Bedrock attempt's, a tool
 * call's or a credentials fetch's (wherever the chat_completions location
 * is), the request's own, or the main request's.
 */

static ngx_http_chatcompletions_ctx_t *
ngx_http_chatcompletions_get_ctx(ngx_http_request_t *r)
{
    ngx_http_chatcompletions_ctx_t        *ctx;
    ngx_http_chatcompletions_attempt_t    *a;
    ngx_http_chatcompletions_refresh_t    *rf;
    ngx_http_chatcompletions_tool_call_t  *call;

    a = ngx_http_chatcompletions_attempt_of(r);
    if (a) {
        return a->ctx;
    }

    call = ngx_http_chatcompletions_tool_call(r);
    if (call) {
        return call->ctx;
    }

    rf = ngx_http_chatcompletions_fetch_of(r);
    if (rf) {
        return ngx_http_chatcompletions_refresh_ctx(rf);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_chatcompletions_module);
    if (ctx) {
        return ctx;
    }

    return ngx_http_get_module_ctx(r->main, ngx_http_chatcompletions_module);
}


ngx_int_t
ngx_http_chatcompletions_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_chatcompletions_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/*
 * Whether the configuration reads $chat_completions_phone or its source
 * (directives take a variable's index): then the client's JSON is kept
 * for the lookup (request.c).  Once per cycle.
 */

ngx_uint_t
ngx_http_chatcompletions_phone_read(ngx_http_request_t *r)
{
    ngx_uint_t                  i;
    ngx_http_variable_t        *v;
    ngx_http_core_main_conf_t  *cmcf;

    static ngx_uint_t           read;
    static ngx_cycle_t         *cycle;

    if (cycle == ngx_cycle) {
        return read;
    }

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);

    v = cmcf->variables.elts;
    read = 0;

    for (i = 0; i < cmcf->variables.nelts; i++) {
        if (v[i].get_handler == ngx_http_chatcompletions_variable
            && (v[i].data == NGX_HTTP_CHATCOMPLETIONS_VAR_PHONE
                || v[i].data == NGX_HTTP_CHATCOMPLETIONS_VAR_PHONE_SOURCE))
        {
            read = 1;
            break;
        }
    }

    cycle = (ngx_cycle_t *) ngx_cycle;

    return read;
}
