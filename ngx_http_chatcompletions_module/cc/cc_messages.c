
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_messages.h"
#include "cc_image.h"


#define CC_EXPECT_CONTENT    "a string or an array of content parts"

/* what content parts a role may send */
#define CC_PARTS_TEXT        0              /* system, developer, tool */
#define CC_PARTS_ASSISTANT   1              /* text and refusal */
#define CC_PARTS_USER        2              /* text and image_url */


static int cc_parse_message(cc_parse_t *p, const cc_json_t *m,
    const char *path, cc_message_t *out, int *skip);
static int cc_parse_parts(cc_parse_t *p, const cc_json_t *content,
    const char *path, int kind, cc_block_t **parts, size_t *n);
static int cc_parse_tool_calls(cc_parse_t *p, const cc_json_t *calls,
    const char *path, cc_message_t *msg);
static int cc_parse_tool_result(cc_parse_t *p, const cc_json_t *m,
    const char *path, cc_message_t *msg);
static int cc_unique_call_ids(cc_parse_t *p, const cc_json_t *calls,
    const char *path, const cc_message_t *msg, size_t first);
static int cc_tool_id(cc_alloc_t *a, const cc_str_t *id, cc_str_t *out);
static int cc_parse_reasoning_blocks(cc_parse_t *p, const cc_json_t *m,
    const char *path, cc_block_t *blocks, size_t *n);
static int cc_check_answer(cc_parse_t *p, const cc_json_t *msgs, size_t i,
    cc_message_t *calls, u_char *answered, const cc_message_t *m);
static int cc_check_answered(cc_parse_t *p, const cc_json_t *msgs, size_t k,
    const cc_message_t *calls, const u_char *answered);


int
cc_parse_messages(cc_parse_t *p, const cc_json_t *root, cc_message_t **raw,
    size_t *nraw)
{
    int                skip;
    char               path[CC_PATH_LEN];
    u_char            *answered;
    size_t             i, n, k, nsys, ncalls;
    cc_json_t         *msgs, *m, *c;
    cc_message_t      *out, *calls;
    const cc_str_t    *prompt;

    msgs = cc_json_get(root, "messages");

    if (msgs == NULL || msgs->type == CC_JSON_NULL) {
        return cc_parse_missing(p, "messages");
    }

    if (cc_parse_check(p, msgs, "messages", CC_T_ARRAY, "an array")
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (msgs->n == 0) {
        return cc_parse_error(p, "empty_array", "messages",
                              "Invalid 'messages': empty array. Expected an "
                              "array with minimum length 1, but got an empty "
                              "array instead.");
    }

    /* an upper bound of the system texts, to size the array once */

    nsys = 1;

    for (i = 0; i < msgs->n; i++) {
        c = cc_json_get(msgs->values[i], "content");
        nsys += (c != NULL && c->type == CC_JSON_ARRAY) ? c->n : 1;
    }

    p->chat->system = cc_alloc(p->alloc, nsys * sizeof(cc_str_t));
    out = cc_calloc(p->alloc, msgs->n * sizeof(cc_message_t));

    if (p->chat->system == NULL || out == NULL) {
        return cc_no_memory(p->err);
    }

    /* the configured prompt goes before the request's own */

    prompt = &p->opts->system_prompt;

    if (prompt->len && !cc_is_blank(prompt->data, prompt->len)) {
        p->chat->system[p->chat->nsystem++] = *prompt;
    }

    /*
     * OpenAI's pairing of tool calls and tool messages: the calls of an
     * assistant message (calls, the k-th message) are answered by the
     * tool messages right after it, each call once, before any other
     * message; calls still open at the end get an error result
     * (cc_turns.c).
     */

    n = 0;
    k = 0;
    calls = NULL;
    answered = NULL;

    for (i = 0; i < msgs->n; i++) {
        m = msgs->values[i];

        cc_path(path, "messages[%zu]", i);

        if (cc_parse_message(p, m, path, &out[n], &skip) != CC_OK) {
            return CC_ERROR;
        }

        if (!skip && cc_json_is(cc_json_get(m, "role"), "tool")) {
            if (cc_check_answer(p, msgs, i, calls, answered, &out[n])
                != CC_OK)
            {
                return CC_ERROR;
            }

            n++;
            continue;
        }

        if (calls != NULL
            && cc_check_answered(p, msgs, k, calls, answered) != CC_OK)
        {
            return CC_ERROR;
        }

        calls = NULL;

        if (!skip) {
            ncalls = 0;

            for (c = NULL, nsys = 0; nsys < out[n].nblocks; nsys++) {
                ncalls += (out[n].blocks[nsys].type == CC_BLOCK_TOOL_USE);
            }

            if (ncalls) {
                answered = cc_calloc(p->alloc, out[n].nblocks);
                if (answered == NULL) {
                    return cc_no_memory(p->err);
                }

                calls = &out[n];
                k = i;
            }

            n++;
        }
    }

    *raw = out;
    *nraw = n;

    return CC_OK;
}


static int
cc_parse_message(cc_parse_t *p, const cc_json_t *m, const char *path,
    cc_message_t *out, int *skip)
{
    int          kind;
    char         sub[CC_PATH_LEN], show[CC_SHOW_LEN + 4];
    size_t       i, n;
    cc_json_t   *role, *content, *calls;
    cc_chat_t   *chat;
    cc_block_t  *b, *parts;

    chat = p->chat;
    *skip = 0;

    if (cc_parse_check(p, m, path, CC_T_OBJECT, "an object") != CC_OK) {
        return CC_ERROR;
    }

    cc_path(sub, "%s.role", path);

    role = cc_json_get(m, "role");
    if (role == NULL) {
        return cc_parse_missing(p, sub);
    }

    if (cc_parse_check(p, role, sub, CC_T_STRING, "a string") != CC_OK) {
        return CC_ERROR;
    }

    if (cc_json_is(role, "function")) {
        return cc_parse_error(p, "unsupported_value", sub,
                              "Invalid value for '%s': 'function'. The "
                              "legacy 'function' role is not supported; "
                              "send the result as a 'tool' message with a "
                              "'tool_call_id' instead.", sub);
    }

    if (!cc_json_is(role, "system") && !cc_json_is(role, "developer")
        && !cc_json_is(role, "user") && !cc_json_is(role, "assistant")
        && !cc_json_is(role, "tool"))
    {
        cc_show(show, sizeof(show), role->str.data, role->str.len);

        return cc_parse_error(p, "invalid_value", sub,
                              "Invalid value for '%s': '%s'. Supported "
                              "values are: 'system', 'developer', 'user', "
                              "'assistant' and 'tool'.", sub, show);
    }

    if (cc_json_is(role, "tool")) {
        out->role = CC_ROLE_USER;
        return cc_parse_tool_result(p, m, path, out);
    }

    cc_path(sub, "%s.content", path);

    content = cc_json_get(m, "content");

    if (cc_json_is(role, "assistant")) {
        out->role = CC_ROLE_ASSISTANT;

        /* content may be absent or null next to tool_calls */
        if (cc_parse_check(p, content, sub,
                           CC_T_NULL | CC_T_STRING | CC_T_ARRAY,
                           CC_EXPECT_CONTENT)
            != CC_OK)
        {
            return CC_ERROR;
        }

    } else {
        out->role = CC_ROLE_USER;

        if (content == NULL) {
            return cc_parse_missing(p, sub);
        }

        if (cc_parse_check(p, content, sub, CC_T_STRING | CC_T_ARRAY,
                           CC_EXPECT_CONTENT)
            != CC_OK)
        {
            return CC_ERROR;
        }
    }

    parts = NULL;
    n = 0;

    if (out->role == CC_ROLE_ASSISTANT) {
        kind = CC_PARTS_ASSISTANT;

    } else if (cc_json_is(role, "user")) {
        kind = CC_PARTS_USER;

    } else {
        kind = CC_PARTS_TEXT;
    }

    if (content != NULL && content->type != CC_JSON_NULL) {
        if (cc_parse_parts(p, content, sub, kind, &parts, &n) != CC_OK) {
            return CC_ERROR;
        }
    }

    if (cc_json_is(role, "system") || cc_json_is(role, "developer")) {

        /*
         * Bedrock has one system list, so system and developer messages
         * are hoisted there in order wherever they appear
         */
        for (i = 0; i < n; i++) {
            if (!cc_is_blank(parts[i].text.data, parts[i].text.len)) {
                chat->system[chat->nsystem++] = parts[i].text;
            }
        }

        *skip = 1;
        return CC_OK;
    }

    calls = NULL;

    if (out->role == CC_ROLE_ASSISTANT) {
        cc_path(sub, "%s.tool_calls", path);

        calls = cc_json_get(m, "tool_calls");
        if (cc_parse_check(p, calls, sub, CC_T_NULL | CC_T_ARRAY, "an array")
            != CC_OK)
        {
            return CC_ERROR;
        }

        if (calls != NULL && calls->type != CC_JSON_ARRAY) {
            calls = NULL;
        }
    }

    out->nalloc = n + (calls ? calls->n : 0);

    if (out->nalloc) {
        /* room for the reasoning blocks of an assistant turn too */
        out->nalloc += 2;

        out->blocks = cc_calloc(p->alloc, out->nalloc * sizeof(cc_block_t));
        if (out->blocks == NULL) {
            return cc_no_memory(p->err);
        }

        if (out->role == CC_ROLE_ASSISTANT
            && cc_parse_reasoning_blocks(p, m, path, out->blocks,
                                         &out->nblocks)
               != CC_OK)
        {
            return CC_ERROR;
        }
    }

    for (i = 0; i < n; i++) {
        b = &out->blocks[out->nblocks++];
        *b = parts[i];
    }

    if (calls != NULL) {
        return cc_parse_tool_calls(p, calls, sub, out);
    }

    return CC_OK;
}


/*
 * The reasoning an assistant turn carries back (the module's own fields,
 * as it answers them): "reasoning_content" with "reasoning_signature"
 * becomes {"reasoningContent":{"reasoningText":{text, signature}}}, and
 * "reasoning_redacted" {"reasoningContent":{"redactedContent":..}}, first
 * in the turn as Bedrock wants them.  Text without a signature is not
 * sent back: Bedrock checks the signature of every reasoning text.
 */

static int
cc_parse_reasoning_blocks(cc_parse_t *p, const cc_json_t *m,
    const char *path, cc_block_t *blocks, size_t *n)
{
    char         sub[CC_PATH_LEN];
    cc_json_t   *text, *sig, *red;
    cc_block_t  *b;

    text = cc_json_get(m, "reasoning_content");
    sig = cc_json_get(m, "reasoning_signature");
    red = cc_json_get(m, "reasoning_redacted");

    cc_path(sub, "%s.reasoning_content", path);

    if (cc_parse_check(p, text, sub, CC_T_NULL | CC_T_STRING, "a string")
        != CC_OK)
    {
        return CC_ERROR;
    }

    cc_path(sub, "%s.reasoning_signature", path);

    if (cc_parse_check(p, sig, sub, CC_T_NULL | CC_T_STRING, "a string")
        != CC_OK)
    {
        return CC_ERROR;
    }

    cc_path(sub, "%s.reasoning_redacted", path);

    if (cc_parse_check(p, red, sub, CC_T_NULL | CC_T_STRING, "a string")
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (text != NULL && text->type == CC_JSON_STRING && text->str.len
        && sig != NULL && sig->type == CC_JSON_STRING && sig->str.len)
    {
        b = &blocks[(*n)++];
        b->type = CC_BLOCK_REASONING;
        b->text = text->str;
        b->signature = sig->str;
    }

    if (red != NULL && red->type == CC_JSON_STRING && red->str.len) {
        b = &blocks[(*n)++];
        b->type = CC_BLOCK_REASONING;
        b->redacted = red->str;
    }

    return CC_OK;
}


/*
 * Content as a string or as parts; every part becomes one block: text (an
 * assistant's refusal parts count as text), or a user's image
 * (cc_image.h).  The strings point into the DOM.
 */

static int
cc_parse_parts(cc_parse_t *p, const cc_json_t *content, const char *path,
    int kind, cc_block_t **parts, size_t *n)
{
    char             sub[CC_PATH_LEN], tpath[CC_PATH_LEN];
    char             show[CC_SHOW_LEN + 4];
    size_t           i;
    cc_json_t       *part, *type, *text;
    cc_block_t      *out;
    const char      *field;

    out = cc_calloc(p->alloc,
                    (content->type == CC_JSON_ARRAY && content->n
                     ? content->n : 1) * sizeof(cc_block_t));
    if (out == NULL) {
        return cc_no_memory(p->err);
    }

    if (content->type == CC_JSON_STRING) {
        out[0].type = CC_BLOCK_TEXT;
        out[0].text = content->str;
        *parts = out;
        *n = 1;
        return CC_OK;
    }

    for (i = 0; i < content->n; i++) {
        part = content->values[i];

        cc_path(sub, "%s[%zu]", path, i);

        if (cc_parse_check(p, part, sub, CC_T_OBJECT, "an object")
            != CC_OK)
        {
            return CC_ERROR;
        }

        cc_path(tpath, "%s.type", sub);

        type = cc_json_get(part, "type");
        if (type == NULL) {
            return cc_parse_missing(p, tpath);
        }

        if (cc_parse_check(p, type, tpath, CC_T_STRING, "a string")
            != CC_OK)
        {
            return CC_ERROR;
        }

        if (cc_json_is(type, "text")) {
            field = "text";

        } else if (kind == CC_PARTS_ASSISTANT
                   && cc_json_is(type, "refusal"))
        {
            field = "refusal";

        } else if (kind == CC_PARTS_USER && cc_json_is(type, "image_url")) {
            if (cc_parse_image(p, part, sub, &out[i]) != CC_OK) {
                return CC_ERROR;
            }

            continue;

        } else if (cc_json_is(type, "input_audio")
                   || cc_json_is(type, "file"))
        {
            return cc_parse_error(p, "unsupported_value", tpath,
                                  "Invalid value for '%s': '%s'. Content "
                                  "parts of type '%s' are not supported by "
                                  "this server; only 'text' and 'image_url' "
                                  "parts are.",
                                  tpath, type->str.data, type->str.data);

        } else {
            cc_show(show, sizeof(show), type->str.data, type->str.len);

            return cc_parse_error(p, "invalid_value", tpath,
                                  "Invalid value for '%s': '%s'. Supported "
                                  "values are: %s.", tpath, show,
                                  kind == CC_PARTS_ASSISTANT
                                  ? "'text' and 'refusal'"
                                  : kind == CC_PARTS_USER
                                  ? "'text' and 'image_url'" : "'text'");
        }

        cc_path(tpath, "%s.%s", sub, field);

        text = cc_json_get(part, field);
        if (text == NULL) {
            return cc_parse_missing(p, tpath);
        }

        if (cc_parse_check(p, text, tpath, CC_T_STRING, "a string")
            != CC_OK)
        {
            return CC_ERROR;
        }

        out[i].type = CC_BLOCK_TEXT;
        out[i].text = text->str;
    }

    *parts = out;
    *n = content->n;

    return CC_OK;
}


static int
cc_parse_tool_calls(cc_parse_t *p, const cc_json_t *calls, const char *path,
    cc_message_t *msg)
{
    char         sub[CC_PATH_LEN], fpath[CC_PATH_LEN], errbuf[128];
    size_t       i, first;
    cc_json_t   *call, *id, *fn, *name, *args, *input;
    cc_block_t  *b;

    first = msg->nblocks;

    for (i = 0; i < calls->n; i++) {
        call = calls->values[i];

        cc_path(sub, "%s[%zu]", path, i);

        if (cc_parse_check(p, call, sub, CC_T_OBJECT, "an object")
            != CC_OK)
        {
            return CC_ERROR;
        }

        cc_path(fpath, "%s.id", sub);

        id = cc_json_get(call, "id");
        if (id == NULL) {
            return cc_parse_missing(p, fpath);
        }

        if (cc_parse_check(p, id, fpath, CC_T_STRING, "a string") != CC_OK) {
            return CC_ERROR;
        }

        if (cc_parse_function(p, call, sub, &fn) != CC_OK) {
            return CC_ERROR;
        }

        cc_path(fpath, "%s.function.name", sub);

        name = cc_json_get(fn, "name");
        if (cc_parse_name(p, name, fpath) != CC_OK) {
            return CC_ERROR;
        }

        cc_path(fpath, "%s.function.arguments", sub);

        args = cc_json_get(fn, "arguments");
        if (cc_parse_check(p, args, fpath,
                           CC_T_NULL | CC_T_STRING | CC_T_OBJECT, "a string")
            != CC_OK)
        {
            return CC_ERROR;
        }

        /*
         * arguments is the JSON text of an object, as OpenAI checks:
         * absent, null or blank is taken as {} (a client that kept only
         * the first delta of a streamed call has ""), anything else that
         * does not parse into an object is refused
         */

        input = NULL;

        if (args != NULL && args->type == CC_JSON_OBJECT) {
            input = args;

        } else if (args != NULL && args->type == CC_JSON_STRING
                   && !cc_is_blank(args->str.data, args->str.len))
        {
            errbuf[0] = '\0';

            input = cc_json_parse_strict(p->alloc, args->str.data,
                                         args->str.len, errbuf,
                                         sizeof(errbuf));

            if (input == NULL && strcmp(errbuf, "out of memory") == 0) {
                return cc_no_memory(p->err);
            }

            if (input == NULL) {
                return cc_parse_error(p, "invalid_value", fpath,
                                      "Invalid '%s': the arguments must be "
                                      "a JSON object encoded as a string, "
                                      "but they are not valid JSON (%s).",
                                      fpath, errbuf);
            }

            if (input->type != CC_JSON_OBJECT) {
                return cc_parse_error(p, "invalid_value", fpath,
                                      "Invalid '%s': the arguments must be "
                                      "a JSON object encoded as a string, "
                                      "but they are %s.", fpath,
                                      cc_json_kind(input));
            }
        }

        if (input == NULL) {
            input = cc_json_object(p->alloc, 0);
            if (input == NULL) {
                return cc_no_memory(p->err);
            }
        }

        b = &msg->blocks[msg->nblocks++];
        b->type = CC_BLOCK_TOOL_USE;
        b->name = name->str;
        b->input = input;

        if (cc_tool_id(p->alloc, &id->str, &b->id) != CC_OK) {
            return cc_no_memory(p->err);
        }
    }

    return cc_unique_call_ids(p, calls, path, msg, first);
}


/*
 * Bedrock 400s a turn whose toolUse blocks repeat an id ("The toolUse
 * blocks at messages.N.content contain duplicate Ids"), and the results
 * could not tell the calls apart: refused in OpenAI's words.  The ids
 * compare as rewritten (cc_tool_id()), as Bedrock would see them; sorted,
 * so that thousands of calls cost n log n.
 */

static int
cc_unique_call_ids(cc_parse_t *p, const cc_json_t *calls, const char *path,
    const cc_message_t *msg, size_t first)
{
    char               fpath[CC_PATH_LEN], show[CC_SHOW_LEN + 4];
    size_t             i, n, dup;
    cc_json_t         *id;
    cc_name_ref_t     *refs;
    const cc_block_t  *blocks;

    /* the calls' blocks follow the message's text; none: no blocks at all */

    n = msg->nblocks - first;

    if (n < 2) {
        return CC_OK;
    }

    blocks = &msg->blocks[first];

    refs = cc_alloc(p->alloc, n * sizeof(cc_name_ref_t));
    if (refs == NULL) {
        return cc_no_memory(p->err);
    }

    for (i = 0; i < n; i++) {
        refs[i].name = blocks[i].id;
        refs[i].index = i;
    }

    qsort(refs, n, sizeof(cc_name_ref_t), cc_name_ref_cmp);

    /* the first call, in the client's order, that repeats an earlier id */

    dup = n;

    for (i = 1; i < n; i++) {
        if (cc_str_cmp(&refs[i - 1].name, &refs[i].name) == 0
            && refs[i].index < dup)
        {
            dup = refs[i].index;
        }
    }

    if (dup == n) {
        return CC_OK;
    }

    cc_path(fpath, "%s[%zu].id", path, dup);

    id = cc_json_get(calls->values[dup], "id");
    cc_show(show, sizeof(show), id->str.data, id->str.len);

    return cc_parse_error(p, "invalid_value", fpath,
                          "Invalid '%s': duplicate tool call id '%s'; the "
                          "tool calls of a message must have unique ids.",
                          fpath, show);
}


static int
cc_parse_tool_result(cc_parse_t *p, const cc_json_t *m, const char *path,
    cc_message_t *msg)
{
    char         sub[CC_PATH_LEN], errbuf[64];
    u_char      *s;
    size_t       i, n, len;
    cc_str_t     text;
    cc_json_t   *id, *content, *json;
    cc_block_t  *b, *parts;

    cc_path(sub, "%s.tool_call_id", path);

    id = cc_json_get(m, "tool_call_id");
    if (id == NULL) {
        return cc_parse_missing(p, sub);
    }

    if (cc_parse_check(p, id, sub, CC_T_STRING, "a string") != CC_OK) {
        return CC_ERROR;
    }

    cc_path(sub, "%s.content", path);

    content = cc_json_get(m, "content");
    if (content == NULL) {
        return cc_parse_missing(p, sub);
    }

    if (cc_parse_check(p, content, sub, CC_T_STRING | CC_T_ARRAY,
                       CC_EXPECT_CONTENT)
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (cc_parse_parts(p, content, sub, CC_PARTS_TEXT, &parts, &n)
        != CC_OK)
    {
        return CC_ERROR;
    }

    /*
     * one toolResult carries one text here: parts are joined with "\n",
     * which also keeps a JSON document split across parts valid
     */

    if (n == 1) {
        text = parts[0].text;

    } else {
        len = 0;
        for (i = 0; i < n; i++) {
            len += parts[i].text.len + 1;
        }

        s = cc_alloc(p->alloc, len + 1);
        if (s == NULL) {
            return cc_no_memory(p->err);
        }

        text.data = s;

        for (i = 0; i < n; i++) {
            if (i) {
                *s++ = '\n';
            }

            memcpy(s, parts[i].text.data, parts[i].text.len);
            s += parts[i].text.len;
        }

        *s = '\0';
        text.len = s - text.data;
    }

    msg->blocks = cc_calloc(p->alloc, sizeof(cc_block_t));
    if (msg->blocks == NULL) {
        return cc_no_memory(p->err);
    }

    msg->nblocks = 1;
    msg->nalloc = 1;

    b = &msg->blocks[0];
    b->type = CC_BLOCK_TOOL_RESULT;
    b->result_text = text;

    if (cc_tool_id(p->alloc, &id->str, &b->id) != CC_OK) {
        return cc_no_memory(p->err);
    }

    /* Bedrock's {"json":...} result content takes an object only */

    for (i = 0; i < text.len; i++) {
        if (text.data[i] != ' ' && text.data[i] != '\t'
            && text.data[i] != '\r' && text.data[i] != '\n')
        {
            break;
        }
    }

    if (i < text.len && text.data[i] == '{') {
        errbuf[0] = '\0';

        json = cc_json_parse(p->alloc, text.data, text.len, errbuf,
                             sizeof(errbuf));

        if (json == NULL && strcmp(errbuf, "out of memory") == 0) {
            return cc_no_memory(p->err);
        }

        if (json != NULL && json->type == CC_JSON_OBJECT) {
            b->result_json = json;
        }
    }

    return CC_OK;
}


/*
 * An id Bedrock would reject becomes "call_" and the 64-bit FNV-1a hash of
 * the original in hex: deterministic, so an assistant's tool_calls[].id
 * and the tool message's tool_call_id still match after the rewrite.
 */

static int
cc_tool_id(cc_alloc_t *a, const cc_str_t *id, cc_str_t *out)
{
    size_t              i;
    u_char             *p;
    unsigned long long  h;

    if (cc_tool_id_valid(id)) {
        *out = *id;
        return CC_OK;
    }

    h = 14695981039346656037ULL;

    for (i = 0; i < id->len; i++) {
        h ^= id->data[i];
        h *= 1099511628211ULL;
    }

    p = cc_alloc(a, sizeof("call_") - 1 + 16 + 1);
    if (p == NULL) {
        return CC_ERROR;
    }

    out->len = snprintf((char *) p, sizeof("call_") - 1 + 16 + 1,
                        "call_%016llx", h);
    out->data = p;

    return CC_OK;
}


/* the tool message m (messages[i]) answers one of calls not yet answered */

static int
cc_check_answer(cc_parse_t *p, const cc_json_t *msgs, size_t i,
    cc_message_t *calls, u_char *answered, const cc_message_t *m)
{
    char               path[CC_PATH_LEN], show[CC_SHOW_LEN + 4];
    size_t             j;
    cc_json_t         *id;
    const cc_block_t  *b;

    if (calls == NULL) {
        cc_path(path, "messages[%zu].role", i);

        return cc_parse_error(p, "invalid_value", path,
                              "Invalid parameter: messages with role 'tool' "
                              "must be a response to a preceding message "
                              "with 'tool_calls'.");
    }

    /* ids compare as rewritten (cc_tool_id()): the same id, the same */

    b = &m->blocks[0];

    for (j = 0; j < calls->nblocks; j++) {
        if (calls->blocks[j].type == CC_BLOCK_TOOL_USE && !answered[j]
            && cc_str_cmp(&calls->blocks[j].id, &b->id) == 0)
        {
            answered[j] = 1;
            return CC_OK;
        }
    }

    cc_path(path, "messages[%zu].tool_call_id", i);

    id = cc_json_get(msgs->values[i], "tool_call_id");
    cc_show(show, sizeof(show), id->str.data, id->str.len);

    return cc_parse_error(p, "invalid_value", path,
                          "Invalid parameter: 'tool_call_id' of '%s' not "
                          "found in 'tool_calls' of previous message.",
                          show);
}


/* a message that is not a tool's: the calls of messages[k] are answered */

static int
cc_check_answered(cc_parse_t *p, const cc_json_t *msgs, size_t k,
    const cc_message_t *calls, const u_char *answered)
{
    char        path[CC_PATH_LEN], list[384], show[CC_SHOW_LEN + 4];
    size_t      j, n, len, used;
    cc_json_t  *tc, *id;

    tc = cc_json_get(msgs->values[k], "tool_calls");

    len = 0;
    n = 0;

    for (j = 0; j < calls->nblocks; j++) {
        if (calls->blocks[j].type != CC_BLOCK_TOOL_USE) {
            continue;
        }

        if (!answered[j]) {
            /* the client's own id, not the rewritten one */
            id = cc_json_get(tc->values[n], "id");
            cc_show(show, sizeof(show), id->str.data, id->str.len);

            used = snprintf(list + len, sizeof(list) - len, "%s%s",
                            len ? ", " : "", show);
            len += (used < sizeof(list) - len) ? used : 0;
        }

        n++;
    }

    if (len == 0) {
        return CC_OK;
    }

    cc_path(path, "messages[%zu].tool_calls", k);

    return cc_parse_error(p, "invalid_value", path,
                          "An assistant message with 'tool_calls' must be "
                          "followed by tool messages responding to each "
                          "'tool_call_id'. The following tool_call_ids did "
                          "not have response messages: %s", list);
}
