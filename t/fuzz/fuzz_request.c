
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The whole request path: the client's body -> the validated
 * conversation -> the Bedrock Converse body and path (cc_json, cc_chat,
 * cc_messages, cc_turns, cc_bedrock), called as request.c, attempt.c and
 * tools.c call them.
 *
 * Input: a request body.  It is parsed by the incremental parser fed in
 * two pieces (as nginx's body buffers come), then run under two
 * configurations: none (no system prompt, no limit, no server tools),
 * and a configured system prompt, first user message, max_tokens limit
 * and a server tool "get_loan_options".  Under the second, a tool round
 * is then appended as tools.c does (the assistant's text and toolUse,
 * the user's toolResult made of the input's bytes sanitized as a tool's
 * answer is) and the body built again.
 *
 * Asserted: every Bedrock body is a valid UTF-8 JSON object that keeps
 * Bedrock's rules (those the double's t/bedrock/lib/validate.js checks:
 * a user turn first, roles alternating, no empty content, no blank text,
 * inferenceConfig in its ranges, valid and unique tool names and ids,
 * toolUse and toolResult blocks only with a toolConfig, every toolUse
 * answered in the next turn, no toolResult that answers none); every error
 * the client would get is a valid UTF-8 JSON object with a 4xx status
 * (the arena never refuses here, so no 500); the model path is
 * "/model/" + the id percent-encoded + "/converse" or "/converse-stream"
 * and decodes back to the id.
 */


#include "fuzz_util.h"
#include "cc_chat.h"
#include "cc_turns.h"
#include "cc_errors.h"


static void fz_request(const u_char *data, size_t size, int configured);
static void fz_raw(const u_char *data, size_t size);
static void fz_options(cc_alloc_t *a, int configured,
    cc_chat_options_t *opts, cc_tool_t *server);
static void fz_error(cc_alloc_t *a, const char *what, const char *type,
    const char *code, const cc_str_t *param, const cc_str_t *message);
static void fz_body(cc_alloc_t *a, const cc_chat_t *chat,
    const cc_chat_options_t *opts);
static void fz_path(cc_alloc_t *a, const cc_str_t *model);
static void fz_tool_round(cc_alloc_t *a, cc_chat_t *chat,
    const cc_chat_options_t *opts, const u_char *data, size_t size);
static void fz_rules(const u_char *body, size_t len);
static void fz_rules_tools(const cc_json_t *tc);
static void fz_rules_messages(const cc_json_t *messages, int tools);
static int fz_java_blank(const cc_str_t *s);
static int fz_name_ok(const cc_str_t *s, const char *extra);
static int fz_one_key(const cc_json_t *v);
static void fz_broken(const char *rule);


static const u_char  *fz_body_data;
static size_t         fz_body_len;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_raw(data, size);
    fz_request(data, size, 0);
    fz_request(data, size, 1);

    return 0;
}


/*
 * The input's bytes as they are: a tool's answer (cc_utf8_sanitize(), as
 * tools.c calls it) and a message the generators print (cc_error_body()):
 * both come out UTF-8, valid UTF-8 unchanged (and in place).
 */
static void
fz_raw(const u_char *data, size_t size)
{
    char         err[128];
    u_char      *copy;
    cc_str_t     raw, text, again, out;
    cc_json_t   *v;
    fz_arena_t   arena;

    fz_arena_init(&arena);
    copy = fz_mem(data, size);

    if (cc_utf8_sanitize(&arena.alloc, copy, size, &text) != CC_OK) {
        fz_fail("cc_utf8_sanitize() failed", NULL, 0);
    }

    fz_utf8("a sanitized tool answer", text.data, text.len);

    if (fz_utf8_check(copy, size) == size
        && (text.data != copy || text.len != size))
    {
        fz_fail("cc_utf8_sanitize() changed valid UTF-8", copy, size);
    }

    if (cc_utf8_sanitize(&arena.alloc, text.data, text.len, &again) != CC_OK
        || again.data != text.data || again.len != text.len)
    {
        fz_fail("cc_utf8_sanitize() changed its own output", text.data,
                text.len);
    }

    raw.data = copy;
    raw.len = size;

    fz_error(&arena.alloc, "an error body of any bytes",
             "invalid_request_error", NULL, &raw, &raw);

    /* valid UTF-8 is printed as it is: it parses back to the same bytes */

    if (fz_utf8_check(copy, size) == size) {
        if (cc_error_body(&arena.alloc, "invalid_request_error", NULL, NULL,
                          &raw, &out)
            != CC_OK)
        {
            fz_fail("cc_error_body() failed", NULL, 0);
        }

        v = cc_json_get(cc_json_get(cc_json_parse(&arena.alloc, out.data,
                                                  out.len, err,
                                                  sizeof(err)),
                                    "error"),
                        "message");

        if (v == NULL || v->type != CC_JSON_STRING || v->str.len != size
            || (size && memcmp(v->str.data, copy, size) != 0))
        {
            fz_fail("valid UTF-8 printed is not the same text", out.data,
                    out.len);
        }
    }

    free(copy);
    fz_arena_reset(&arena);
}


static void
fz_request(const u_char *data, size_t size, int configured)
{
    int                 rc;
    char                err[128], text[256];
    size_t              half;
    u_char             *one, *two;
    cc_str_t            msg;
    cc_tool_t           server;
    cc_chat_t           chat;
    cc_json_t          *root;
    cc_error_t          cerr;
    fz_arena_t          arena;
    cc_alloc_t         *a;
    cc_json_parser_t   *p;
    cc_chat_options_t   opts;

    static cc_str_t  not_object =
        cc_string("The request body must be a JSON object.");
    static cc_str_t  default_model = cc_string("amazon.nova-lite-v1:0");

    fz_arena_init(&arena);
    a = &arena.alloc;

    /* request.c's parse_body(): the buffers as they come */

    half = size / 2;
    one = fz_mem(data, half);
    two = fz_mem(data + half, size - half);

    err[0] = '\0';
    root = NULL;

    p = cc_json_parser_create(a);
    if (p == NULL) {
        fz_fail("cc_json_parser_create() failed", NULL, 0);
    }

    if (cc_json_parser_feed(p, one, half, err, sizeof(err)) == CC_OK
        && cc_json_parser_feed(p, two, size - half, err, sizeof(err))
           == CC_OK)
    {
        root = cc_json_parser_finish(p, err, sizeof(err));
    }

    /* the DOM must not point into the buffers: they are reused */
    memset(one, 'X', half);
    memset(two, 'X', size - half);
    free(one);
    free(two);

    if (root == NULL) {
        if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0') {
            fz_fail("a parse error without its reason", NULL, 0);
        }

        msg.len = snprintf(text, sizeof(text), "We could not parse the JSON "
                           "body of your request (%s). The body must be a "
                           "JSON object.", err);
        msg.data = (u_char *) text;

        fz_error(a, "the invalid JSON error", "invalid_request_error",
                 "invalid_json", NULL, &msg);
        goto done;
    }

    if (root->type != CC_JSON_OBJECT) {
        fz_error(a, "the invalid type error", "invalid_request_error",
                 "invalid_type", NULL, &not_object);
        goto done;
    }

    fz_options(a, configured, &opts, &server);

    memset(&chat, 0, sizeof(cc_chat_t));
    memset(&cerr, 0, sizeof(cc_error_t));

    rc = cc_chat_parse(a, root, &opts, &chat, &cerr);

    if (rc != CC_OK) {
        if (rc != CC_ERROR) {
            fz_fail("cc_chat_parse() returned an unknown code", NULL, 0);
        }

        if (cerr.status < 400 || cerr.status > 499) {
            fz_fail("cc_chat_parse() failed without a 4xx error", NULL, 0);
        }

        fz_error(a, "a request's error", cerr.type, cerr.code,
                 cerr.param.len ? &cerr.param : NULL, &cerr.message);
        goto done;
    }

    if (chat.nmessages == 0) {
        fz_fail("a request accepted with no message", NULL, 0);
    }

    fz_body(a, &chat, &opts);
    fz_path(a, chat.model.len ? &chat.model : &default_model);

    if (configured) {
        fz_tool_round(a, &chat, &opts, data, size);
    }

done:

    fz_arena_reset(&arena);
}


static void
fz_options(cc_alloc_t *a, int configured, cc_chat_options_t *opts,
    cc_tool_t *server)
{
    char         err[128];
    cc_json_t   *schema;

    static const char  json[] =
        "{\"type\":\"object\",\"properties\":{\"phone\":"
        "{\"type\":\"string\",\"description\":\"E.164 number\"}},"
        "\"required\":[\"phone\"]}";

    memset(opts, 0, sizeof(cc_chat_options_t));
    memset(server, 0, sizeof(cc_tool_t));

    if (!configured) {
        return;
    }

    schema = cc_json_parse(a, (u_char *) json, sizeof(json) - 1, err,
                           sizeof(err));
    if (schema == NULL) {
        fz_fail("the server tool's schema does not parse", NULL, 0);
    }

    server->name.data = (u_char *) "get_loan_options";
    server->name.len = sizeof("get_loan_options") - 1;
    server->description.data = (u_char *) "The caller's loan options";
    server->description.len = sizeof("The caller's loan options") - 1;
    server->schema = schema;

    opts->system_prompt.data = (u_char *) "You are a helpful assistant.";
    opts->system_prompt.len = sizeof("You are a helpful assistant.") - 1;
    opts->first_user_text.data = (u_char *) "(call connected)";
    opts->first_user_text.len = sizeof("(call connected)") - 1;
    opts->max_tokens_limit = 1024;
    opts->server_tools = server;
    opts->nserver_tools = 1;
}


/* output.c's send_error(): the body the client gets */
static void
fz_error(cc_alloc_t *a, const char *what, const char *type,
    const char *code, const cc_str_t *param, const cc_str_t *message)
{
    cc_str_t  out;

    if (type == NULL) {
        fz_fail("an error without a type", NULL, 0);
    }

    if (cc_error_body(a, type, code, param, message, &out) != CC_OK) {
        fz_fail("cc_error_body() failed", NULL, 0);
    }

    if (out.len == 0 || out.data[0] != '{') {
        fz_fail("an error body is not an object", out.data, out.len);
    }

    fz_json(what, out.data, out.len);
}


/* attempt.c: the Converse body */
static void
fz_body(cc_alloc_t *a, const cc_chat_t *chat, const cc_chat_options_t *opts)
{
    cc_str_t  body;

    if (cc_bedrock_body(a, chat, opts, &body) != CC_OK) {
        fz_fail("cc_bedrock_body() failed", NULL, 0);
    }

    if (body.len == 0 || body.data[0] != '{') {
        fz_fail("the Bedrock body is not an object", body.data, body.len);
    }

    fz_json("the Bedrock body", body.data, body.len);
    fz_rules(body.data, body.len);
}


/* attempt.c: the model's path, both kinds */
static void
fz_path(cc_alloc_t *a, const cc_str_t *model)
{
    int            stream;
    size_t         n, tail;
    u_char         c;
    cc_str_t       path;
    const u_char  *p, *end, *m;

    for (stream = 0; stream < 2; stream++) {
        if (cc_model_path(a, model, stream, &path) != CC_OK) {
            fz_fail("cc_model_path() failed", NULL, 0);
        }

        tail = stream ? sizeof("/converse-stream") - 1
                      : sizeof("/converse") - 1;

        if (path.len < sizeof("/model/") - 1 + tail
            || memcmp(path.data, "/model/", 7) != 0
            || memcmp(path.data + path.len - tail,
                      stream ? "/converse-stream" : "/converse", tail) != 0
            || path.data[path.len] != '\0')
        {
            fz_fail("a model path is not /model/{id}/converse[-stream]",
                    path.data, path.len);
        }

        p = path.data + 7;
        end = path.data + path.len - tail;
        m = model->data;
        n = 0;

        while (p < end) {
            c = fz_pct_next("a model path", &p, end, path.data, path.len);

            if (n >= model->len || m[n] != c) {
                fz_fail("a model path does not decode to the id",
                        path.data, path.len);
            }

            n++;
        }

        if (n != model->len) {
            fz_fail("a model path does not decode to the id", path.data,
                    path.len);
        }
    }
}


/*
 * tools.c: the assistant's round (its text, a call of the server tool)
 * appended, then the user's turn with the tool's answer: the input's
 * bytes, sanitized and parsed as a tool's answer is.
 */
static void
fz_tool_round(cc_alloc_t *a, cc_chat_t *chat, const cc_chat_options_t *opts,
    const u_char *data, size_t size)
{
    cc_str_t     text;
    cc_json_t   *input;
    cc_block_t   blocks[2];

    input = cc_json_object(a, 0);
    if (input == NULL) {
        fz_fail("cc_json_object() failed", NULL, 0);
    }

    memset(blocks, 0, sizeof(blocks));

    blocks[0].type = CC_BLOCK_TEXT;
    blocks[0].text.data = (u_char *) "Let me check.";
    blocks[0].text.len = sizeof("Let me check.") - 1;

    blocks[1].type = CC_BLOCK_TOOL_USE;
    blocks[1].id.data = (u_char *) "tooluse_fz0123456789";
    blocks[1].id.len = sizeof("tooluse_fz0123456789") - 1;
    blocks[1].name = opts->server_tools[0].name;
    blocks[1].input = input;

    if (cc_chat_append_message(a, chat, CC_ROLE_ASSISTANT, blocks, 2)
        != CC_OK)
    {
        fz_fail("cc_chat_append_message() failed", NULL, 0);
    }

    if (cc_utf8_sanitize(a, data, size, &text) != CC_OK) {
        fz_fail("cc_utf8_sanitize() failed", NULL, 0);
    }

    fz_utf8("a sanitized tool answer", text.data, text.len);

    /* valid UTF-8 is left as it is, where it is */
    if (fz_utf8_check(data, size) == size
        && (text.data != data || text.len != size))
    {
        fz_fail("cc_utf8_sanitize() changed valid UTF-8", data, size);
    }

    memset(blocks, 0, sizeof(blocks));

    blocks[0].type = CC_BLOCK_TOOL_RESULT;
    blocks[0].id.data = (u_char *) "tooluse_fz0123456789";
    blocks[0].id.len = sizeof("tooluse_fz0123456789") - 1;
    blocks[0].result_text = text;

    /* a failed tool's answer is an error's text, never JSON */
    if (size & 1) {
        blocks[0].is_error = 1;

    } else {
        blocks[0].result_json = cc_json_parse(a, text.data, text.len, NULL,
                                              0);
    }

    if (cc_chat_append_message(a, chat, CC_ROLE_USER, blocks, 1) != CC_OK) {
        fz_fail("cc_chat_append_message() failed", NULL, 0);
    }

    fz_body(a, chat, opts);
}


/* a rule of Bedrock's broken: the body is shown */
static void
fz_broken(const char *rule)
{
    char  msg[160];

    snprintf(msg, sizeof(msg), "the Bedrock body breaks a rule: %s", rule);
    fz_fail(msg, fz_body_data, fz_body_len);
}


static void
fz_rules(const u_char *body, size_t len)
{
    char          err[128];
    double        d;
    size_t        i;
    int64_t       n;
    cc_json_t    *root, *v, *ic, *tc, *sys;
    fz_arena_t    arena;

    fz_body_data = body;
    fz_body_len = len;

    fz_arena_init(&arena);

    root = cc_json_parse(&arena.alloc, body, len, err, sizeof(err));
    if (root == NULL || root->type != CC_JSON_OBJECT) {
        fz_broken("not an object");
    }

    ic = cc_json_get(root, "inferenceConfig");

    if (ic != NULL) {
        if (ic->type != CC_JSON_OBJECT) {
            fz_broken("inferenceConfig is not an object");
        }

        v = cc_json_get(ic, "temperature");
        if (v != NULL && (cc_json_double(v, &d) != CC_OK || d < 0 || d > 1)) {
            fz_broken("temperature outside 0..1");
        }

        v = cc_json_get(ic, "topP");
        if (v != NULL && (cc_json_double(v, &d) != CC_OK || d < 0 || d > 1)) {
            fz_broken("topP outside 0..1");
        }

        v = cc_json_get(ic, "maxTokens");
        if (v != NULL && (cc_json_int(v, &n) != CC_OK || n < 1)) {
            fz_broken("maxTokens below 1");
        }

        v = cc_json_get(ic, "stopSequences");
        if (v != NULL) {
            if (v->type != CC_JSON_ARRAY || v->n < 1
                || v->n > CC_CHAT_MAX_STOP)
            {
                fz_broken("stopSequences not an array of 1 to 4");
            }

            for (i = 0; i < v->n; i++) {
                if (v->values[i]->type != CC_JSON_STRING
                    || v->values[i]->str.len == 0)
                {
                    fz_broken("an empty stop sequence");
                }
            }
        }
    }

    sys = cc_json_get(root, "system");

    if (sys != NULL) {
        if (sys->type != CC_JSON_ARRAY || sys->n == 0) {
            fz_broken("system is not a non-empty array");
        }

        for (i = 0; i < sys->n; i++) {
            v = cc_json_get(sys->values[i], "text");

            if (!fz_one_key(sys->values[i]) || v == NULL
                || v->type != CC_JSON_STRING || fz_java_blank(&v->str))
            {
                fz_broken("a system block is not one non-blank text");
            }
        }
    }

    tc = cc_json_get(root, "toolConfig");

    if (tc != NULL) {
        fz_rules_tools(tc);
    }

    v = cc_json_get(root, "messages");

    if (v == NULL || v->type != CC_JSON_ARRAY || v->n == 0) {
        fz_broken("messages is not a non-empty array");
    }

    fz_rules_messages(v, tc != NULL);

    fz_arena_reset(&arena);
}


static void
fz_rules_tools(const cc_json_t *tc)
{
    size_t       i, j;
    cc_json_t   *tools, *spec, *name, *desc, *schema, *json, *type, *choice;
    cc_json_t   *named;

    tools = cc_json_get(tc, "tools");

    if (tc->type != CC_JSON_OBJECT || tools == NULL
        || tools->type != CC_JSON_ARRAY || tools->n == 0)
    {
        fz_broken("toolConfig.tools is not a non-empty array");
    }

    for (i = 0; i < tools->n; i++) {
        spec = cc_json_get(tools->values[i], "toolSpec");

        if (!fz_one_key(tools->values[i]) || spec == NULL
            || spec->type != CC_JSON_OBJECT)
        {
            fz_broken("a tool is not one toolSpec");
        }

        name = cc_json_get(spec, "name");

        if (name == NULL || name->type != CC_JSON_STRING
            || !fz_name_ok(&name->str, ""))
        {
            fz_broken("a tool's name is not [a-zA-Z0-9_-]{1,64}");
        }

        for (j = 0; j < i; j++) {
            spec = cc_json_get(tools->values[j], "toolSpec");

            if (cc_json_is(cc_json_get(spec, "name"),
                           (const char *) name->str.data))
            {
                fz_broken("two tools of one name");
            }
        }

        spec = cc_json_get(tools->values[i], "toolSpec");
        desc = cc_json_get(spec, "description");

        if (desc != NULL
            && (desc->type != CC_JSON_STRING || desc->str.len == 0))
        {
            fz_broken("a tool's description is empty");
        }

        schema = cc_json_get(spec, "inputSchema");
        json = cc_json_get(schema, "json");
        type = cc_json_get(json, "type");

        if (json == NULL || json->type != CC_JSON_OBJECT
            || !cc_json_is(type, "object"))
        {
            fz_broken("a tool's inputSchema.json is no object schema");
        }
    }

    choice = cc_json_get(tc, "toolChoice");

    if (choice == NULL) {
        return;
    }

    if (!fz_one_key(choice)
        || (cc_json_get(choice, "auto") == NULL
            && cc_json_get(choice, "any") == NULL
            && cc_json_get(choice, "tool") == NULL))
    {
        fz_broken("toolChoice is not one of auto, any, tool");
    }

    named = cc_json_get(cc_json_get(choice, "tool"), "name");

    if (cc_json_get(choice, "tool") == NULL) {
        return;
    }

    if (named == NULL || named->type != CC_JSON_STRING) {
        fz_broken("toolChoice.tool without a name");
    }

    for (i = 0; i < tools->n; i++) {
        spec = cc_json_get(tools->values[i], "toolSpec");

        if (cc_json_is(cc_json_get(spec, "name"),
                       (const char *) named->str.data))
        {
            return;
        }
    }

    fz_broken("toolChoice.tool names no tool of toolConfig");
}


static void
fz_rules_messages(const cc_json_t *messages, int tools)
{
    size_t        i, k, j, nuse, nprev, nres;
    cc_str_t     *uses, *prev, *t;
    cc_json_t    *m, *role, *content, *b, *v, *id, *name, *input, *rc;
    cc_json_t    *status;
    const char   *last;

    last = NULL;
    prev = NULL;
    nprev = 0;

    for (i = 0; i < messages->n; i++) {
        m = messages->values[i];
        role = cc_json_get(m, "role");
        content = cc_json_get(m, "content");

        if (!cc_json_is(role, "user") && !cc_json_is(role, "assistant")) {
            fz_broken("a role neither user nor assistant");
        }

        if (i == 0 && !cc_json_is(role, "user")) {
            fz_broken("the first turn is not the user's");
        }

        if (last != NULL && cc_json_is(role, last)) {
            fz_broken("two turns of one role in a row");
        }

        last = cc_json_is(role, "user") ? "user" : "assistant";

        if (content == NULL || content->type != CC_JSON_ARRAY
            || content->n == 0)
        {
            fz_broken("a turn without content");
        }

        uses = calloc(content->n, sizeof(cc_str_t));
        if (uses == NULL) {
            fz_fail("calloc failed", NULL, 0);
        }

        nuse = 0;
        nres = 0;

        for (k = 0; k < content->n; k++) {
            b = content->values[k];

            if (!fz_one_key(b)) {
                fz_broken("a content block is not one key");
            }

            v = cc_json_get(b, "text");

            if (v != NULL) {
                if (v->type != CC_JSON_STRING || fz_java_blank(&v->str)) {
                    fz_broken("a blank text block");
                }

                continue;
            }

            v = cc_json_get(b, "toolUse");
            if (v == NULL) {
                v = cc_json_get(b, "toolResult");
            }

            if (v == NULL) {
                fz_broken("a block neither text, toolUse nor toolResult");
            }

            if (!tools) {
                fz_broken("a tool block without toolConfig");
            }

            id = cc_json_get(v, "toolUseId");

            if (id == NULL || id->type != CC_JSON_STRING
                || !fz_name_ok(&id->str, ".:"))
            {
                fz_broken("a toolUseId is not [a-zA-Z0-9_.:-]{1,64}");
            }

            if (cc_json_get(b, "toolUse") != NULL) {
                name = cc_json_get(v, "name");
                input = cc_json_get(v, "input");

                if (!cc_json_is(role, "assistant")) {
                    fz_broken("a toolUse in a user turn");
                }

                if (name == NULL || name->type != CC_JSON_STRING
                    || name->str.len == 0)
                {
                    fz_broken("a toolUse without a name");
                }

                if (input == NULL || input->type != CC_JSON_OBJECT) {
                    fz_broken("a toolUse's input is not an object");
                }

                for (j = 0; j < nuse; j++) {
                    if (cc_str_cmp(&uses[j], &id->str) == 0) {
                        fz_broken("two toolUse blocks of one id in a turn");
                    }
                }

                uses[nuse++] = id->str;
                continue;
            }

            /* a toolResult: it answers a toolUse of the turn before */

            if (!cc_json_is(role, "user")) {
                fz_broken("a toolResult in an assistant turn");
            }

            rc = cc_json_get(v, "content");
            status = cc_json_get(v, "status");

            if (rc == NULL || rc->type != CC_JSON_ARRAY
                || (cc_json_is(status, "error") && rc->n == 0))
            {
                fz_broken("a toolResult without content");
            }

            for (j = 0; j < nprev; j++) {
                if (prev[j].data != NULL
                    && cc_str_cmp(&prev[j], &id->str) == 0)
                {
                    prev[j].data = NULL;
                    break;
                }
            }

            if (j == nprev) {
                fz_broken("a toolResult that answers no toolUse of the "
                          "turn before");
            }

            nres++;
        }

        /* every toolUse of the assistant's turn is answered */

        if (cc_json_is(role, "user")) {
            for (t = prev, j = 0; j < nprev; j++, t++) {
                if (t->data != NULL) {
                    fz_broken("a toolUse left unanswered in the next turn");
                }
            }
        }

        free(prev);

        prev = NULL;
        nprev = 0;

        if (cc_json_is(role, "assistant")) {
            prev = uses;
            nprev = nuse;

        } else {
            free(uses);
        }
    }

    /* the last turn may be the assistant's: its tool uses go unanswered */
    free(prev);
}


/* Java's String.isBlank(), which Bedrock applies */
static int
fz_java_blank(const cc_str_t *s)
{
    uint32_t       c;
    const u_char  *p, *end;

    p = s->data;
    end = p + s->len;

    while (p < end) {
        c = *p;

        if ((c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20)) {
            p++;
            continue;
        }

        if (end - p >= 3 && (c == 0xe1 || c == 0xe2 || c == 0xe3)) {
            c = ((uint32_t) (p[0] & 0x0f) << 12)
                | ((uint32_t) (p[1] & 0x3f) << 6)
                | (p[2] & 0x3f);

            if (c == 0x1680 || (c >= 0x2000 && c <= 0x2006)
                || (c >= 0x2008 && c <= 0x200a) || c == 0x2028
                || c == 0x2029 || c == 0x205f || c == 0x3000)
            {
                p += 3;
                continue;
            }
        }

        return 0;
    }

    return 1;
}


/* [a-zA-Z0-9_-] and the extra bytes, 1 to 64 of them */
static int
fz_name_ok(const cc_str_t *s, const char *extra)
{
    size_t  i;
    u_char  c;

    if (s->len < 1 || s->len > 64) {
        return 0;
    }

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-'
              || (c != '\0' && strchr(extra, c) != NULL)))
        {
            return 0;
        }
    }

    return 1;
}


static int
fz_one_key(const cc_json_t *v)
{
    return v != NULL && v->type == CC_JSON_OBJECT && v->n == 1;
}
