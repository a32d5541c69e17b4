
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <stdlib.h>
#include <string.h>

#include "cc_turns.h"


/* a toolUse id of the previous turn, sorted for the pairing check */
typedef struct {
    cc_str_t                 *id;
    size_t                    ord;
} cc_use_ref_t;


static int cc_merge_run(cc_alloc_t *a, cc_chat_t *chat, cc_message_t *raw,
    size_t nraw, size_t *i);
static int cc_first_user_turn(cc_alloc_t *a, cc_chat_t *chat,
    const cc_chat_options_t *opts);
static int cc_pair_turn(cc_alloc_t *a, const cc_message_t *prev,
    cc_message_t *m);
static int cc_orphan_text(cc_alloc_t *a, const cc_block_t *b,
    cc_block_t *out);
static int cc_find_use(cc_use_ref_t *uses, size_t n, u_char *used,
    const cc_str_t *id);
static int cc_use_ref_cmp(const void *one, const void *two);
static int cc_block_is_blank(const cc_block_t *b);
static void *cc_array_grow(cc_alloc_t *a, void *elts, size_t size, size_t n,
    size_t *nalloc, size_t need);


static cc_str_t  cc_default_first_user_text = cc_string("Hello.");
static cc_str_t  cc_no_result_text =
    cc_string("No result was provided for this tool call.");


/*
 * PROTOCOLS 8.2: blank text dropped, empty messages dropped, same-role
 * neighbours merged (toolResults first in a user message), every toolUse
 * answered in the next turn, and a user turn first.
 */

int
cc_normalize(cc_alloc_t *a, cc_chat_t *chat, const cc_chat_options_t *opts,
    cc_message_t *raw, size_t nraw)
{
    size_t         i, j, k;
    cc_message_t  *m;

    for (i = 0; i < nraw; i++) {
        k = 0;

        for (j = 0; j < raw[i].nblocks; j++) {
            if (!cc_block_is_blank(&raw[i].blocks[j])) {
                raw[i].blocks[k++] = raw[i].blocks[j];
            }
        }

        raw[i].nblocks = k;
    }

    /* room for a synthetic user turn at each end */

    chat->nalloc = nraw + 2;
    chat->messages = cc_calloc(a, chat->nalloc * sizeof(cc_message_t));
    if (chat->messages == NULL) {
        return CC_ERROR;
    }

    i = 0;

    while (i < nraw) {
        if (raw[i].nblocks == 0) {
            i++;
            continue;
        }

        if (cc_merge_run(a, chat, raw, nraw, &i) != CC_OK) {
            return CC_ERROR;
        }
    }

    if (chat->nmessages == 0) {
        return CC_DONE;
    }

    /* a history ending in unanswered tool calls gets a turn to answer */

    m = &chat->messages[chat->nmessages - 1];

    if (m->role == CC_ROLE_ASSISTANT) {
        for (j = 0; j < m->nblocks; j++) {
            if (m->blocks[j].type == CC_BLOCK_TOOL_USE) {
                chat->messages[chat->nmessages++].role = CC_ROLE_USER;
                break;
            }
        }
    }

    for (i = 0; i < chat->nmessages; i++) {
        if (chat->messages[i].role != CC_ROLE_USER) {
            continue;
        }

        if (cc_pair_turn(a, i ? &chat->messages[i - 1] : NULL,
                         &chat->messages[i])
            != CC_OK)
        {
            return CC_ERROR;
        }
    }

    if (chat->messages[0].role == CC_ROLE_ASSISTANT) {
        return cc_first_user_turn(a, chat, opts);
    }

    return CC_OK;
}


/*
 * The run of same-role messages at raw[*i] (empty ones in between
 * ignored) as one message of chat, toolResults first in a user message;
 * *i moves past the run.
 */

static int
cc_merge_run(cc_alloc_t *a, cc_chat_t *chat, cc_message_t *raw, size_t nraw,
    size_t *i)
{
    size_t         j, k, n, total;
    cc_role_e      role;
    cc_block_t    *blocks;
    cc_message_t  *m;

    role = raw[*i].role;
    total = 0;

    for (j = *i; j < nraw; j++) {
        if (raw[j].nblocks == 0) {
            continue;
        }

        if (raw[j].role != role) {
            break;
        }

        total += raw[j].nblocks;
    }

    blocks = cc_alloc(a, total * sizeof(cc_block_t));
    if (blocks == NULL) {
        return CC_ERROR;
    }

    m = &chat->messages[chat->nmessages++];
    m->role = role;
    m->blocks = blocks;
    m->nalloc = total;

    if (role == CC_ROLE_USER) {
        for (k = *i; k < j; k++) {
            for (n = 0; n < raw[k].nblocks; n++) {
                if (raw[k].blocks[n].type == CC_BLOCK_TOOL_RESULT) {
                    blocks[m->nblocks++] = raw[k].blocks[n];
                }
            }
        }
    }

    for (k = *i; k < j; k++) {
        for (n = 0; n < raw[k].nblocks; n++) {
            if (role != CC_ROLE_USER
                || raw[k].blocks[n].type != CC_BLOCK_TOOL_RESULT)
            {
                blocks[m->nblocks++] = raw[k].blocks[n];
            }
        }
    }

    *i = j;

    return CC_OK;
}


/*
 * Vapi sends its spoken greeting as the first, assistant, message;
 * Bedrock wants a user turn first, and the greeting must stay so the
 * model knows what the caller heard: a user turn goes before it.
 */

static int
cc_first_user_turn(cc_alloc_t *a, cc_chat_t *chat,
    const cc_chat_options_t *opts)
{
    cc_block_t    *blocks;
    cc_message_t  *m;

    blocks = cc_calloc(a, sizeof(cc_block_t));
    if (blocks == NULL) {
        return CC_ERROR;
    }

    blocks->type = CC_BLOCK_TEXT;
    blocks->text = opts->first_user_text;

    if (blocks->text.len == 0
        || cc_is_blank(blocks->text.data, blocks->text.len))
    {
        blocks->text = cc_default_first_user_text;
    }

    memmove(&chat->messages[1], &chat->messages[0],
            chat->nmessages * sizeof(cc_message_t));

    m = &chat->messages[0];
    m->role = CC_ROLE_USER;
    m->blocks = blocks;
    m->nblocks = 1;
    m->nalloc = 1;

    chat->nmessages++;

    return CC_OK;
}


/*
 * Bedrock 400s a turn whose toolResults do not answer exactly the
 * previous turn's toolUses (PROTOCOLS 8.2 step 7), and clients or Vapi
 * may drop one side.  A toolUse left unanswered gets an error result; a
 * result answering nothing becomes text, so what it said is not lost.
 * The user message m is rebuilt only when something changes.
 */

static int
cc_pair_turn(cc_alloc_t *a, const cc_message_t *prev, cc_message_t *m)
{
    int            matched;
    u_char        *used;
    size_t         i, k, nuse, nres, nmissing, norphan, len;
    cc_block_t    *blocks, *b;
    cc_use_ref_t  *uses;

    nuse = 0;

    if (prev != NULL && prev->role == CC_ROLE_ASSISTANT) {
        for (i = 0; i < prev->nblocks; i++) {
            nuse += (prev->blocks[i].type == CC_BLOCK_TOOL_USE);
        }
    }

    nres = 0;

    for (i = 0; i < m->nblocks; i++) {
        nres += (m->blocks[i].type == CC_BLOCK_TOOL_RESULT);
    }

    if (nuse == 0 && nres == 0) {
        return CC_OK;
    }

    uses = NULL;
    used = NULL;

    if (nuse) {
        uses = cc_alloc(a, nuse * sizeof(cc_use_ref_t));
        used = cc_calloc(a, nuse);
        if (uses == NULL || used == NULL) {
            return CC_ERROR;
        }

        k = 0;

        for (i = 0; i < prev->nblocks; i++) {
            if (prev->blocks[i].type == CC_BLOCK_TOOL_USE) {
                uses[k].id = &prev->blocks[i].id;
                uses[k].ord = k;
                k++;
            }
        }

        qsort(uses, nuse, sizeof(cc_use_ref_t), cc_use_ref_cmp);
    }

    norphan = 0;

    for (i = 0; i < m->nblocks; i++) {
        b = &m->blocks[i];

        if (b->type != CC_BLOCK_TOOL_RESULT) {
            continue;
        }

        matched = nuse ? cc_find_use(uses, nuse, used, &b->id) : 0;

        if (!matched) {
            norphan++;
        }
    }

    nmissing = nuse - (nres - norphan);

    if (norphan == 0 && nmissing == 0) {
        return CC_OK;
    }

    blocks = cc_calloc(a, (m->nblocks + nmissing) * sizeof(cc_block_t));
    if (blocks == NULL) {
        return CC_ERROR;
    }

    /* answered results, in order; matching again gives the same verdicts */

    if (nuse) {
        memset(used, 0, nuse);
    }

    k = 0;

    for (i = 0; i < m->nblocks; i++) {
        b = &m->blocks[i];

        if (b->type == CC_BLOCK_TOOL_RESULT
            && nuse && cc_find_use(uses, nuse, used, &b->id))
        {
            blocks[k++] = *b;
        }
    }

    /* unanswered uses, in the assistant's order: ordinals count them */

    for (i = 0, len = 0; nmissing && i < prev->nblocks; i++) {
        b = &prev->blocks[i];

        if (b->type != CC_BLOCK_TOOL_USE || used[len++]) {
            continue;
        }

        blocks[k].type = CC_BLOCK_TOOL_RESULT;
        blocks[k].id = b->id;
        blocks[k].result_text = cc_no_result_text;
        blocks[k].is_error = 1;
        k++;
    }

    /* orphans: text, re-matched the same way to tell them apart */

    if (nuse) {
        memset(used, 0, nuse);
    }

    for (i = 0; i < m->nblocks; i++) {
        b = &m->blocks[i];

        if (b->type != CC_BLOCK_TOOL_RESULT
            || (nuse && cc_find_use(uses, nuse, used, &b->id)))
        {
            continue;
        }

        if (cc_orphan_text(a, b, &blocks[k++]) != CC_OK) {
            return CC_ERROR;
        }
    }

    for (i = 0; i < m->nblocks; i++) {
        if (m->blocks[i].type != CC_BLOCK_TOOL_RESULT) {
            blocks[k++] = m->blocks[i];
        }
    }

    m->blocks = blocks;
    m->nblocks = k;
    m->nalloc = k;

    return CC_OK;
}


/* marks and returns 1 for the first unused toolUse with this id */

static int
cc_find_use(cc_use_ref_t *uses, size_t n, u_char *used, const cc_str_t *id)
{
    size_t  lo, hi, mid;

    lo = 0;
    hi = n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (cc_str_cmp(uses[mid].id, id) < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    for ( /* void */ ; lo < n && cc_str_cmp(uses[lo].id, id) == 0; lo++) {
        if (!used[uses[lo].ord]) {
            used[uses[lo].ord] = 1;
            return 1;
        }
    }

    return 0;
}


int
cc_chat_append_message(cc_alloc_t *a, cc_chat_t *chat, cc_role_e role,
    const cc_block_t *blocks, size_t n)
{
    size_t         i, k, lead;
    cc_message_t  *m;

    k = 0;

    for (i = 0; i < n; i++) {
        k += !cc_block_is_blank(&blocks[i]);
    }

    if (k == 0) {
        return CC_OK;
    }

    if (chat->nmessages
        && chat->messages[chat->nmessages - 1].role == role)
    {
        m = &chat->messages[chat->nmessages - 1];

    } else {
        chat->messages = cc_array_grow(a, chat->messages,
                                       sizeof(cc_message_t), chat->nmessages,
                                       &chat->nalloc, chat->nmessages + 1);
        if (chat->messages == NULL) {
            return CC_ERROR;
        }

        m = &chat->messages[chat->nmessages++];
        memset(m, 0, sizeof(cc_message_t));
        m->role = role;
    }

    m->blocks = cc_array_grow(a, m->blocks, sizeof(cc_block_t), m->nblocks,
                              &m->nalloc, m->nblocks + k);
    if (m->blocks == NULL) {
        return CC_ERROR;
    }

    lead = 0;

    while (lead < m->nblocks
           && m->blocks[lead].type == CC_BLOCK_TOOL_RESULT)
    {
        lead++;
    }

    for (i = 0; i < n; i++) {
        if (cc_block_is_blank(&blocks[i])) {
            continue;
        }

        if (role == CC_ROLE_USER
            && blocks[i].type == CC_BLOCK_TOOL_RESULT
            && lead < m->nblocks)
        {
            memmove(&m->blocks[lead + 1], &m->blocks[lead],
                    (m->nblocks - lead) * sizeof(cc_block_t));
            m->blocks[lead++] = blocks[i];
            m->nblocks++;
            continue;
        }

        if (blocks[i].type == CC_BLOCK_TOOL_RESULT && lead == m->nblocks) {
            lead++;
        }

        m->blocks[m->nblocks++] = blocks[i];
    }

    return CC_OK;
}


static int
cc_block_is_blank(const cc_block_t *b)
{
    return b->type == CC_BLOCK_TEXT && cc_is_blank(b->text.data, b->text.len);
}


static int
cc_use_ref_cmp(const void *one, const void *two)
{
    int                  rc;
    const cc_use_ref_t  *u1, *u2;

    u1 = one;
    u2 = two;

    rc = cc_str_cmp(u1->id, u2->id);
    if (rc != 0) {
        return rc;
    }

    /* equal ids keep their order: the first use is answered first */
    return (u1->ord > u2->ord) - (u1->ord < u2->ord);
}


/* room for need elements in an array of n that has room for *nalloc */

static void *
cc_array_grow(cc_alloc_t *a, void *elts, size_t size, size_t n,
    size_t *nalloc, size_t need)
{
    cc_buf_t  b;

    b.data = elts;
    b.len = n * size;
    b.cap = elts ? *nalloc * size : 0;
    b.min = 4 * size;

    if (cc_buf_reserve(a, &b, (need - n) * size) != CC_OK) {
        return NULL;
    }

    *nalloc = b.cap / size;

    return b.data;
}


/* "Tool result (id): text": a result that answers no toolUse, as text */

static int
cc_orphan_text(cc_alloc_t *a, const cc_block_t *b, cc_block_t *out)
{
    u_char  *s;
    size_t   len;

    len = sizeof("Tool result (): ") - 1 + b->id.len
          + (b->result_text.len ? b->result_text.len
                                : cc_empty_result_text.len);

    s = cc_alloc(a, len + 1);
    if (s == NULL) {
        return CC_ERROR;
    }

    out->type = CC_BLOCK_TEXT;
    out->text.data = s;
    out->text.len = len;

    s = (u_char *) memcpy(s, "Tool result (", 13) + 13;
    s = (u_char *) memcpy(s, b->id.data, b->id.len) + b->id.len;
    s = (u_char *) memcpy(s, "): ", 3) + 3;

    if (b->result_text.len) {
        memcpy(s, b->result_text.data, b->result_text.len);
        s += b->result_text.len;

    } else {
        memcpy(s, cc_empty_result_text.data, cc_empty_result_text.len);
        s += cc_empty_result_text.len;
    }

    *s = '\0';

    return CC_OK;
}
