
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_bedrock.h"
#include "cc_uri.h"


static int cc_has_tool_blocks(const cc_chat_t *chat);
static int cc_gen_key(yajl_gen g, const char *key);
static int cc_gen_key_str(yajl_gen g, const char *key, const cc_str_t *s);
static int cc_gen_double(yajl_gen g, double d, const cc_str_t *text);
static int cc_gen_empty_object(yajl_gen g, const char *key);
static int cc_gen_system(yajl_gen g, const cc_chat_t *chat);
static int cc_gen_messages(yajl_gen g, const cc_chat_t *chat);
static int cc_gen_block(yajl_gen g, const cc_block_t *b);
static int cc_gen_inference(yajl_gen g, const cc_chat_t *chat);
static int cc_gen_tool_spec(yajl_gen g, const cc_str_t *name,
    const cc_str_t *description, const cc_json_t *schema);
static int cc_gen_tool_config(cc_alloc_t *a, yajl_gen g,
    const cc_chat_t *chat, const cc_chat_options_t *opts);
static int cc_gen_stub_tools(cc_alloc_t *a, yajl_gen g,
    const cc_chat_t *chat);


static cc_str_t  cc_stub_description =
    cc_string("Tool used earlier in this conversation.");

cc_str_t  cc_empty_result_text = cc_string("(empty result)");


int
cc_bedrock_body(cc_alloc_t *a, const cc_chat_t *chat,
    const cc_chat_options_t *opts, cc_str_t *out)
{
    yajl_gen                  g;
    cc_gen_out_t              o;
    static cc_chat_options_t  no_opts;

    if (opts == NULL) {
        opts = &no_opts;
    }

    cc_gen_out_init(&o, a);

    g = cc_gen_create(a, &o);
    if (g == NULL) {
        return CC_ERROR;
    }

    if (yajl_gen_map_open(g) != yajl_gen_status_ok
        || cc_gen_system(g, chat) != CC_OK
        || cc_gen_messages(g, chat) != CC_OK
        || cc_gen_inference(g, chat) != CC_OK
        || cc_gen_tool_config(a, g, chat, opts) != CC_OK
        || yajl_gen_map_close(g) != yajl_gen_status_ok)
    {
        return CC_ERROR;
    }

    out->data = NULL;
    out->len = 0;

    return cc_gen_output(a, &o, out);
}


static int
cc_gen_system(yajl_gen g, const cc_chat_t *chat)
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

    return yajl_gen_array_close(g) == yajl_gen_status_ok ? CC_OK : CC_ERROR;
}


static int
cc_gen_messages(yajl_gen g, const cc_chat_t *chat)
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
            if (cc_gen_block(g, &m->blocks[j]) != CC_OK) {
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


static int
cc_gen_block(yajl_gen g, const cc_block_t *b)
{
    const cc_str_t  *text;

    if (yajl_gen_map_open(g) != yajl_gen_status_ok) {
        return CC_ERROR;
    }

    switch (b->type) {

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


static int
cc_gen_inference(yajl_gen g, const cc_chat_t *chat)
{
    size_t  i;

    if (chat->max_tokens <= 0 && !chat->has_temperature && !chat->has_top_p
        && chat->nstop == 0)
    {
        return CC_OK;
    }

    if (cc_gen_key(g, "inferenceConfig") != CC_OK
        || yajl_gen_map_open(g) != yajl_gen_status_ok)
    {
        return CC_ERROR;
    }

    if (chat->max_tokens > 0) {
        if (cc_gen_key(g, "maxTokens") != CC_OK
            || yajl_gen_integer(g, (long long) chat->max_tokens)
               != yajl_gen_status_ok)
        {
            return CC_ERROR;
        }
    }

    if (chat->has_temperature) {
        if (cc_gen_key(g, "temperature") != CC_OK
            || cc_gen_double(g, chat->temperature, &chat->temperature_text)
               != CC_OK)
        {
            return CC_ERROR;
        }
    }

    if (chat->has_top_p) {
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
 * stub spec per name used keeps the history valid.
 */

static int
cc_gen_tool_config(cc_alloc_t *a, yajl_gen g, const cc_chat_t *chat,
    const cc_chat_options_t *opts)
{
    int               history, request;
    size_t            i, j, n;
    const char       *key;
    const cc_tool_t  *t;

    history = cc_has_tool_blocks(chat);

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

    if (yajl_gen_array_close(g) != yajl_gen_status_ok) {
        return CC_ERROR;
    }

    switch (chat->tool_choice) {

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


static int
cc_has_tool_blocks(const cc_chat_t *chat)
{
    size_t  i, j;

    for (i = 0; i < chat->nmessages; i++) {
        for (j = 0; j < chat->messages[i].nblocks; j++) {
            if (chat->messages[i].blocks[j].type != CC_BLOCK_TEXT) {
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
