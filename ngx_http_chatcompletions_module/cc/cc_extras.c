
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <stdio.h>
#include <string.h>

#include "cc_extras.h"


static int cc_extras_tier(cc_parse_t *p, const cc_json_t *root);
static int cc_extras_metadata(cc_parse_t *p, const cc_json_t *root);
static int cc_extras_user(cc_parse_t *p, const cc_json_t *root);
static int cc_extras_bedrock_string(const cc_str_t *s, size_t min);
static int cc_extras_gen_guardrail(yajl_gen g,
    const cc_extras_conf_t *conf);
static int cc_extras_gen_metadata(yajl_gen g, const cc_extras_t *x);


int
cc_extras_parse(cc_parse_t *p, const cc_json_t *root)
{
    cc_json_t  *v;

    p->chat->extras.parallel_tool_calls = -1;

    v = cc_json_get(root, "parallel_tool_calls");
    if (cc_parse_check(p, v, "parallel_tool_calls", CC_T_NULL | CC_T_BOOL,
                       "a boolean")
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (v != NULL && v->type != CC_JSON_NULL) {
        p->chat->extras.parallel_tool_calls = (v->type == CC_JSON_TRUE);
    }

    if (cc_extras_tier(p, root) != CC_OK) {
        return CC_ERROR;
    }

    /* off by default: Vapi sends a metadata object of its own shape */

    if (!p->opts->extras.request_metadata) {
        return CC_OK;
    }

    if (cc_extras_metadata(p, root) != CC_OK
        || cc_extras_user(p, root) != CC_OK)
    {
        return CC_ERROR;
    }

    return CC_OK;
}


/*
 * OpenAI's service_tier: "auto" (or nothing) is the configured tier; a
 * tier the configuration lets clients ask for replaces it; any other
 * known tier is ignored (the answer's service_tier says which one
 * served); an unknown value is refused as OpenAI does.
 */

static int
cc_extras_tier(cc_parse_t *p, const cc_json_t *root)
{
    char        show[CC_SHOW_LEN + 4];
    unsigned    tier;
    cc_json_t  *v;

    v = cc_json_get(root, "service_tier");
    if (cc_parse_check(p, v, "service_tier", CC_T_NULL | CC_T_STRING,
                       "a string")
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (v == NULL || v->type == CC_JSON_NULL || cc_json_is(v, "auto")) {
        return CC_OK;
    }

    if (cc_json_is(v, "default")) {
        tier = CC_TIER_DEFAULT;

    } else if (cc_json_is(v, "priority")) {
        tier = CC_TIER_PRIORITY;

    } else if (cc_json_is(v, "flex")) {
        tier = CC_TIER_FLEX;

    } else if (cc_json_is(v, "scale")) {
        tier = 0;

    } else {
        cc_show(show, sizeof(show), v->str.data, v->str.len);

        return cc_parse_error(p, "invalid_value", "service_tier",
                              "Invalid value for 'service_tier': '%s'. "
                              "Supported values are: 'auto', 'default', "
                              "'flex', 'scale' and 'priority'.", show);
    }

    if (tier & p->opts->extras.tiers_allowed) {
        p->chat->extras.service_tier = v->str;
    }

    return CC_OK;
}


/*
 * OpenAI's metadata: up to 16 string values, keys up to 64 characters,
 * values up to 512, refused otherwise as OpenAI does.  A pair Bedrock
 * would refuse (an empty key, a character outside its set, a value over
 * 256 characters) is left out rather than failing the request.
 */

static int
cc_extras_metadata(cc_parse_t *p, const cc_json_t *root)
{
    char           path[CC_PATH_LEN], show[CC_SHOW_LEN + 4];
    size_t         i;
    cc_json_t     *v, *s;
    cc_extras_t   *x;

    x = &p->chat->extras;

    v = cc_json_get(root, "metadata");
    if (cc_parse_check(p, v, "metadata", CC_T_NULL | CC_T_OBJECT,
                       "an object")
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (v == NULL || v->type == CC_JSON_NULL || v->n == 0) {
        return CC_OK;
    }

    if (v->n > CC_EXTRAS_METADATA_MAX) {
        return cc_parse_error(p, "object_above_max_properties", "metadata",
                              "Invalid 'metadata': too many properties. "
                              "Expected an object with at most %d "
                              "properties, but got an object with %zu "
                              "properties instead.", CC_EXTRAS_METADATA_MAX,
                              v->n);
    }

    /* one more for user */
    x->metadata = cc_alloc(p->alloc, (v->n + 1) * sizeof(cc_pair_t));
    if (x->metadata == NULL) {
        return cc_no_memory(p->err);
    }

    for (i = 0; i < v->n; i++) {
        s = v->values[i];

        cc_show(show, sizeof(show), v->keys[i].data, v->keys[i].len);
        cc_path(path, "metadata.%s", show);

        if (v->keys[i].len > CC_EXTRAS_OPENAI_KEY_LEN) {
            return cc_parse_error(p, "string_above_max_length", "metadata",
                                  "Invalid 'metadata': key '%s' too long. "
                                  "Expected a key with maximum length %d, "
                                  "but got a key with length %zu instead.",
                                  show, CC_EXTRAS_OPENAI_KEY_LEN,
                                  v->keys[i].len);
        }

        if (cc_parse_check(p, s, path, CC_T_STRING, "a string") != CC_OK) {
            return CC_ERROR;
        }

        if (s->str.len > CC_EXTRAS_OPENAI_VALUE_LEN) {
            return cc_parse_error(p, "string_above_max_length", path,
                                  "Invalid '%s': string too long. Expected "
                                  "a string with maximum length %d, but got "
                                  "a string with length %zu instead.", path,
                                  CC_EXTRAS_OPENAI_VALUE_LEN, s->str.len);
        }

        if (!cc_extras_bedrock_string(&v->keys[i], 1)
            || !cc_extras_bedrock_string(&s->str, 0))
        {
            continue;
        }

        x->metadata[x->nmetadata].key = v->keys[i];
        x->metadata[x->nmetadata++].value = s->str;
    }

    return CC_OK;
}


/*
 * user: a string; sent as the pair "user" when metadata has no key of
 * that name, has room for it, and Bedrock would take the value
 */

static int
cc_extras_user(cc_parse_t *p, const cc_json_t *root)
{
    size_t          i;
    cc_json_t      *v;
    cc_extras_t    *x;
    static cc_str_t  user = cc_string("user");

    x = &p->chat->extras;

    v = cc_json_get(root, "user");
    if (cc_parse_check(p, v, "user", CC_T_NULL | CC_T_STRING, "a string")
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (v == NULL || v->type == CC_JSON_NULL || v->str.len == 0
        || !cc_extras_bedrock_string(&v->str, 1)
        || x->nmetadata >= CC_EXTRAS_METADATA_MAX)
    {
        return CC_OK;
    }

    for (i = 0; i < x->nmetadata; i++) {
        if (cc_str_cmp(&x->metadata[i].key, &user) == 0) {
            return CC_OK;
        }
    }

    if (x->metadata == NULL) {
        x->metadata = cc_alloc(p->alloc, sizeof(cc_pair_t));
        if (x->metadata == NULL) {
            return cc_no_memory(p->err);
        }
    }

    x->metadata[x->nmetadata].key = user;
    x->metadata[x->nmetadata++].value = v->str;

    return CC_OK;
}


/* Bedrock's requestMetadata strings: [a-zA-Z0-9\s:_@$#=/+,-.]{min,256} */

static int
cc_extras_bedrock_string(const cc_str_t *s, size_t min)
{
    u_char  c;
    size_t  i;

    if (s->len < min || s->len > CC_EXTRAS_METADATA_LEN) {
        return 0;
    }

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9'))
        {
            continue;
        }

        if (strchr(" \t\n\r\f\v:_@$#=/+,-.", c) == NULL || c == '\0') {
            return 0;
        }
    }

    return 1;
}


int
cc_extras_gen(yajl_gen g, const cc_chat_t *chat,
    const cc_chat_options_t *opts)
{
    const cc_str_t          *tier;
    const cc_extras_conf_t  *conf;

    conf = &opts->extras;

    if (conf->guardrail_id.len && cc_extras_gen_guardrail(g, conf) != CC_OK)
    {
        return CC_ERROR;
    }

    if (chat->extras.nmetadata
        && cc_extras_gen_metadata(g, &chat->extras) != CC_OK)
    {
        return CC_ERROR;
    }

    if (conf->latency.len) {
        if (cc_gen_lit(g, "performanceConfig") || yajl_gen_map_open(g)
            || cc_gen_lit(g, "latency") || cc_gen_str(g, &conf->latency)
            || yajl_gen_map_close(g))
        {
            return CC_ERROR;
        }
    }

    tier = chat->extras.service_tier.len ? &chat->extras.service_tier
                                         : &conf->service_tier;

    if (tier->len) {
        if (cc_gen_lit(g, "serviceTier") || yajl_gen_map_open(g)
            || cc_gen_lit(g, "type") || cc_gen_str(g, tier)
            || yajl_gen_map_close(g))
        {
            return CC_ERROR;
        }
    }

    return CC_OK;
}


/* streamProcessingMode exists in ConverseStream's guardrailConfig only */

static int
cc_extras_gen_guardrail(yajl_gen g, const cc_extras_conf_t *conf)
{
    if (cc_gen_lit(g, "guardrailConfig") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "guardrailIdentifier")
        || cc_gen_str(g, &conf->guardrail_id)
        || cc_gen_lit(g, "guardrailVersion")
        || cc_gen_str(g, &conf->guardrail_version))
    {
        return CC_ERROR;
    }

    if (conf->guardrail_trace.len
        && (cc_gen_lit(g, "trace")
            || cc_gen_str(g, &conf->guardrail_trace)))
    {
        return CC_ERROR;
    }

    if (conf->stream && conf->guardrail_stream.len
        && (cc_gen_lit(g, "streamProcessingMode")
            || cc_gen_str(g, &conf->guardrail_stream)))
    {
        return CC_ERROR;
    }

    return yajl_gen_map_close(g) ? CC_ERROR : CC_OK;
}


/*
 * Anthropic's own tool_choice, which Converse passes on to Claude:
 * "tool_choice":{"type":"auto"|"any"|"tool","name":..,
 * "disable_parallel_tool_use":true}
 */

int
cc_extras_gen_native(yajl_gen g, const cc_chat_t *chat)
{
    const char  *type;

    switch (chat->tool_choice) {
    case CC_TOOL_CHOICE_REQUIRED:
        type = "any";
        break;
    case CC_TOOL_CHOICE_NAMED:
        type = "tool";
        break;
    default:
        type = "auto";
        break;
    }

    if (cc_gen_lit(g, "tool_choice") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "type")
        || yajl_gen_string(g, (const u_char *) type, strlen(type)))
    {
        return CC_ERROR;
    }

    if (chat->tool_choice == CC_TOOL_CHOICE_NAMED
        && (cc_gen_lit(g, "name") || cc_gen_str(g, &chat->tool_choice_name)))
    {
        return CC_ERROR;
    }

    if (cc_gen_lit(g, "disable_parallel_tool_use") || yajl_gen_bool(g, 1)
        || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    return CC_OK;
}


static int
cc_extras_gen_metadata(yajl_gen g, const cc_extras_t *x)
{
    size_t  i;

    if (cc_gen_lit(g, "requestMetadata") || yajl_gen_map_open(g))
    {
        return CC_ERROR;
    }

    for (i = 0; i < x->nmetadata; i++) {
        if (cc_gen_str(g, &x->metadata[i].key)
            || cc_gen_str(g, &x->metadata[i].value))
        {
            return CC_ERROR;
        }
    }

    return yajl_gen_map_close(g) ? CC_ERROR : CC_OK;
}


int
cc_extras_is_claude(const cc_str_t *model)
{
    size_t  i, n;

    n = sizeof("anthropic.claude") - 1;

    for (i = 0; i + n <= model->len; i++) {
        if (memcmp(model->data + i, "anthropic.claude", n) == 0) {
            return 1;
        }
    }

    return 0;
}


int
cc_extras_native_tool_choice(const cc_chat_t *chat,
    const cc_chat_options_t *opts)
{
    if (chat->extras.parallel_tool_calls != 0
        || chat->tool_choice == CC_TOOL_CHOICE_NONE
        || !cc_extras_is_claude(&opts->extras.model))
    {
        return 0;
    }

    return chat->ntools || opts->nserver_tools;
}


int
cc_extras_tools_as_text(const cc_chat_t *chat)
{
    return chat->tool_choice == CC_TOOL_CHOICE_NONE
           && cc_has_tool_blocks(chat);
}


/*
 * "[tool call ID: NAME {json}]" and "[tool result ID: text]" (or
 * "[tool error ID: text]"): what the model is told of calls it cannot
 * make again
 */

int
cc_extras_tool_text(cc_alloc_t *a, const cc_block_t *b, cc_str_t *out)
{
    u_char    *p;
    size_t     len;
    cc_str_t   body;

    if (b->type == CC_BLOCK_TOOL_USE) {
        if (b->input != NULL) {
            if (cc_json_serialize(a, b->input, &body) != CC_OK) {
                return CC_ERROR;
            }

        } else {
            body.data = (u_char *) "{}";
            body.len = 2;
        }

        len = sizeof("[tool call : ]") - 1 + b->id.len + b->name.len
              + 1 + body.len;

        p = cc_alloc(a, len + 1);
        if (p == NULL) {
            return CC_ERROR;
        }

        out->data = p;
        out->len = snprintf((char *) p, len + 1, "[tool call %.*s: %.*s %.*s]",
                            (int) b->id.len, b->id.data,
                            (int) b->name.len, b->name.data,
                            (int) body.len, body.data);
        return CC_OK;
    }

    if (b->result_json != NULL) {
        if (cc_json_serialize(a, b->result_json, &body) != CC_OK) {
            return CC_ERROR;
        }

    } else if (cc_is_blank(b->result_text.data, b->result_text.len)) {
        body = cc_empty_result_text;

    } else {
        body = b->result_text;
    }

    len = sizeof("[tool result : ]") - 1 + b->id.len + body.len;

    p = cc_alloc(a, len + 1);
    if (p == NULL) {
        return CC_ERROR;
    }

    out->data = p;
    out->len = snprintf((char *) p, len + 1, "[tool %s %.*s: %.*s]",
                        b->is_error ? "error" : "result",
                        (int) b->id.len, b->id.data,
                        (int) body.len, body.data);

    return CC_OK;
}


int
cc_extras_meta(cc_alloc_t *a, cc_stream_t *s, const cc_json_t *ev)
{
    cc_json_t  *v;

    v = cc_json_get(cc_json_get(ev, "trace"), "guardrail");

    if (v != NULL && v->type == CC_JSON_OBJECT
        && cc_json_serialize(a, v, &s->guardrail_trace) != CC_OK)
    {
        return CC_ERROR;
    }

    v = cc_json_get(cc_json_get(ev, "serviceTier"), "type");

    if (v != NULL && v->type == CC_JSON_STRING && v->str.len
        && cc_str_dup(a, &v->str, &s->service_tier) != CC_OK)
    {
        return CC_ERROR;
    }

    return CC_OK;
}


int
cc_extras_drop_tool_call(cc_stream_t *s, const cc_str_t *name)
{
    if (!s->one_tool_call || s->next_index == 0) {
        return 0;
    }

    return !(s->is_server_tool
             && s->is_server_tool(s->is_server_tool_data, name));
}


int
cc_extras_gen_tier(yajl_gen g, const cc_stream_t *s)
{
    if (s->service_tier.len == 0) {
        return CC_OK;
    }

    return (cc_gen_lit(g, "service_tier") || cc_gen_str(g, &s->service_tier))
           ? CC_ERROR : CC_OK;
}

