'use strict';
/*
 * Bedrock features beyond plain text and tools, as Bedrock documents
 * them: structured output (outputConfig.textFormat), reasoning
 * (additionalModelRequestFields: Claude's "thinking", Nova 2's
 * "reasoningConfig"; reasoningContent blocks in the history and in the
 * answer), prompt caching (cachePoint blocks).
 *
 * validateFeatures(body, model) returns null or the ValidationException
 * message; it runs after validate() (lib/validate.js).  Messages Bedrock
 * passes through from the model start "The model returned the following
 * errors: " as Bedrock's do; the model-side wording is Anthropic's where
 * known, else the double's own.
 *
 * featurePlan(sc, body, plan) adds the scripted reasoning to an answer
 * plan and scripts the structured answer (json=): as text when the
 * request has outputConfig, as the forced tool's input when toolChoice
 * names a tool; echo_tool=1 makes that answer the request body itself.
 */
const crypto = require('crypto');
const scenario = require('./scenario');

/* json=, reasoning=, signature= are URL-decoded; redacted= is base64 */
scenario.extend({ enc: ['json', 'reasoning', 'signature'],
                  str: ['redacted'], flag: ['echo_tool'] });

const MODEL = 'The model returned the following errors: ';

const MALFORMED = 'Malformed input request, please reformat your input and '
    + 'try again.';

/* parts of model ids: which model has what */
const NATIVE_OUTPUT = ['anthropic.claude-haiku-4-5',
                       'anthropic.claude-sonnet-4-5',
                       'anthropic.claude-opus-4-5',
                       'anthropic.claude-opus-4-6'];

function isObj(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function family(model) {
    const m = String(model || '');
    if (m.includes('anthropic.claude-')) {
        return (m.includes('claude-3-') && !m.includes('claude-3-7'))
            ? 'claude3' : 'claude';
    }
    if (m.includes('amazon.nova-2-')) {
        return 'nova2';
    }
    if (m.includes('amazon.nova-')) {
        return 'nova';
    }
    return 'other';
}

/* the signature the double gives a reasoning text, and checks back */
function signature(text) {
    return crypto.createHash('sha256').update('double-thinking:' + text)
        .digest('base64');
}

/* what reasoning the request enables: null, or {kind, budget, effort} */
function reasoningOf(body) {
    const f = body && body.additionalModelRequestFields;
    if (!isObj(f)) {
        return null;
    }
    if (isObj(f.thinking) && f.thinking.type === 'enabled') {
        return { kind: 'thinking', budget: f.thinking.budget_tokens };
    }
    if (isObj(f.reasoningConfig) && f.reasoningConfig.type === 'enabled') {
        return { kind: 'reasoningConfig',
                 effort: f.reasoningConfig.maxReasoningEffort };
    }
    return null;
}

function checkOutputConfig(body, model) {
    const oc = body.outputConfig;
    if (oc === undefined) {
        return null;
    }
    if (!isObj(oc) || Object.keys(oc).some((k) => k !== 'textFormat')) {
        return MALFORMED;
    }
    const tf = oc.textFormat;
    if (tf === undefined) {
        return null;
    }
    if (!isObj(tf) || tf.type === undefined || tf.structure === undefined) {
        return '1 validation error detected: Value null at '
            + '\'outputConfig.textFormat.type\' failed to satisfy constraint: '
            + 'Member must not be null';
    }
    if (tf.type !== 'json_schema') {
        return `1 validation error detected: Value '${tf.type}' at `
            + '\'outputConfig.textFormat.type\' failed to satisfy '
            + 'constraint: Member must satisfy enum value set: [json_schema]';
    }
    const st = tf.structure;
    if (!isObj(st) || Object.keys(st).length !== 1 || !isObj(st.jsonSchema)) {
        return MALFORMED;
    }
    const js = st.jsonSchema;
    for (const k of Object.keys(js)) {
        if (!['schema', 'name', 'description'].includes(k)) {
            return MALFORMED;
        }
    }
    if (typeof js.schema !== 'string') {
        return '1 validation error detected: Value null at '
            + '\'outputConfig.textFormat.structure.jsonSchema.schema\' failed '
            + 'to satisfy constraint: Member must not be null';
    }
    for (const k of ['name', 'description']) {
        if (js[k] !== undefined
            && (typeof js[k] !== 'string' || js[k].length === 0))
        {
            return `1 validation error detected: Value '${js[k]}' at `
                + `'outputConfig.textFormat.structure.jsonSchema.${k}' failed `
                + 'to satisfy constraint: Member must have length greater than '
                + 'or equal to 1';
        }
    }
    let schema;
    try {
        schema = JSON.parse(js.schema);
    } catch (e) {
        return 'The provided JSON schema is not valid JSON.';
    }
    if (!isObj(schema)) {
        return 'The provided JSON schema must be a JSON object.';
    }
    if (!NATIVE_OUTPUT.some((m) => String(model).includes(m))) {
        return `This model doesn't support the outputConfig.textFormat `
            + `field. (model ${model}; bedrock double)`;
    }
    return null;
}

function checkCachePoint(cp, where) {
    if (!isObj(cp) || cp.type !== 'default'
        || Object.keys(cp).some((k) => k !== 'type' && k !== 'ttl'))
    {
        return MALFORMED;
    }
    if (cp.ttl !== undefined && cp.ttl !== '5m' && cp.ttl !== '1h') {
        return `1 validation error detected: Value '${cp.ttl}' at '${where}.ttl'`
            + ' failed to satisfy constraint: Member must satisfy enum value '
            + 'set: [5m, 1h]';
    }
    return null;
}

/* cachePoint: after some content (never first), at most 4 in a request */
function checkCaching(body, model) {
    const lists = [];
    if (Array.isArray(body.system)) {
        lists.push(['system', body.system]);
    }
    if (isObj(body.toolConfig) && Array.isArray(body.toolConfig.tools)) {
        lists.push(['toolConfig.tools', body.toolConfig.tools]);
    }
    (body.messages || []).forEach((m, n) => {
        if (isObj(m) && Array.isArray(m.content)) {
            lists.push([`messages.${n}.content`, m.content]);
        }
    });
    let count = 0;
    for (const [name, list] of lists) {
        for (let i = 0; i < list.length; i++) {
            const b = list[i];
            if (!isObj(b) || b.cachePoint === undefined) {
                continue;
            }
            count++;
            const err = checkCachePoint(b.cachePoint, `${name}.${i}.cachePoint`);
            if (err) {
                return err;
            }
            if (name === 'toolConfig.tools'
                && ['nova', 'nova2'].includes(family(model)))
            {
                return `The model ${model} doesn't support cachePoint in `
                    + 'toolConfig.tools. (bedrock double)';
            }
            if (i === 0 || (list[i - 1] && list[i - 1].cachePoint)) {
                return `The cachePoint at ${name}.${i} must follow content. `
                    + 'Place a cache checkpoint after the content to cache.';
            }
        }
    }
    if (count > 4) {
        return `A maximum of 4 cache checkpoints is allowed, but the request `
            + `has ${count}.`;
    }
    if (count && !['claude', 'claude3', 'nova', 'nova2'].includes(family(model))) {
        return `This model doesn't support prompt caching. (model ${model}; `
            + 'bedrock double)';
    }
    return null;
}

/* reasoningContent blocks: assistant turns only, signed as issued */
function checkReasoningBlocks(body, model) {
    const fam = family(model);
    const msgs = body.messages || [];
    for (let n = 0; n < msgs.length; n++) {
        const m = msgs[n];
        if (!isObj(m) || !Array.isArray(m.content)) {
            continue;
        }
        for (let k = 0; k < m.content.length; k++) {
            const rc = isObj(m.content[k]) && m.content[k].reasoningContent;
            if (rc === undefined || rc === false) {
                continue;
            }
            if (m.role !== 'assistant') {
                return `messages.${n}.content.${k}: reasoningContent blocks `
                    + 'are only allowed in assistant messages.';
            }
            if (!isObj(rc) || Object.keys(rc).length !== 1) {
                return MALFORMED;
            }
            if (rc.redactedContent !== undefined) {
                if (typeof rc.redactedContent !== 'string'
                    || !/^[A-Za-z0-9+/]+={0,2}$/.test(rc.redactedContent))
                {
                    return MALFORMED;
                }
                continue;
            }
            const rt = rc.reasoningText;
            if (!isObj(rt) || typeof rt.text !== 'string') {
                return MALFORMED;
            }
            if (fam === 'claude' && rt.signature !== signature(rt.text)) {
                return MODEL + `messages.${n}.content.${k}: Invalid \`signature\``
                    + ' in `thinking` block';
            }
        }
    }
    return null;
}

function checkThinking(body, model, r) {
    const fam = family(model);
    if (fam !== 'claude') {
        return `${MODEL}extraneous key [thinking] is not permitted`;
    }
    const f = body.additionalModelRequestFields.thinking;
    if (!Number.isInteger(f.budget_tokens)) {
        return `${MODEL}thinking.enabled.budget_tokens: Field required`;
    }
    if (f.budget_tokens < 1024) {
        return `${MODEL}thinking.enabled.budget_tokens: Input should be `
            + 'greater than or equal to 1024';
    }
    const ic = body.inferenceConfig || {};
    if (!Number.isInteger(ic.maxTokens) || ic.maxTokens <= f.budget_tokens) {
        return `${MODEL}\`max_tokens\` must be greater than `
            + '`thinking.budget_tokens`. Please consult our documentation at '
            + 'https://docs.claude.com/en/docs/build-with-claude/'
            + 'extended-thinking#max-tokens-and-context-window-size';
    }
    if (ic.temperature !== undefined && ic.temperature !== 1) {
        return `${MODEL}\`temperature\` may only be set to 1 when thinking is `
            + 'enabled. Please consult our documentation at '
            + 'https://docs.claude.com/en/docs/build-with-claude/'
            + 'extended-thinking#feature-compatibility';
    }
    if (ic.topP !== undefined && ic.topP < 0.95) {
        return `${MODEL}\`top_p\` must be greater than or equal to 0.95 or `
            + 'unset when thinking is enabled. Please consult our '
            + 'documentation at https://docs.claude.com/en/docs/'
            + 'build-with-claude/extended-thinking#feature-compatibility';
    }
    const tc = body.toolConfig;
    if (isObj(tc) && isObj(tc.toolChoice)
        && (tc.toolChoice.any || tc.toolChoice.tool))
    {
        return `${MODEL}Thinking may not be enabled when tool_choice forces `
            + 'tool use.';
    }
    /* the assistant turn that asked for the tools being answered */
    const msgs = body.messages || [];
    const last = msgs[msgs.length - 1];
    const prev = msgs[msgs.length - 2];
    if (isObj(last) && Array.isArray(last.content)
        && last.content.some((b) => isObj(b) && b.toolResult)
        && isObj(prev) && Array.isArray(prev.content)
        && !(isObj(prev.content[0]) && prev.content[0].reasoningContent))
    {
        const first = isObj(prev.content[0])
            ? Object.keys(prev.content[0])[0] : 'nothing';
        return `${MODEL}messages.${msgs.length - 2}.content.0.type: Expected `
            + `\`thinking\` or \`redacted_thinking\`, but found \`${first}\`. `
            + 'When `thinking` is enabled, a final `assistant` message must '
            + 'start with a thinking block (preceeding the lastmost set of '
            + '`tool_use` and `tool_result` blocks).';
    }
    void r;
    return null;
}

function checkReasoningConfig(body, model) {
    if (family(model) !== 'nova2') {
        return `${MODEL}extraneous key [reasoningConfig] is not permitted`;
    }
    const rc = body.additionalModelRequestFields.reasoningConfig;
    for (const k of Object.keys(rc)) {
        if (k !== 'type' && k !== 'maxReasoningEffort') {
            return `${MODEL}extraneous key [reasoningConfig.${k}] is not `
                + 'permitted';
        }
    }
    if (!['low', 'medium', 'high'].includes(rc.maxReasoningEffort)) {
        return `${MODEL}reasoningConfig.maxReasoningEffort must be one of `
            + 'low, medium, high';
    }
    const ic = body.inferenceConfig || {};
    if (rc.maxReasoningEffort === 'high'
        && (ic.temperature !== undefined || ic.topP !== undefined
            || ic.maxTokens !== undefined))
    {
        return `${MODEL}temperature, topP and maxTokens must not be set when `
            + 'reasoningConfig.maxReasoningEffort is high';
    }
    return null;
}

function checkReasoning(body, model) {
    const f = body.additionalModelRequestFields;
    if (f === undefined) {
        return null;
    }
    if (!isObj(f)) {
        return MALFORMED;
    }
    const r = reasoningOf(body);
    if (isObj(f.thinking)) {
        if (!['enabled', 'disabled'].includes(f.thinking.type)) {
            return `${MODEL}thinking.type: Input tag '${f.thinking.type}' `
                + 'found using \'type\' does not match any of the expected '
                + 'tags: \'disabled\', \'enabled\'';
        }
        if (f.thinking.type === 'enabled') {
            return checkThinking(body, model, r);
        }
    }
    if (isObj(f.reasoningConfig)) {
        if (!['enabled', 'disabled'].includes(f.reasoningConfig.type)) {
            return `${MODEL}reasoningConfig.type must be enabled or disabled`;
        }
        if (f.reasoningConfig.type === 'enabled') {
            return checkReasoningConfig(body, model);
        }
    }
    return null;
}

function validateFeatures(body, model) {
    if (!isObj(body)) {
        return null;
    }
    return checkOutputConfig(body, model)
        || checkCaching(body, model)
        || checkReasoningBlocks(body, model)
        || checkReasoning(body, model);
}

function charPieces(s, n) {
    const out = [];
    for (let i = 0; i < s.length; i += n) {
        out.push(s.slice(i, i + n));
    }
    return out;
}

/*
 * json=: the structured answer, where the request wants it; reasoning=,
 * signature=, redacted=: reasoning blocks first, when the request enables
 * reasoning (Bedrock sends none otherwise).
 */
function featurePlan(sc, body, plan, toolBlock, bodyText) {
    if (sc && sc.echo_tool) {
        /* the request body as the forced tool's input (or as text) */
        sc = Object.assign({}, sc, { json: bodyText });
    }
    if (sc && sc.json !== undefined) {
        const tc = body && body.toolConfig;
        const forced = isObj(tc) && isObj(tc.toolChoice) && tc.toolChoice.tool
            && tc.toolChoice.tool.name;
        const blocks = [];
        if (sc.pre_text) {
            blocks.push({ kind: 'text', text: sc.pre_text,
                          pieces: [sc.pre_text] });
        }
        if (forced) {
            blocks.push(toolBlock(forced, sc.json, sc.tool_id));
            plan = { blocks, stopReason: 'tool_use' };
        } else {
            blocks.push({ kind: 'text', text: sc.json,
                          pieces: charPieces(sc.json, 8) });
            plan = { blocks, stopReason: 'end_turn' };
        }
    }
    if (sc && (sc.reasoning !== undefined || sc.redacted !== undefined)
        && reasoningOf(body))
    {
        const pre = [];
        if (sc.reasoning !== undefined) {
            pre.push({ kind: 'reasoning', text: sc.reasoning,
                       pieces: charPieces(sc.reasoning, 12),
                       signature: sc.signature !== undefined
                           ? sc.signature : signature(sc.reasoning) });
        }
        if (sc.redacted !== undefined) {
            pre.push({ kind: 'redacted', data: sc.redacted,
                       pieces: [sc.redacted] });
        }
        plan = { blocks: pre.concat(plan.blocks),
                 stopReason: plan.stopReason };
    }
    return plan;
}

/* the stream's deltas of a block: text, toolUse or reasoningContent */
function deltasOf(b) {
    if (b.kind === 'reasoning') {
        return b.pieces.map((p) => ({ reasoningContent: { text: p } }))
            .concat([{ reasoningContent: { signature: b.signature } }]);
    }
    if (b.kind === 'redacted') {
        return [{ reasoningContent: { redactedContent: b.data } }];
    }
    return b.pieces.map((p) => (b.kind === 'text' ? { text: p }
                                                    : { toolUse: { input: p } }));
}

/* the Converse content block of a reasoning block, or null */
function contentOf(b) {
    if (b.kind === 'reasoning') {
        return { reasoningContent: { reasoningText: {
            text: b.text, signature: b.signature } } };
    }
    if (b.kind === 'redacted') {
        return { reasoningContent: { redactedContent: b.data } };
    }
    return null;
}

module.exports = { validateFeatures, featurePlan, deltasOf, contentOf,
                   signature, family, reasoningOf };
