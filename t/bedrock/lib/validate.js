'use strict';
/*
 * Request-body validation with Bedrock's ValidationException messages
 * (PROTOCOLS §1.5).  Returns null when the body is acceptable, else the
 * message string.  Positions in the "The text field ... at messages.N..."
 * family are 0-based (as Bedrock prints them); the "1 validation error
 * detected" family uses AWS's 1-based member indices.
 */

const MSG = {
    malformed: 'Malformed input request, please reformat your input and try '
        + 'again.',
    firstUser: 'A conversation must start with a user message. Try again with '
        + 'a conversation that starts with a user message.',
    alternate: 'A conversation must alternate between user and assistant '
        + 'roles. Make sure the conversation alternates between user and '
        + 'assistant roles and try again.',
    toolConfig: 'The toolConfig field must be defined when using toolUse and '
        + 'toolResult content blocks.',
};

const BLOCK_KEYS = new Set([
    'text', 'image', 'document', 'video', 'audio', 'toolUse', 'toolResult',
    'reasoningContent', 'cachePoint', 'guardContent', 'citationsContent',
    'searchResult',
]);

function isObj(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function blank(s) {
    return typeof s !== 'string' || s.trim() === '';
}

function constraint(value, where, what) {
    return `1 validation error detected: Value '${value}' at '${where}' `
        + `failed to satisfy constraint: ${what}`;
}

function checkRange(obj, key, where, min, max) {
    if (!isObj(obj) || obj[key] === undefined) {
        return null;
    }
    const v = obj[key];
    if (typeof v !== 'number' || !isFinite(v)) {
        return MSG.malformed;
    }
    if (min !== null && v < min) {
        return constraint(v, where, 'Member must have value greater than or '
                          + `equal to ${min}`);
    }
    if (max !== null && v > max) {
        return constraint(v, where, 'Member must have value less than or '
                          + `equal to ${max}`);
    }
    return null;
}

function validate(body) {
    if (!isObj(body)) {
        return MSG.malformed;
    }
    const messages = body.messages;
    if (messages === undefined || messages === null) {
        return '1 validation error detected: Value null at \'messages\' failed '
            + 'to satisfy constraint: Member must not be null';
    }
    if (!Array.isArray(messages)) {
        return MSG.malformed;
    }
    if (messages.length === 0) {
        return MSG.firstUser;
    }

    const ic = body.inferenceConfig;
    if (ic !== undefined && !isObj(ic)) {
        return MSG.malformed;
    }
    let err = checkRange(ic, 'temperature', 'inferenceConfig.temperature', 0, 1)
        || checkRange(ic, 'topP', 'inferenceConfig.topP', 0, 1)
        || checkRange(ic, 'maxTokens', 'inferenceConfig.maxTokens', 1, null);
    if (err) {
        return err;
    }
    if (isObj(ic) && ic.stopSequences !== undefined) {
        if (!Array.isArray(ic.stopSequences)) {
            return MSG.malformed;
        }
        for (let i = 0; i < ic.stopSequences.length; i++) {
            const s = ic.stopSequences[i];
            if (typeof s !== 'string' || s.length === 0) {
                return constraint(s, `inferenceConfig.stopSequences.${i + 1}`
                                  + '.member', 'Member must have length '
                                  + 'greater than or equal to 1');
            }
        }
    }

    if (body.system !== undefined) {
        if (!Array.isArray(body.system)) {
            return MSG.malformed;
        }
        for (let i = 0; i < body.system.length; i++) {
            const b = body.system[i];
            if (!isObj(b) || Object.keys(b).length !== 1) {
                return MSG.malformed;
            }
            if ('text' in b && blank(b.text)) {
                return `The text field in the SystemContentBlock object at `
                    + `system.${i} is blank. Add text to the text field, and `
                    + 'try again.';
            }
        }
    }

    const tc = body.toolConfig;
    if (tc !== undefined) {
        if (!isObj(tc) || !Array.isArray(tc.tools)) {
            return tc && tc.tools === undefined
                ? '1 validation error detected: Value null at '
                  + '\'toolConfig.tools\' failed to satisfy constraint: '
                  + 'Member must not be null'
                : MSG.malformed;
        }
        if (tc.tools.length === 0) {
            return constraint('[]', 'toolConfig.tools', 'Member must have '
                              + 'length greater than or equal to 1');
        }
        for (let i = 0; i < tc.tools.length; i++) {
            const t = tc.tools[i];
            if (!isObj(t) || Object.keys(t).length !== 1) {
                return MSG.malformed;
            }
            if (!t.toolSpec) {
                continue;
            }
            const spec = t.toolSpec;
            const where = `toolConfig.tools.${i + 1}.member.toolSpec`;
            if (!isObj(spec) || typeof spec.name !== 'string') {
                return MSG.malformed;
            }
            if (!/^[a-zA-Z0-9_-]+$/.test(spec.name)) {
                return constraint(spec.name, where + '.name', 'Member must '
                                  + 'satisfy regular expression pattern: '
                                  + '[a-zA-Z0-9_-]+');
            }
            if (spec.name.length > 64) {
                return constraint(spec.name, where + '.name', 'Member must '
                                  + 'have length less than or equal to 64');
            }
            if (spec.description !== undefined && spec.description === '') {
                return constraint('', where + '.description', 'Member must '
                                  + 'have length greater than or equal to 1');
            }
            if (!isObj(spec.inputSchema) || !isObj(spec.inputSchema.json)) {
                return '1 validation error detected: Value null at \''
                    + where + '.inputSchema\' failed to satisfy constraint: '
                    + 'Member must not be null';
            }
            if (spec.inputSchema.json.type !== 'object') {
                return 'The value at toolConfig.tools.' + i + '.toolSpec.'
                    + 'inputSchema.json.type must be object';
            }
        }
        const choice = tc.toolChoice;
        if (choice !== undefined
            && (!isObj(choice) || Object.keys(choice).length !== 1
                || !['auto', 'any', 'tool'].includes(Object.keys(choice)[0])))
        {
            return MSG.malformed;
        }
    }

    let prevRole = null;
    let pendingToolUse = null;   /* ids of the previous assistant turn */
    for (let n = 0; n < messages.length; n++) {
        const m = messages[n];
        if (!isObj(m)) {
            return MSG.malformed;
        }
        if (m.role !== 'user' && m.role !== 'assistant') {
            return constraint(m.role, `messages.${n + 1}.member.role`,
                              'Member must satisfy enum value set: '
                              + '[user, assistant]');
        }
        if (n === 0 && m.role !== 'user') {
            return MSG.firstUser;
        }
        if (m.role === prevRole) {
            return MSG.alternate;
        }
        prevRole = m.role;
        if (!Array.isArray(m.content)) {
            return m.content === undefined
                ? `1 validation error detected: Value null at 'messages.`
                  + `${n + 1}.member.content' failed to satisfy constraint: `
                  + 'Member must not be null'
                : MSG.malformed;
        }
        if (m.content.length === 0) {
            return `The content field in the Message object at messages.${n} `
                + 'is empty. Add a ContentBlock object to the content field '
                + 'and try again.';
        }

        const toolUseIds = [];
        const toolResultIds = [];
        for (let k = 0; k < m.content.length; k++) {
            const b = m.content[k];
            if (!isObj(b)) {
                return MSG.malformed;
            }
            const keys = Object.keys(b);
            if (keys.length !== 1 || !BLOCK_KEYS.has(keys[0])) {
                return MSG.malformed;
            }
            const key = keys[0];
            if (key === 'text' && blank(b.text)) {
                return `The text field in the ContentBlock object at messages.`
                    + `${n}.content.${k} is blank. Add text to the text field, `
                    + 'and try again.';
            }
            if (key === 'toolUse' || key === 'toolResult') {
                if (tc === undefined) {
                    return MSG.toolConfig;
                }
                const v = b[key];
                if (!isObj(v)) {
                    return MSG.malformed;
                }
                const id = v.toolUseId;
                if (typeof id !== 'string' || id.length < 1 || id.length > 64
                    || !/^[a-zA-Z0-9_.:-]+$/.test(id))
                {
                    return constraint(id, `messages.${n + 1}.member.content.`
                                      + `${k + 1}.member.${key}.toolUseId`,
                                      'Member must satisfy regular expression '
                                      + 'pattern: [a-zA-Z0-9_.:-]+');
                }
                if (key === 'toolUse') {
                    if (typeof v.name !== 'string' || v.name === '') {
                        return MSG.malformed;
                    }
                    if (!isObj(v.input)) {
                        return `The format of the value at messages.${n}.`
                            + `content.${k}.toolUse.input is invalid. Provide a `
                            + 'json object for the field and try again.';
                    }
                    toolUseIds.push(id);
                } else {
                    if (v.content !== undefined && !Array.isArray(v.content)) {
                        return MSG.malformed;
                    }
                    if (v.status === 'error'
                        && (!v.content || v.content.length === 0))
                    {
                        return `The content field at messages.${n}.content.${k}`
                            + '.toolResult cannot be empty when status value is '
                            + 'error.';
                    }
                    for (const c of v.content || []) {
                        if (!isObj(c) || Object.keys(c).length !== 1) {
                            return MSG.malformed;
                        }
                    }
                    toolResultIds.push(id);
                }
            }
        }

        if (m.role === 'user') {
            const expected = pendingToolUse || [];
            if (toolResultIds.length > expected.length) {
                return `The number of toolResult blocks at messages.${n}.content`
                    + ' exceeds the number of toolUse blocks of previous turn.';
            }
            const missing = expected.filter((id) => !toolResultIds.includes(id));
            if (missing.length) {
                return `Expected toolResult blocks at messages.${n}.content for `
                    + `the following Ids: ${missing.join(', ')}`;
            }
            pendingToolUse = null;
        } else {
            pendingToolUse = toolUseIds.length ? toolUseIds : null;
        }
    }
    return null;
}

module.exports = { validate, MSG };
