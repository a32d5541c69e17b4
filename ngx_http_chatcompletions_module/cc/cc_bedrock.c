
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_bedrock.h"
#include "cc_extras.h"
#include "cc_uri.h"


static int cc_tool_turn_thinks(const cc_chat_t *chat);
static int cc_cache_tools(const cc_chat_options_t *opts);
static int cc_gen_key(yajl_gen g, const char *key);
static int cc_gen_key_str(yajl_gen g, const char *key, const cc_str_t *s);
static int cc_gen_double(yajl_gen g, double d, const cc_str_t *text);
static int cc_gen_empty_object(yajl_gen g, const char *key);
static int cc_gen_system(yajl_gen g, const cc_chat_t *chat,
    const cc_chat_options_t *opts);
static int cc_gen_messages(cc_alloc_t *a, yajl_gen g, const cc_chat_t *chat,
    int reasoning, int as_text);
static int cc_gen_block(cc_alloc_t *a, yajl_gen g, const cc_block_t *b,
    int as_text);
static int cc_gen_image(yajl_gen g, const cc_block_t *b);
static int cc_gen_reasoning_block(yajl_gen g, const cc_block_t *b);
static int cc_gen_cache_point(yajl_gen g);
static int cc_gen_inference(yajl_gen g, const cc_chat_t *chat,
    const cc_reasoning_plan_t *plan);
static int cc_gen_tool_spec(yajl_gen g, const cc_str_t *name,
    const cc_str_t *description, const cc_json_t *schema);
static int cc_gen_tool_config(cc_alloc_t *a, yajl_gen g,
    const cc_chat_t *chat, const cc_chat_options_t *opts, int as_text,
    int native);
static int cc_gen_stub_tools(cc_alloc_t *a, yajl_gen g,
    const cc_chat_t *chat);


static cc_str_t  cc_stub_description =
    cc_string("Tool used earlier in this conversation.");

cc_str_t  cc_empty_result_text = cc_string("(empty result)");


int
cc_bedrock_body(cc_alloc_t *a, const cc_chat_t *chat,
    const cc_chat_options_t *opts, cc_str_t *out)
{
    int                       forced, as_text, native;
    yajl_gen                  g;
    cc_gen_out_t              o;
    cc_reasoning_plan_t       plan;
    static cc_chat_options_t  no_opts;

    if (opts == NULL) {
        opts = &no_opts;
    }

    forced = cc_bedrock_forced_tool(chat, opts);
    cc_bedrock_reasoning(chat, opts, &plan);
    as_text = cc_extras_tools_as_text(chat);

    /* a forced tool (response_format) is the only tool choice there is */
    native = !forced && cc_extras_native_tool_choice(chat, opts);

    cc_gen_out_init(&o, a);

    g = cc_gen_create(a, &o);
    if (g == NULL) {
        return CC_ERROR;
    }

    if (yajl_gen_map_open(g) != yajl_gen_status_ok
        || cc_gen_system(g, chat, opts) != CC_OK
        || cc_gen_messages(a, g, chat, plan.family != CC_REASONING_OTHER,
                           as_text)
           != CC_OK
        || cc_gen_inference(g, chat, &plan) != CC_OK)
    {
        return CC_ERROR;
    }

    if (forced) {
        /* the answer is the forced tool's input: no other tool is offered */
        if (cc_structured_gen_tool(a, g, &chat->response_format) != CC_OK
            || (cc_cache_tools(opts) && cc_gen_cache_point(g) != CC_OK)
            || cc_structured_gen_tool_end(g, &chat->response_format)
               != CC_OK)
        {
            return CC_ERROR;
        }

    } else if (cc_gen_tool_config(a, g, chat, opts, as_text, native)
               != CC_OK)
    {
        return CC_ERROR;
    }

    if (cc_structured_native(&chat->response_format, opts->structured_mode,
                             &opts->model_id)
        && cc_structured_gen_output_config(a, g, &chat->response_format)
           != CC_OK)
    {
        return CC_ERROR;
    }

    /* additionalModelRequestFields: one object, Bedrock takes the key once */

    if (plan.family != CC_REASONING_OTHER || native) {
        if (cc_gen_key(g, "additionalModelRequestFields") != CC_OK
            || yajl_gen_map_open(g) != yajl_gen_status_ok
            || cc_reasoning_gen_fields(g, &plan) != CC_OK
            || (native && cc_extras_gen_native(g, chat) != CC_OK)
            || yajl_gen_map_close(g) != yajl_gen_status_ok)
        {
            return CC_ERROR;
        }
    }

    if (cc_extras_gen(g, chat, opts) != CC_OK
        || yajl_gen_map_close(g) != yajl_gen_status_ok)
    {
        return CC_ERROR;
    }

    out->data = NULL;
    out->len = 0;

    return cc_gen_output(a, &o, out);
}


int
cc_bedrock_forced_tool(const cc_chat_t *chat, const cc_chat_options_t *opts)
{
    return cc_structured_forced(&chat->response_format,
                                opts->structured_mode, &opts->model_id);
}


/*
 * Claude refuses thinking with a forced tool (response_format's, or the
 * client's "required" or named tool_choice), and a conversation whose
 * last tool turn does not start with its signed thinking block (a client
 * may not send reasoning_content back): such a call goes without
 * thinking rather than fail.
 */

void
cc_bedrock_reasoning(const cc_chat_t *chat, const cc_chat_options_t *opts,
    cc_reasoning_plan_t *plan)
{
    int  forced;

    forced = cc_bedrock_forced_tool(chat, opts)
             || chat->tool_choice == CC_TOOL_CHOICE_REQUIRED
             || chat->tool_choice == CC_TOOL_CHOICE_NAMED;

    cc_reasoning_plan(chat->reasoning, opts->reasoning_default,
                      &opts->model_id, forced, plan);

    if (plan->family == CC_REASONING_CLAUDE && !cc_tool_turn_thinks(chat)) {
        plan->family = CC_REASONING_OTHER;
    }
}


/*
 * 0 if the conversation ends with toolResults whose assistant turn does
 * not start with a reasoning block
 */
static int
cc_tool_turn_thinks(const cc_chat_t *chat)
{
    size_t               i;
    const cc_message_t  *last, *prev;

    if (chat->nmessages < 2) {
        return 1;
    }

    last = &chat->messages[chat->nmessages - 1];
    prev = &chat->messages[chat->nmessages - 2];

    if (last->role != CC_ROLE_USER || prev->role != CC_ROLE_ASSISTANT) {
        return 1;
    }

    for (i = 0; i < last->nblocks; i++) {
        if (last->blocks[i].type == CC_BLOCK_TOOL_RESULT) {
            break;
        }
    }

    if (i == last->nblocks) {
        return 1;
    }

    return prev->nblocks && prev->blocks[0].type == CC_BLOCK_REASONING;
}


/*
 * A cachePoint in toolConfig.tools: Claude takes one there; Amazon Nova
 * caches system and messages only, and Bedrock refuses one in its tools
 */
static int
cc_cache_tools(const cc_chat_options_t *opts)
{
    size_t           i;
    const cc_str_t  *m;
    static char      claude[] = "anthropic.claude-";

    if (!opts->cache_tools) {
        return 0;
    }

    m = &opts->model_id;

    for (i = 0; m->len >= sizeof(claude) - 1
                && i <= m->len - (sizeof(claude) - 1); i++)
    {
        if (memcmp(m->data + i, claude, sizeof(claude) - 1) == 0) {
            return 1;
        }
    }

    return 0;
}


/* {"cachePoint":{"type":"default"}} */
static int
cc_gen_cache_point(yajl_gen g)
{
    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "cachePoint") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "type") || cc_gen_lit(g, "default")
        || yajl_gen_map_close(g) || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    return CC_OK;
}


static int
cc_gen_system(yajl_gen g, const cc_chat_t *chat,
    const cc_chat_options_t *opts)
{
    size_t  i;

    if (chat->nsystem == 0) {
        return CC_OK;
    }

    if (cc_gen_key(g, "system") != CC_OK
        || yajl_gen_array_open(g) != yajl_gen_status_ok)
    {
        return CC_ERROR;
    }

    for (i = 0; i < chat->nsystem; i++) {
        if (yajl_gen_map_open(g) != yajl_gen_status_ok
            || cc_gen_key_str(g, "text", &chat->system[i]) != CC_OK
            || yajl_gen_map_close(g) != yajl_gen_status_ok)
        {
            return CC_ERROR;
        }
    }

    /* prompt caching: everything up to here is the cached prefix */
    if (opts->cache_system && cc_gen_cache_point(g) != CC_OK) {
        return CC_ERROR;
    }

    return yajl_gen_array_close(g) == yajl_gen_status_ok ? CC_OK : CC_ERROR;
}


/*
 * Reasoning blocks go to a model that reasons in this call only: another
 * model, or the same one with reasoning off, may refuse them.
 */

static int
cc_gen_messages(cc_alloc_t *a, yajl_gen g, const cc_chat_t *chat,
    int reasoning, int as_text)
{
    size_t               i, j;
    const cc_message_t  *m;
    static cc_str_t      user = cc_string("user");
    static cc_str_t      assistant = cc_string("assistant");

    if (cc_gen_key(g, "messages") != CC_OK
        || yajl_gen_array_open(g) != yajl_gen_status_ok)
    {
        return CC_ERROR;
    }

    for (i = 0; i < chat->nmessages; i++) {
        m = &chat->messages[i];

        if (m->nblocks == 0) {
            continue;
        }

        if (yajl_gen_map_open(g) != yajl_gen_status_ok
            || cc_gen_key_str(g, "role", m->role == CC_ROLE_USER
                                         ? &user : &assistant)
               != CC_OK
            || cc_gen_key(g, "content") != CC_OK
            || yajl_gen_array_open(g) != yajl_gen_status_ok)
        {
            return CC_ERROR;
        }

        for (j = 0; j < m->nblocks; j++) {
            if (m->blocks[j].type == CC_BLOCK_REASONING) {
                if (!reasoning) {
                    continue;
                }

                if (cc_gen_reasoning_block(g, &m->blocks[j]) != CC_OK) {
                    return CC_ERROR;
                }

                continue;
            }

            if (cc_gen_block(a, g, &m->blocks[j], as_text) != CC_OK) {
                return CC_ERROR;
            }
        }

        if (yajl_gen_array_close(g) != yajl_gen_status_ok
            || yajl_gen_map_close(g) != yajl_gen_status_ok)
        {
            return CC_ERROR;
        }
    }

    return yajl_gen_array_close(g) == yajl_gen_status_ok ? CC_OK : CC_ERROR;
}


/* as_text: toolUse and toolResult blocks go as text (cc_extras.h) */

static int
cc_gen_block(cc_alloc_t *a, yajl_gen g, const cc_block_t *b, int as_text)
{
    cc_str_t         tool;
    const cc_str_t  *text;

    if (yajl_gen_map_open(g) != yajl_gen_status_ok) {
        return CC_ERROR;
    }

    if (as_text
        && (b->type == CC_BLOCK_TOOL_USE || b->type == CC_BLOCK_TOOL_RESULT))
    {
        if (cc_extras_tool_text(a, b, &tool) != CC_OK
            || cc_gen_key_str(g, "text", &tool) != CC_OK)
        {
            return CC_ERROR;
        }

        return yajl_gen_map_close(g) == yajl_gen_status_ok
               ? CC_OK : CC_ERROR;
    }

    switch (b->type) {

    case CC_BLOCK_IMAGE:
        if (cc_gen_image(g, b) != CC_OK) {
            return CC_ERROR;
        }

        break;

    case CC_BLOCK_TEXT:
        if (cc_gen_key_str(g, "text", &b->text) != CC_OK) {
            return CC_ERROR;
        }

        break;

    case CC_BLOCK_TOOL_USE:
        if (cc_gen_key(g, "toolUse") != CC_OK
            || yajl_gen_map_open(g) != yajl_gen_status_ok
            || cc_gen_key_str(g, "toolUseId", &b->id) != CC_OK
            || cc_gen_key_str(g, "name", &b->name) != CC_OK)
        {
            return CC_ERROR;
        }

        if (b->input != NULL && b->input->type == CC_JSON_OBJECT) {
            if (cc_gen_key(g, "input") != CC_OK
                || cc_json_gen(g, b->input) != CC_OK)
            {
                return CC_ERROR;
            }

        } else if (cc_gen_empty_object(g, "input") != CC_OK) {
            return CC_ERROR;
        }

        if (yajl_gen_map_close(g) != yajl_gen_status_ok) {
            return CC_ERROR;
        }

        break;

    case CC_BLOCK_TOOL_RESULT:
        if (cc_gen_key(g, "toolResult") != CC_OK
            || yajl_gen_map_open(g) != yajl_gen_status_ok
            || cc_gen_key_str(g, "toolUseId", &b->id) != CC_OK
            || cc_gen_key(g, "content") != CC_OK
            || yajl_gen_array_open(g) != yajl_gen_status_ok
            || yajl_gen_map_open(g) != yajl_gen_status_ok)
        {
            return CC_ERROR;
        }

        if (b->result_json != NULL
            && b->result_json->type == CC_JSON_OBJECT)
        {
            if (cc_gen_key(g, "json") != CC_OK
                || cc_json_gen(g, b->result_json) != CC_OK)
            {
                return CC_ERROR;
            }

        } else {
            /* Bedrock rejects blank text, and empty error results */
            text = cc_is_blank(b->result_text.data, b->result_text.len)
                   ? &cc_empty_result_text : &b->result_text;

            if (cc_gen_key_str(g, "text", text) != CC_OK) {
                return CC_ERROR;
            }
        }

        if (yajl_gen_map_close(g) != yajl_gen_status_ok
            || yajl_gen_array_close(g) != yajl_gen_status_ok)
        {
            return CC_ERROR;
        }

        if (b->is_error) {
            if (cc_gen_key(g, "status") != CC_OK
                || cc_gen_lit(g, "error") != yajl_gen_status_ok)
            {
                return CC_ERROR;
            }
        }

        if (yajl_gen_map_close(g) != yajl_gen_status_ok) {
            return CC_ERROR;
        }

        break;

    default:
        return CC_ERROR;
    }

    return yajl_gen_map_close(g) == yajl_gen_status_ok ? CC_OK : CC_ERROR;
}


/* {"image":{"format":"png","source":{"bytes":"<base64>"}}} */

static int
cc_gen_image(yajl_gen g, const cc_block_t *b)
{
    if (cc_gen_key(g, "image") != CC_OK
        || yajl_gen_map_open(g) != yajl_gen_status_ok
        || cc_gen_key_str(g, "format", &b->name) != CC_OK
        || cc_gen_key(g, "source") != CC_OK
        || yajl_gen_map_open(g) != yajl_gen_status_ok
        || cc_gen_key_str(g, "bytes", &b->text) != CC_OK
        || yajl_gen_map_close(g) != yajl_gen_status_ok
        || yajl_gen_map_close(g) != yajl_gen_status_ok)
    {
        return CC_ERROR;
    }

    return CC_OK;
}


/*
 * {"reasoningContent":{"reasoningText":{"text":..,"signature":..}}} or
 * {"reasoningContent":{"redactedContent":"<base64>"}}, as Bedrock sent it
 */
static int
cc_gen_reasoning_block(yajl_gen g, const cc_block_t *b)
{
    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "reasoningContent") || yajl_gen_map_open(g))
    {
        return CC_ERROR;
    }

    if (b->redacted.len) {
        if (cc_gen_lit(g, "redactedContent") || cc_gen_str(g, &b->redacted))
        {
            return CC_ERROR;
        }

    } else {
        if (cc_gen_lit(g, "reasoningText") || yajl_gen_map_open(g)
            || cc_gen_lit(g, "text") || cc_gen_str(g, &b->text))
        {
            return CC_ERROR;
        }

        if (b->signature.len
            && (cc_gen_lit(g, "signature") || cc_gen_str(g, &b->signature)))
        {
            return CC_ERROR;
        }

        if (yajl_gen_map_close(g)) {
            return CC_ERROR;
        }
    }

    return (yajl_gen_map_close(g) || yajl_gen_map_close(g))
           ? CC_ERROR : CC_OK;
}


/*
 * With reasoning, Bedrock's rules: Claude's maxTokens covers the thinking
 * budget and the answer, and Claude takes no temperature and a topP of
 * 0.95 or more only; Nova 2 on "high" takes none of the three.
 */

static int
cc_gen_inference(yajl_gen g, const cc_chat_t *chat,
    const cc_reasoning_plan_t *plan)
{
    size_t    i;
    int64_t   max_tokens;
    unsigned  temperature, top_p;

    max_tokens = chat->max_tokens;
    temperature = chat->has_temperature;
    top_p = chat->has_top_p;

    if (plan->family == CC_REASONING_CLAUDE) {
        max_tokens = cc_reasoning_max_tokens(plan, max_tokens);
        temperature = 0;
        top_p = top_p && chat->top_p >= 0.95;

    } else if (plan->family == CC_REASONING_NOVA2
               && plan->effort == CC_REASONING_HIGH)
    {
        max_tokens = 0;
        temperature = 0;
        top_p = 0;
    }

    if (max_tokens <= 0 && !temperature && !top_p && chat->nstop == 0) {
        return CC_OK;
    }

    if (cc_gen_key(g, "inferenceConfig") != CC_OK
        || yajl_gen_map_open(g) != yajl_gen_status_ok)
    {
        return CC_ERROR;
    }

    if (max_tokens > 0) {
        if (cc_gen_key(g, "maxTokens") != CC_OK
            || yajl_gen_integer(g, (long long) max_tokens)
               != yajl_gen_status_ok)
        {
            return CC_ERROR;
        }
    }

    if (temperature) {
        if (cc_gen_key(g, "temperature") != CC_OK
            || cc_gen_double(g, chat->temperature, &chat->temperature_text)
               != CC_OK)
        {
            return CC_ERROR;
        }
    }

    if (top_p) {
        if (cc_gen_key(g, "topP") != CC_OK
            || cc_gen_double(g, chat->top_p, &chat->top_p_text) != CC_OK)
        {
            return CC_ERROR;
        }
    }

    if (chat->nstop) {
        if (cc_gen_key(g, "stopSequences") != CC_OK
            || yajl_gen_array_open(g) != yajl_gen_status_ok)
        {
            return CC_ERROR;
        }

        for (i = 0; i < chat->nstop; i++) {
            if (cc_gen_str(g, &chat->stop[i]) != yajl_gen_status_ok) {
                return CC_ERROR;
            }
        }

        if (yajl_gen_array_close(g) != yajl_gen_status_ok) {
            return CC_ERROR;
        }
    }

    return yajl_gen_map_close(g) == yajl_gen_status_ok ? CC_OK : CC_ERROR;
}


/*
 * toolConfig: server tools, then the request's own (unless the server has
 * one of the same name).  tool_choice "none" has no Bedrock equivalent:
 * the request's tools are withheld, unless the history holds tool blocks,
 * which Bedrock accepts only with a toolConfig, so they stay without a
 * toolChoice.  Server tools are always offered: "none" speaks for the
 * client's tools.  With tool blocks in the history and no tool at all, a
 * stub spec per name used keeps the history valid.  But "none" with tool
 * blocks in the history sends them as text (as_text): no toolConfig is
 * needed for them, and the client's tools are not offered.  A tool choice
 * that travels in additionalModelRequestFields (cc_extras.h) is not
 * repeated here.
 */

static int
cc_gen_tool_config(cc_alloc_t *a, yajl_gen g, const cc_chat_t *chat,
    const cc_chat_options_t *opts, int as_text, int native)
{
    int               history, request;
    size_t            i, j, n;
    const char       *key;
    const cc_tool_t  *t;

    history = !as_text && cc_has_tool_blocks(chat);

    request = chat->ntools
              && (chat->tool_choice != CC_TOOL_CHOICE_NONE || history);

    n = opts->nserver_tools + (request ? chat->ntools : 0);

    if (n == 0 && !history) {
        return CC_OK;
    }

    if (cc_gen_key(g, "toolConfig") != CC_OK
        || yajl_gen_map_open(g) != yajl_gen_status_ok
        || cc_gen_key(g, "tools") != CC_OK
        || yajl_gen_array_open(g) != yajl_gen_status_ok)
    {
        return CC_ERROR;
    }

    if (n == 0) {
        if (cc_gen_stub_tools(a, g, chat) != CC_OK
            || yajl_gen_array_close(g) != yajl_gen_status_ok)
        {
            return CC_ERROR;
        }

        return yajl_gen_map_close(g) == yajl_gen_status_ok
               ? CC_OK : CC_ERROR;
    }

    for (i = 0; i < opts->nserver_tools; i++) {
        t = &opts->server_tools[i];

        if (cc_gen_tool_spec(g, &t->name, &t->description, t->schema)
            != CC_OK)
        {
            return CC_ERROR;
        }
    }

    for (i = 0; request && i < chat->ntools; i++) {
        t = &chat->tools[i];

        for (j = 0; j < opts->nserver_tools; j++) {
            if (cc_str_cmp(&opts->server_tools[j].name, &t->name) == 0) {
                break;
            }
        }

        if (j < opts->nserver_tools) {
            continue;
        }

        if (cc_gen_tool_spec(g, &t->name, &t->description, t->schema)
            != CC_OK)
        {
            return CC_ERROR;
        }
    }

    if (cc_cache_tools(opts) && cc_gen_cache_point(g) != CC_OK) {
        return CC_ERROR;
    }

    if (yajl_gen_array_close(g) != yajl_gen_status_ok) {
        return CC_ERROR;
    }

    switch (native ? CC_TOOL_CHOICE_DEFAULT : chat->tool_choice) {

    case CC_TOOL_CHOICE_AUTO:
    case CC_TOOL_CHOICE_REQUIRED:
        /* "required" is Bedrock's "any" */
        key = (chat->tool_choice == CC_TOOL_CHOICE_AUTO) ? "auto" : "any";

        if (cc_gen_key(g, "toolChoice") != CC_OK
            || yajl_gen_map_open(g) != yajl_gen_status_ok
            || cc_gen_empty_object(g, key) != CC_OK
            || yajl_gen_map_close(g) != yajl_gen_status_ok)
        {
            return CC_ERROR;
        }

        break;

    case CC_TOOL_CHOICE_NAMED:
        if (cc_gen_key(g, "toolChoice") != CC_OK
            || yajl_gen_map_open(g) != yajl_gen_status_ok
            || cc_gen_key(g, "tool") != CC_OK
            || yajl_gen_map_open(g) != yajl_gen_status_ok
            || cc_gen_key_str(g, "name", &chat->tool_choice_name) != CC_OK
            || yajl_gen_map_close(g) != yajl_gen_status_ok
            || yajl_gen_map_close(g) != yajl_gen_status_ok)
        {
            return CC_ERROR;
        }

        break;

    default:
        break;
    }

    return yajl_gen_map_close(g) == yajl_gen_status_ok ? CC_OK : CC_ERROR;
}


/* one stub spec per distinct toolUse name, sorted for determinism */

static int
cc_gen_stub_tools(cc_alloc_t *a, yajl_gen g, const cc_chat_t *chat)
{
    size_t           i, j, n;
    cc_json_t       *schema;
    cc_name_ref_t   *names;
    static cc_str_t  fallback = cc_string("tool");

    n = 0;

    for (i = 0; i < chat->nmessages; i++) {
        for (j = 0; j < chat->messages[i].nblocks; j++) {
            n += (chat->messages[i].blocks[j].type == CC_BLOCK_TOOL_USE);
        }
    }

    schema = cc_default_schema(a);
    names = cc_alloc(a, (n ? n : 1) * sizeof(cc_name_ref_t));

    if (schema == NULL || names == NULL) {
        return CC_ERROR;
    }

    n = 0;

    for (i = 0; i < chat->nmessages; i++) {
        for (j = 0; j < chat->messages[i].nblocks; j++) {
            if (chat->messages[i].blocks[j].type == CC_BLOCK_TOOL_USE) {
                names[n].name = chat->messages[i].blocks[j].name;
                names[n].index = n;
                n++;
            }
        }
    }

    /* toolResults alone (appended by a caller) still need one spec */
    if (n == 0) {
        names[n].name = fallback;
        names[n].index = 0;
        n++;
    }

    qsort(names, n, sizeof(cc_name_ref_t), cc_name_ref_cmp);

    for (i = 0; i < n; i++) {
        if (i && cc_str_cmp(&names[i - 1].name, &names[i].name) == 0) {
            continue;
        }

        if (cc_gen_tool_spec(g, &names[i].name, &cc_stub_description, schema)
            != CC_OK)
        {
            return CC_ERROR;
        }
    }

    return CC_OK;
}


static int
cc_gen_tool_spec(yajl_gen g, const cc_str_t *name,
    const cc_str_t *description, const cc_json_t *schema)
{
    if (yajl_gen_map_open(g) != yajl_gen_status_ok
        || cc_gen_key(g, "toolSpec") != CC_OK
        || yajl_gen_map_open(g) != yajl_gen_status_ok
        || cc_gen_key_str(g, "name", name) != CC_OK)
    {
        return CC_ERROR;
    }

    if (description->len) {
        if (cc_gen_key_str(g, "description", description) != CC_OK) {
            return CC_ERROR;
        }
    }

    if (cc_gen_key(g, "inputSchema") != CC_OK
        || yajl_gen_map_open(g) != yajl_gen_status_ok
        || cc_gen_key(g, "json") != CC_OK)
    {
        return CC_ERROR;
    }

    if (schema != NULL) {
        if (cc_json_gen(g, schema) != CC_OK) {
            return CC_ERROR;
        }

    } else {
        if (yajl_gen_map_open(g) != yajl_gen_status_ok
            || cc_gen_key(g, "type") != CC_OK
            || cc_gen_lit(g, "object") != yajl_gen_status_ok
            || cc_gen_empty_object(g, "properties") != CC_OK
            || yajl_gen_map_close(g) != yajl_gen_status_ok)
        {
            return CC_ERROR;
        }
    }

    if (yajl_gen_map_close(g) != yajl_gen_status_ok
        || yajl_gen_map_close(g) != yajl_gen_status_ok
        || yajl_gen_map_close(g) != yajl_gen_status_ok)
    {
        return CC_ERROR;
    }

    return CC_OK;
}


int
cc_model_path(cc_alloc_t *a, const cc_str_t *model_id, int stream,
    cc_str_t *out)
{
    u_char  *p;
    size_t   len;

    /* a path label: one segment, so "/" is escaped too */

    len = cc_uri_escape(NULL, model_id->data, model_id->len, 0);

    p = cc_alloc(a, sizeof("/model/") - 1 + len
                    + sizeof("/converse-stream") - 1 + 1);
    if (p == NULL) {
        return CC_ERROR;
    }

    out->data = p;

    p = (u_char *) memcpy(p, "/model/", 7) + 7;
    p += cc_uri_escape(p, model_id->data, model_id->len, 0);

    if (stream) {
        p = (u_char *) memcpy(p, "/converse-stream", 16) + 16;

    } else {
        p = (u_char *) memcpy(p, "/converse", 9) + 9;
    }

    *p = '\0';
    out->len = p - out->data;

    return CC_OK;
}


int
cc_tool_id_valid(const cc_str_t *id)
{
    u_char  c;
    size_t  i;

    if (id->len == 0 || id->len > CC_CHAT_MAX_ID_LEN) {
        return 0;
    }

    for (i = 0; i < id->len; i++) {
        c = id->data[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '_' || c == '.' || c == ':' || c == '-'))
        {
            return 0;
        }
    }

    return 1;
}


int
cc_tool_name_valid(const cc_str_t *name)
{
    u_char  c;
    size_t  i;

    if (name->len == 0 || name->len > CC_CHAT_MAX_NAME_LEN) {
        return 0;
    }

    for (i = 0; i < name->len; i++) {
        c = name->data[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-'))
        {
            return 0;
        }
    }

    return 1;
}


/*
 * Whitespace-only counts as blank for Bedrock.  Besides ASCII whitespace
 * and control characters this takes the Unicode spaces Java's
 * Character.isWhitespace() knows, so a text Bedrock would call blank is
 * dropped here rather than failing the whole request.
 */

int
cc_is_blank(const u_char *p, size_t len)
{
    uint32_t       c;
    const u_char  *end;

    /* a text block with no text has a NULL pointer: no NULL + 0 */
    if (len == 0) {
        return 1;
    }

    end = p + len;

    while (p < end) {
        if (*p <= 0x20) {
            p++;
            continue;
        }

        if (end - p >= 3 && (*p == 0xe1 || *p == 0xe2 || *p == 0xe3)) {
            c = ((uint32_t) (p[0] & 0x0f) << 12)
                | ((uint32_t) (p[1] & 0x3f) << 6)
                | (p[2] & 0x3f);

            if (c == 0x1680
                || (c >= 0x2000 && c <= 0x200a && c != 0x2007)
                || c == 0x2028 || c == 0x2029 || c == 0x205f
                || c == 0x3000)
            {
                p += 3;
                continue;
            }
        }

        return 0;
    }

    return 1;
}


int
cc_has_tool_blocks(const cc_chat_t *chat)
{
    size_t  i, j;

    for (i = 0; i < chat->nmessages; i++) {
        for (j = 0; j < chat->messages[i].nblocks; j++) {
            if (chat->messages[i].blocks[j].type == CC_BLOCK_TOOL_USE
                || chat->messages[i].blocks[j].type == CC_BLOCK_TOOL_RESULT)
            {
                return 1;
            }
        }
    }

    return 0;
}


/* {"type":"object","properties":{}} */

cc_json_t *
cc_default_schema(cc_alloc_t *a)
{
    cc_json_t  *v;

    v = cc_json_object(a, 2);
    if (v == NULL) {
        return NULL;
    }

    v->keys[0] = (cc_str_t) cc_string("type");
    v->values[0] = cc_json_string(a, "object");
    v->keys[1] = (cc_str_t) cc_string("properties");
    v->values[1] = cc_json_object(a, 0);

    if (v->values[0] == NULL || v->values[1] == NULL) {
        return NULL;
    }

    v->n = 2;

    return v;
}


static int
cc_gen_key(yajl_gen g, const char *key)
{
    return yajl_gen_string(g, (const unsigned char *) key, strlen(key))
           == yajl_gen_status_ok ? CC_OK : CC_ERROR;
}


static int
cc_gen_key_str(yajl_gen g, const char *key, const cc_str_t *s)
{
    static u_char  empty[] = "";

    if (cc_gen_key(g, key) != CC_OK) {
        return CC_ERROR;
    }

    return yajl_gen_string(g, s->data ? s->data : empty, s->len)
           == yajl_gen_status_ok ? CC_OK : CC_ERROR;
}


static int
cc_gen_empty_object(yajl_gen g, const char *key)
{
    if (cc_gen_key(g, key) != CC_OK
        || yajl_gen_map_open(g) != yajl_gen_status_ok
        || yajl_gen_map_close(g) != yajl_gen_status_ok)
    {
        return CC_ERROR;
    }

    return CC_OK;
}


/*
 * The client's literal when there is one, so 0.7 goes out as 0.7; else
 * the shortest "%.*g" that reads back as the same double.
 */

static int
cc_gen_double(yajl_gen g, double d, const cc_str_t *text)
{
    int   prec, n;
    char  buf[32];

    if (text->len) {
        return yajl_gen_number(g, (const char *) text->data, text->len)
               == yajl_gen_status_ok ? CC_OK : CC_ERROR;
    }

    n = 0;

    for (prec = 1; prec <= 17; prec++) {
        n = snprintf(buf, sizeof(buf), "%.*g", prec, d);
        if (strtod(buf, NULL) == d) {
            break;
        }
    }

    return yajl_gen_number(g, buf, n) == yajl_gen_status_ok
           ? CC_OK : CC_ERROR;
}


int
cc_name_ref_cmp(const void *one, const void *two)
{
    int                   rc;
    const cc_name_ref_t  *n1, *n2;

    n1 = one;
    n2 = two;

    rc = cc_str_cmp(&n1->name, &n2->name);
    if (rc != 0) {
        return rc;
    }

    return (n1->index > n2->index) - (n1->index < n2->index);
}
