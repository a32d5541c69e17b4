
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_chatcompletions_module.h"
#include "cc_phone.h"


/*
 * Server-side tools: the chat_completions_tool directive, and the tool
 * calls of a round.  When a Bedrock round stops to use tools that the
 * configuration declares, lifecycle.c starts them here: each runs as a
 * background subrequest to its location, all at once; their answers
 * become toolResult blocks of the next round, on the same stream.
 *
 * Background subrequests never become the connection's active request and
 * never enter the parent's postponed list, so the next Bedrock round is
 * again the active request and streams as it arrives.  Their output is
 * captured by the module's filters and never reaches the client.  The
 * last call to settle wakes the main request, whose write handler is
 * ngx_http_chatcompletions_wake().
 */


static ngx_int_t ngx_http_chatcompletions_start_tool(
    ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_tool_call_t *call);
static ngx_int_t ngx_http_chatcompletions_tool_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static void ngx_http_chatcompletions_tool_timeout(ngx_event_t *ev);
static void ngx_http_chatcompletions_tool_settle(
    ngx_http_chatcompletions_tool_call_t *call);
static ngx_http_chatcompletions_tool_conf_t *
    ngx_http_chatcompletions_find_tool(
    ngx_http_chatcompletions_loc_conf_t *cclcf, const u_char *name,
    size_t len);
static cc_json_t *ngx_http_chatcompletions_read_schema(ngx_conf_t *cf,
    ngx_str_t *value);
static size_t ngx_http_chatcompletions_round_reasoning(cc_round_t *round,
    cc_block_t *blocks);


static cc_json_t  ngx_http_chatcompletions_empty_object = {
    CC_JSON_OBJECT, { 0, NULL }, 0, NULL, NULL
};


/* chat_completions_tool name uri description [schema=] [timeout=] ... */

char *
ngx_http_chatcompletions_tool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = conf;

    ngx_str_t                             *value, s;
    ngx_uint_t                             i;
    cc_str_t                               name;
    ngx_http_chatcompletions_tool_conf_t  *tool;

    value = cf->args->elts;

    if (cf->args->nelts < 4) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "tool \"%V\" needs a location and a "
                           "description", &value[1]);
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data;
    name.len = value[1].len;

    if (!cc_tool_name_valid(&name)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid tool name \"%V\": 1 to 64 characters "
                           "of A-Z, a-z, 0-9, \"_\" and \"-\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (value[2].len == 0 || value[2].data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "tool \"%V\": the location \"%V\" must start "
                           "with \"/\"", &value[1], &value[2]);
        return NGX_CONF_ERROR;
    }

    if (cclcf->tools == NULL) {
        cclcf->tools = ngx_array_create(cf->pool, 4,
                                 sizeof(ngx_http_chatcompletions_tool_conf_t));
        if (cclcf->tools == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_http_chatcompletions_find_tool(cclcf, value[1].data,
                                           value[1].len)
        != NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate tool \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    tool = ngx_array_push(cclcf->tools);
    if (tool == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(tool, sizeof(ngx_http_chatcompletions_tool_conf_t));

    tool->name = value[1];
    tool->uri = value[2];
    tool->description = value[3];
    tool->method = NGX_HTTP_POST;

    for (i = 4; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "schema=", 7) == 0) {
            s.data = value[i].data + 7;
            s.len = value[i].len - 7;

            tool->schema = ngx_http_chatcompletions_read_schema(cf, &s);
            if (tool->schema == NULL) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            tool->timeout = ngx_parse_time(&s, 0);
            if (tool->timeout == (ngx_msec_t) NGX_ERROR || tool->timeout == 0)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "tool \"%V\": invalid timeout \"%V\"",
                                   &value[1], &s);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strcmp(value[i].data, "method=GET") == 0) {
            tool->method = NGX_HTTP_GET;
            continue;
        }

        if (ngx_strcmp(value[i].data, "method=POST") == 0) {
            tool->method = NGX_HTTP_POST;
            continue;
        }

        if (ngx_strcmp(value[i].data, "phone") == 0) {
            tool->needs_phone = 1;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "tool \"%V\": invalid parameter \"%V\"",
                           &value[1], &value[i]);
        return NGX_CONF_ERROR;
    }

    if (tool->schema == NULL) {
        /* a tool without arguments */
        ngx_str_set(&s, "{\"type\":\"object\",\"properties\":{}}");

        tool->schema = ngx_http_chatcompletions_read_schema(cf, &s);
        if (tool->schema == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * A schema is inline JSON ("schema={...}", quoted in the configuration)
 * or a file name, relative to the configuration prefix.
 */

static cc_json_t *
ngx_http_chatcompletions_read_schema(ngx_conf_t *cf, ngx_str_t *value)
{
    char         err[128];
    ngx_str_t    text;
    cc_json_t   *schema, *type;
    cc_alloc_t  *a;

    if (value->len && value->data[0] == '{') {
        text = *value;

    } else if (ngx_http_chatcompletions_read_file(cf, value, &text)
               != NGX_OK)
    {
        return NULL;
    }

    a = ngx_palloc(cf->pool, sizeof(cc_alloc_t));
    if (a == NULL) {
        return NULL;
    }

    a->alloc = ngx_http_chatcompletions_pool_alloc;
    a->data = cf->pool;

    err[0] = '\0';

    schema = cc_json_parse(a, text.data, text.len, err, sizeof(err));
    if (schema == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid JSON schema \"%V\": %s", value, err);
        return NULL;
    }

    type = cc_json_get(schema, "type");

    if (schema->type != CC_JSON_OBJECT || type == NULL
        || type->type != CC_JSON_STRING
        || ngx_strcmp(type->str.data, "object") != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid JSON schema \"%V\": Bedrock takes an "
                           "object schema, {\"type\":\"object\",...}", value);
        return NULL;
    }

    return schema;
}


char *
ngx_http_chatcompletions_merge_tools(ngx_conf_t *cf,
    ngx_http_chatcompletions_loc_conf_t *prev,
    ngx_http_chatcompletions_loc_conf_t *conf)
{
    ngx_uint_t                             i;
    ngx_http_chatcompletions_tool_conf_t  *tool;

    if (conf->tools == NULL) {
        conf->tools = prev->tools;
        conf->cc_tools = prev->cc_tools;
    }

    if (conf->tools == NULL || conf->cc_tools) {
        return NGX_CONF_OK;
    }

    conf->cc_tools = ngx_pcalloc(cf->pool,
                                 conf->tools->nelts * sizeof(cc_tool_t));
    if (conf->cc_tools == NULL) {
        return NGX_CONF_ERROR;
    }

    tool = conf->tools->elts;

    for (i = 0; i < conf->tools->nelts; i++) {
        conf->cc_tools[i].name.data = tool[i].name.data;
        conf->cc_tools[i].name.len = tool[i].name.len;
        conf->cc_tools[i].description.data = tool[i].description.data;
        conf->cc_tools[i].description.len = tool[i].description.len;
        conf->cc_tools[i].schema = tool[i].schema;
    }

    return NGX_CONF_OK;
}


static ngx_http_chatcompletions_tool_conf_t *
ngx_http_chatcompletions_find_tool(ngx_http_chatcompletions_loc_conf_t *cclcf,
    const u_char *name, size_t len)
{
    ngx_uint_t                             i;
    ngx_http_chatcompletions_tool_conf_t  *tool;

    if (cclcf->tools == NULL) {
        return NULL;
    }

    tool = cclcf->tools->elts;

    for (i = 0; i < cclcf->tools->nelts; i++) {
        if (tool[i].name.len == len
            && ngx_strncmp(tool[i].name.data, name, len) == 0)
        {
            return &tool[i];
        }
    }

    return NULL;
}


int
ngx_http_chatcompletions_is_server_tool(void *data, const cc_str_t *name)
{
    ngx_http_chatcompletions_loc_conf_t *cclcf = data;

    return ngx_http_chatcompletions_find_tool(cclcf, name->data, name->len)
           != NULL;
}


/*
 * The caller's phone number, for tool locations ($chat_completions_phone)
 * and the log: Vapi's call data, configured metadata fields, a configured
 * header, then the caller's own words.  Looked up once, on demand: when a
 * tool that needs it runs, or when the variable is read.
 */

ngx_str_t *
ngx_http_chatcompletions_phone(ngx_http_chatcompletions_ctx_t *ctx)
{
    cc_str_t                              out, header, cc, *names;
    ngx_uint_t                            n;
    ngx_table_elt_t                      *h;
    cc_phone_source_e                     source;
    ngx_http_request_t                   *r;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    /* the request's JSON is let go once nothing needs it (request.c) */

    if (ctx->phone_looked_up || ctx->conv == NULL || ctx->conv->root == NULL)
    {
        return &ctx->phone;
    }

    ctx->phone_looked_up = 1;

    r = ctx->request;
    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    header.len = 0;
    header.data = NULL;

    if (cclcf->phone_header.len) {
        h = ngx_http_chatcompletions_find_header(&r->headers_in.headers,
                                                 cclcf->phone_header.data,
                                                 cclcf->phone_header.len);
        if (h) {
            header.data = h->value.data;
            header.len = h->value.len;
        }
    }

    names = NULL;
    n = 0;

    if (cclcf->phone_metadata) {
        names = cclcf->phone_metadata->elts;
        n = cclcf->phone_metadata->nelts;
    }

    cc.data = cclcf->phone_country.data;
    cc.len = cclcf->phone_country.len;

    if (cc_phone_find(&ctx->alloc, ctx->conv->root, names, n, &header, &cc,
                      &out, &source)
        != CC_OK)
    {
        ctx->phone_source = cc_phone_source_name(CC_PHONE_NONE);
        return &ctx->phone;
    }

    ctx->phone.data = out.data;
    ctx->phone.len = out.len;
    ctx->phone_source = cc_phone_source_name(source);

    /* the number itself is personal data: only where it came from */
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "chatcompletions caller phone number from %s",
                   ctx->phone_source);

    return &ctx->phone;
}


/*
 * The round's reasoning blocks for the history (Bedrock checks the text
 * against its signature, and wants the block before the toolUse): the
 * number put in blocks, at most two.
 */

static size_t
ngx_http_chatcompletions_round_reasoning(cc_round_t *round,
    cc_block_t *blocks)
{
    size_t  k;

    k = 0;

    if (round->reasoning.len && round->signature.len) {
        blocks[k].type = CC_BLOCK_REASONING;
        blocks[k].text = round->reasoning;
        blocks[k].signature = round->signature;
        k++;
    }

    if (round->redacted.len) {
        blocks[k].type = CC_BLOCK_REASONING;
        blocks[k].redacted = round->redacted;
        k++;
    }

    return k;
}


/*
 * Starts the server-side tool calls of a round: NGX_DONE when some run
 * (the last to settle wakes the main request), NGX_DECLINED when none
 * could (each has its error result already: the next round may start).
 */

ngx_int_t
ngx_http_chatcompletions_tools_start(ngx_http_chatcompletions_ctx_t *ctx,
    cc_round_t *round)
{
    char                                   err[64];
    size_t                                 i, k, n;
    cc_str_t                               json;
    cc_block_t                            *blocks;
    ngx_uint_t                             started;
    ngx_http_request_t                    *r;
    cc_tool_use_t                         *t;
    ngx_http_chatcompletions_tool_call_t  *call;
    ngx_http_chatcompletions_loc_conf_t   *cclcf;

    r = ctx->request;
    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    /* the assistant's turn: its text, then its tool uses */

    n = round->nserver;

    blocks = ngx_pcalloc(r->pool, (n + 3) * sizeof(cc_block_t));
    ctx->round.calls = ngx_pcalloc(r->pool,
                           n * sizeof(ngx_http_chatcompletions_tool_call_t));
    if (blocks == NULL || ctx->round.calls == NULL) {
        return NGX_ERROR;
    }

    ctx->round.ncalls = n;
    ctx->round.pending = 0;

    /* the model's reasoning first, with its signature, as Bedrock wants */
    k = ngx_http_chatcompletions_round_reasoning(round, blocks);

    blocks[k].type = CC_BLOCK_TEXT;
    blocks[k].text = round->text;

    for (i = 0; i < n; i++) {
        t = round->server[i];
        call = &ctx->round.calls[i];

        call->ctx = ctx;
        call->round = ctx->round.n;
        call->id.data = t->id.data;
        call->id.len = t->id.len;
        call->name.data = t->name.data;
        call->name.len = t->name.len;
        call->conf = ngx_http_chatcompletions_find_tool(cclcf, t->name.data,
                                                        t->name.len);

        call->input = cc_tool_input(&ctx->alloc, t, err, sizeof(err));
        if (call->input == NULL || call->input->type != CC_JSON_OBJECT) {
            call->input = &ngx_http_chatcompletions_empty_object;
        }

        if (cc_json_serialize(&ctx->alloc, call->input, &json) != CC_OK) {
            return NGX_ERROR;
        }

        call->input_json.data = json.data;
        call->input_json.len = json.len;

        blocks[k + i + 1].type = CC_BLOCK_TOOL_USE;
        blocks[k + i + 1].id = t->id;
        blocks[k + i + 1].name = t->name;
        blocks[k + i + 1].input = call->input;
    }

    if (cc_chat_append_message(&ctx->alloc, &ctx->conv->chat, CC_ROLE_ASSISTANT,
                               blocks, k + n + 1)
        != CC_OK)
    {
        return NGX_ERROR;
    }

    started = 0;

    for (i = 0; i < n; i++) {
        call = &ctx->round.calls[i];

        if (call->conf->needs_phone
            && ngx_http_chatcompletions_phone(ctx)->len == 0)
        {
            ngx_str_set(&call->error, "The caller's phone number is not "
                        "known. Ask the caller for the phone number of "
                        "their account, then call this tool again.");
            call->done = 1;
            continue;
        }

        /* each call may buffer chat_completions_tool_max_size */
        if (started == NGX_HTTP_CHATCOMPLETIONS_MAX_TOOL_CALLS) {
            ngx_str_set(&call->error, "Too many tool calls at once: this "
                        "one was not run. Call it again on its own.");
            call->done = 1;
            continue;
        }

        if (ngx_http_chatcompletions_start_tool(ctx, call) != NGX_OK) {
            return NGX_ERROR;
        }

        started++;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "chatcompletions round %ui: %ui tool call(s) started",
                   ctx->round.n, started);

    if (started == 0) {
        return NGX_DECLINED;
    }

    ctx->round.pending = started;

    return NGX_DONE;
}


static ngx_int_t
ngx_http_chatcompletions_start_tool(ngx_http_chatcompletions_ctx_t *ctx,
    ngx_http_chatcompletions_tool_call_t *call)
{
    ngx_http_request_t                   *r, *sr;
    ngx_http_post_subrequest_t           *ps;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    r = ctx->request;
    cclcf = ngx_http_get_module_loc_conf(r, ngx_http_chatcompletions_module);

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_chatcompletions_tool_done;
    ps->data = call;

    /* the tool gets the model's input, never the client's headers */

    if (ngx_http_chatcompletions_subrequest(r, &call->conf->uri, ps,
                                            NGX_HTTP_SUBREQUEST_BACKGROUND,
                                            &sr)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    call->sr = sr;
    call->started = ngx_current_msec;

    if (call->conf->method == NGX_HTTP_GET) {
        sr->method = NGX_HTTP_GET;
        ngx_str_set(&sr->method_name, "GET");

    } else {
        if (ngx_http_chatcompletions_post_json(sr, call->input_json.data,
                                               call->input_json.len)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    call->timer.handler = ngx_http_chatcompletions_tool_timeout;
    call->timer.data = call;
    call->timer.log = r->connection->log;
    call->timer.cancelable = 1;

    ngx_add_timer(&call->timer, call->conf->timeout ? call->conf->timeout
                                                    : cclcf->tool_timeout);

    return NGX_OK;
}


ngx_http_chatcompletions_tool_call_t *
ngx_http_chatcompletions_tool_call(ngx_http_request_t *r)
{
    if (r != r->main && r->post_subrequest
        && r->post_subrequest->handler == ngx_http_chatcompletions_tool_done)
    {
        return r->post_subrequest->data;
    }

    return NULL;
}


ngx_int_t
ngx_http_chatcompletions_tool_header(
    ngx_http_chatcompletions_tool_call_t *call, ngx_http_request_t *r)
{
    call->status = r->headers_out.status;

    r->header_sent = 1;
    r->filter_need_in_memory = 1;

    return NGX_OK;
}


ngx_int_t
ngx_http_chatcompletions_tool_body(ngx_http_chatcompletions_tool_call_t *call,
    ngx_chain_t *in)
{
    size_t                                n, max;
    ngx_buf_t                            *b;
    ngx_chain_t                          *cl;
    ngx_http_chatcompletions_loc_conf_t  *cclcf;

    cclcf = ngx_http_get_module_loc_conf(call->ctx->request,
                                         ngx_http_chatcompletions_module);
    max = cclcf->tool_max_size;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (!ngx_buf_in_memory(b)) {
            if (b->in_file) {
                ngx_log_error(NGX_LOG_ERR, call->sr->connection->log, 0,
                              "chat_completions: tool \"%V\" answered "
                              "from a file buffer; its location must "
                              "keep responses in memory", &call->name);
                call->truncated = 1;
            }

            continue;
        }

        n = b->last - b->pos;

        if (call->done) {
            b->pos = b->last;
            continue;
        }

        if (call->body == NULL && n) {
            call->body = ngx_pnalloc(call->ctx->request->pool, max);
            if (call->body == NULL) {
                return NGX_ERROR;
            }
        }

        if (call->len + n > max) {
            call->truncated = 1;
            n = max - call->len;
        }

        if (n) {
            ngx_memcpy(call->body + call->len, b->pos, n);
            call->len += n;
        }

        b->pos = b->last;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_chatcompletions_tool_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_chatcompletions_tool_call_t *call = data;

    ngx_http_chatcompletions_ctx_t  *ctx;

    ctx = call->ctx;

    if (sr->connection->error || rc == NGX_HTTP_CLIENT_CLOSED_REQUEST) {
        return rc == NGX_HTTP_CLIENT_CLOSED_REQUEST ? rc : NGX_ERROR;
    }

    if (call->done || call->round != ctx->round.n
        || ctx->state != NGX_HTTP_CHATCOMPLETIONS_TOOLS)
    {
        /* settled already, by its timer */
        return NGX_OK;
    }

    if (call->status == 0) {
        call->status = (rc >= NGX_HTTP_SPECIAL_RESPONSE)
                       ? (ngx_uint_t) rc : NGX_HTTP_BAD_GATEWAY;
    }

    if (rc == NGX_ERROR && call->status < NGX_HTTP_SPECIAL_RESPONSE) {
        call->status = NGX_HTTP_BAD_GATEWAY;
    }

    ngx_http_chatcompletions_tool_settle(call);

    /* a special response of its own must not be generated */
    return NGX_OK;
}


static void
ngx_http_chatcompletions_tool_timeout(ngx_event_t *ev)
{
    ngx_http_chatcompletions_tool_call_t  *call;

    call = ev->data;

    if (call->done) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                  "chat_completions: tool \"%V\" timed out",
                  &call->name);

    ngx_str_set(&call->error, "The tool did not answer in time.");
    call->timed_out = 1;

    ngx_http_chatcompletions_tool_settle(call);

    /* a proxied tool is stopped the way proxy_read_timeout stops it */

    if (call->sr) {
        (void) ngx_http_chatcompletions_stop_upstream(call->sr, 1);
    }

    ngx_http_run_posted_requests(call->ctx->request->connection);
}


/* one call has its result; the last one wakes the main request */

static void
ngx_http_chatcompletions_tool_settle(
    ngx_http_chatcompletions_tool_call_t *call)
{
    ngx_http_request_t              *r;
    ngx_http_chatcompletions_ctx_t  *ctx;

    ctx = call->ctx;
    r = ctx->request;

    call->done = 1;

    if (call->timer.timer_set) {
        ngx_del_timer(&call->timer);
    }

    if (call->error.len == 0
        && (call->status < 200 || call->status > 299))
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "chat_completions: tool \"%V\" answered %ui",
                      &call->name, call->status);
    }

    if (call->sr) {
        ngx_http_chatcompletions_metric_tool(ctx, call->conf,
                                   call->timed_out
                                   ? NGX_HTTP_CHATCOMPLETIONS_TOOL_TIMEOUT
                                   : (call->error.len == 0
                                      && call->status >= 200
                                      && call->status <= 299)
                                   ? NGX_HTTP_CHATCOMPLETIONS_TOOL_OK
                                   : NGX_HTTP_CHATCOMPLETIONS_TOOL_ERROR,
                                   ngx_current_msec - call->started);
    }

    if (--ctx->round.pending > 0) {
        return;
    }

    /* the round's results are all in: ngx_http_chatcompletions_wake() */

    (void) ngx_http_post_request(r, NULL);
}


/* the tool results become the next user turn, for the next round */

ngx_int_t
ngx_http_chatcompletions_tools_results(ngx_http_chatcompletions_ctx_t *ctx)
{
    u_char                                *p;
    cc_str_t                               text;
    ngx_uint_t                             i;
    cc_block_t                            *blocks;
    ngx_http_chatcompletions_tool_call_t  *call;

    blocks = ngx_pcalloc(ctx->request->pool,
                         ctx->round.ncalls * sizeof(cc_block_t));
    if (blocks == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < ctx->round.ncalls; i++) {
        call = &ctx->round.calls[i];

        blocks[i].type = CC_BLOCK_TOOL_RESULT;
        blocks[i].id.data = call->id.data;
        blocks[i].id.len = call->id.len;

        /* Bedrock refuses a body that is not UTF-8 */
        if (cc_utf8_sanitize(&ctx->alloc, call->body, call->len, &text)
            != CC_OK)
        {
            return NGX_ERROR;
        }

        call->body = text.data;
        call->len = text.len;

        if (call->error.len == 0
            && call->status >= 200 && call->status <= 299
            && !call->truncated)
        {
            blocks[i].result_text = text;
            blocks[i].result_json = cc_json_parse(&ctx->alloc, call->body,
                                                  call->len, NULL, 0);
            continue;
        }

        blocks[i].is_error = 1;

        if (call->error.len == 0) {
            p = ngx_pnalloc(ctx->request->pool, 160 + call->len);
            if (p == NULL) {
                return NGX_ERROR;
            }

            call->error.data = p;

            if (call->truncated) {
                p = ngx_sprintf(p, "The tool's answer was too large.");

            } else {
                p = ngx_sprintf(p, "The tool failed with HTTP status %ui.",
                                call->status);

                if (call->len) {
                    p = ngx_sprintf(p, " It said: %*s", call->len,
                                    call->body);
                }
            }

            call->error.len = p - call->error.data;
        }

        blocks[i].result_text.data = call->error.data;
        blocks[i].result_text.len = call->error.len;
    }

    if (cc_chat_append_message(&ctx->alloc, &ctx->conv->chat, CC_ROLE_USER,
                               blocks, ctx->round.ncalls)
        != CC_OK)
    {
        return NGX_ERROR;
    }

    cc_stream_next_round(&ctx->stream);

    return NGX_OK;
}


/* a request that ends while tools run leaves their timers */

void
ngx_http_chatcompletions_tools_cancel(ngx_http_chatcompletions_ctx_t *ctx)
{
    ngx_uint_t  i;

    for (i = 0; i < ctx->round.ncalls; i++) {
        if (ctx->round.calls[i].timer.timer_set) {
            ngx_del_timer(&ctx->round.calls[i].timer);
        }
    }
}
