
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <string.h>

#include "cc_reasoning.h"


static int cc_reasoning_has(const cc_str_t *s, const char *needle);


int
cc_reasoning_parse(const cc_str_t *s, cc_reasoning_e *out)
{
    if (cc_str_eq(s, "none") || cc_str_eq(s, "off")) {
        *out = CC_REASONING_OFF;

    } else if (cc_str_eq(s, "minimal")) {
        *out = CC_REASONING_MINIMAL;

    } else if (cc_str_eq(s, "low")) {
        *out = CC_REASONING_LOW;

    } else if (cc_str_eq(s, "medium")) {
        *out = CC_REASONING_MEDIUM;

    } else if (cc_str_eq(s, "high")) {
        *out = CC_REASONING_HIGH;

    } else {
        return CC_ERROR;
    }

    return CC_OK;
}


static int
cc_reasoning_has(const cc_str_t *s, const char *needle)
{
    size_t  n, i;

    n = strlen(needle);

    for (i = 0; n <= s->len && i <= s->len - n; i++) {
        if (memcmp(s->data + i, needle, n) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * By the id's text, so that "us.", "global." and ARNs match too: Claude
 * 3.7 and every Claude from 4 on think; Claude 3 and 3.5 do not.
 */

cc_reasoning_family_e
cc_reasoning_family(const cc_str_t *model_id)
{
    if (model_id == NULL || model_id->len == 0) {
        return CC_REASONING_OTHER;
    }

    if (cc_reasoning_has(model_id, "anthropic.claude-")) {
        if (cc_reasoning_has(model_id, "claude-3-7")
            || !cc_reasoning_has(model_id, "claude-3"))
        {
            return CC_REASONING_CLAUDE;
        }

        return CC_REASONING_OTHER;
    }

    if (cc_reasoning_has(model_id, "amazon.nova-2-")) {
        return CC_REASONING_NOVA2;
    }

    return CC_REASONING_OTHER;
}


void
cc_reasoning_plan(cc_reasoning_e request, cc_reasoning_e dflt,
    const cc_str_t *model_id, int forced_tool, cc_reasoning_plan_t *plan)
{
    cc_reasoning_e  e;

    memset(plan, 0, sizeof(cc_reasoning_plan_t));

    e = (request != CC_REASONING_UNSET) ? request : dflt;

    if (e == CC_REASONING_UNSET || e == CC_REASONING_OFF) {
        return;
    }

    plan->family = cc_reasoning_family(model_id);

    if (plan->family == CC_REASONING_CLAUDE && forced_tool) {
        plan->family = CC_REASONING_OTHER;
    }

    if (plan->family == CC_REASONING_OTHER) {
        return;
    }

    plan->effort = e;

    switch (e) {

    case CC_REASONING_HIGH:
        plan->budget = CC_REASONING_BUDGET_HIGH;
        plan->level = "high";
        break;

    case CC_REASONING_MEDIUM:
        plan->budget = CC_REASONING_BUDGET_MEDIUM;
        plan->level = "medium";
        break;

    default:
        /* minimal and low: Claude's smallest budget, Nova's "low" */
        plan->budget = CC_REASONING_BUDGET_LOW;
        plan->level = "low";
        break;
    }
}


int
cc_reasoning_gen(yajl_gen g, const cc_reasoning_plan_t *plan)
{
    if (plan->family == CC_REASONING_OTHER) {
        return CC_OK;
    }

    if (cc_gen_lit(g, "additionalModelRequestFields")
        || yajl_gen_map_open(g)
        || cc_reasoning_gen_fields(g, plan) != CC_OK)
    {
        return CC_ERROR;
    }

    return yajl_gen_map_close(g) ? CC_ERROR : CC_OK;
}


/* the members of additionalModelRequestFields alone (none: OTHER) */

int
cc_reasoning_gen_fields(yajl_gen g, const cc_reasoning_plan_t *plan)
{
    if (plan->family == CC_REASONING_OTHER) {
        return CC_OK;
    }

    if (plan->family == CC_REASONING_CLAUDE) {
        if (cc_gen_lit(g, "thinking") || yajl_gen_map_open(g)
            || cc_gen_lit(g, "type") || cc_gen_lit(g, "enabled")
            || cc_gen_lit(g, "budget_tokens")
            || yajl_gen_integer(g, (long long) plan->budget)
            || yajl_gen_map_close(g))
        {
            return CC_ERROR;
        }

    } else {
        if (cc_gen_lit(g, "reasoningConfig") || yajl_gen_map_open(g)
            || cc_gen_lit(g, "type") || cc_gen_lit(g, "enabled")
            || cc_gen_lit(g, "maxReasoningEffort")
            || yajl_gen_string(g, (const u_char *) plan->level,
                               strlen(plan->level))
            || yajl_gen_map_close(g))
        {
            return CC_ERROR;
        }
    }

    return CC_OK;
}


int64_t
cc_reasoning_max_tokens(const cc_reasoning_plan_t *plan, int64_t max_tokens)
{
    return plan->budget
           + (max_tokens > 0 ? max_tokens : CC_REASONING_ANSWER_TOKENS);
}
