'use strict';
/*
 * The Converse fields beyond the conversation, as Bedrock documents them
 * (API reference: GuardrailConfiguration, GuardrailStreamConfiguration,
 * PerformanceConfiguration, ServiceTier, Converse requestMetadata,
 * ImageBlock; the Message.content limits):
 *
 * validateExtras(body, op, model): null when acceptable, else the
 * ValidationException message.  answerExtras(sc, body, plan): the answer's
 * guardrail intervention (scenario guardrail=intervene) or assessment
 * (guardrail=assess), its trace (only when the request's trace is on),
 * and the serviceTier Bedrock reports (the one asked for, or tier=).
 */

const GUARDRAIL_ID = /^(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail\/[a-z0-9]+))$/;
const GUARDRAIL_VERSION = /^(([1-9][0-9]{0,7})|(DRAFT))$/;
const METADATA = /^[a-zA-Z0-9\s:_@$#=/+,\-.]*$/;
const IMAGE_FORMATS = ['gif', 'jpeg', 'png', 'webp'];
const IMAGE_MAX = 3932160;           /* 3.75 MB */
const IMAGES_MAX = 20;
const BLOCKED = 'Sorry, the model cannot answer this question.';

function isObj(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function constraint(value, where, what) {
    return `1 validation error detected: Value '${value}' at '${where}' `
        + `failed to satisfy constraint: ${what}`;
}

function enumOf(obj, key, where, values) {
    if (obj[key] === undefined) {
        return null;
    }
    if (!values.includes(obj[key])) {
        return constraint(obj[key], where, 'Member must satisfy enum value '
                          + `set: [${values.join(', ')}]`);
    }
    return null;
}

function onlyKeys(obj, keys) {
    return Object.keys(obj).every((k) => keys.includes(k));
}

function validateGuardrail(g, op) {
    const keys = ['guardrailIdentifier', 'guardrailVersion', 'trace'];
    if (op === 'converse-stream') {
        keys.push('streamProcessingMode');
    }
    if (!isObj(g) || !onlyKeys(g, keys)) {
        return 'Malformed input request, please reformat your input and '
            + 'try again.';
    }
    if (typeof g.guardrailIdentifier !== 'string'
        || !GUARDRAIL_ID.test(g.guardrailIdentifier))
    {
        return constraint(g.guardrailIdentifier,
                          'guardrailConfig.guardrailIdentifier',
                          'Member must satisfy regular expression pattern: '
                          + GUARDRAIL_ID.source);
    }
    if (typeof g.guardrailVersion !== 'string'
        || !GUARDRAIL_VERSION.test(g.guardrailVersion))
    {
        return constraint(g.guardrailVersion,
                          'guardrailConfig.guardrailVersion',
                          'Member must satisfy regular expression pattern: '
                          + GUARDRAIL_VERSION.source);
    }
    return enumOf(g, 'trace', 'guardrailConfig.trace',
                  ['enabled', 'disabled', 'enabled_full'])
        || enumOf(g, 'streamProcessingMode',
                  'guardrailConfig.streamProcessingMode', ['sync', 'async']);
}

function validateMetadata(m) {
    if (!isObj(m)) {
        return 'Malformed input request, please reformat your input and '
            + 'try again.';
    }
    const keys = Object.keys(m);
    if (keys.length < 1 || keys.length > 16) {
        return constraint('{...}', 'requestMetadata', 'Member must have '
                          + 'length less than or equal to 16');
    }
    for (const k of keys) {
        if (k.length < 1 || k.length > 256 || !METADATA.test(k)) {
            return constraint(k, 'requestMetadata', 'Map keys must satisfy '
                              + 'constraint: [Member must satisfy regular '
                              + 'expression pattern: [a-zA-Z0-9\\s:_@$#=/+,-.]'
                              + '{1,256}]');
        }
        const v = m[k];
        if (typeof v !== 'string') {
            return 'Malformed input request, please reformat your input '
                + 'and try again.';
        }
        if (v.length > 256 || !METADATA.test(v)) {
            return constraint(v, `requestMetadata.${k}`, 'Member must '
                              + 'satisfy regular expression pattern: '
                              + '[a-zA-Z0-9\\s:_@$#=/+,-.]{0,256}');
        }
    }
    return null;
}

/* Converse passes these to the model: Anthropic's tool_choice for Claude */
function validateAdditional(f, body, model) {
    if (!isObj(f)) {
        return 'Malformed input request, please reformat your input and '
            + 'try again.';
    }
    if (f.tool_choice === undefined) {
        return null;
    }
    if (!/anthropic\.claude/.test(model)) {
        return 'The model returned the following errors: Malformed input '
            + 'request: extraneous key [tool_choice] is not permitted, '
            + 'please reformat your input and try again.';
    }
    const tc = f.tool_choice;
    if (!isObj(tc) || typeof tc.type !== 'string') {
        return 'The model returned the following errors: tool_choice: '
            + 'missing field `type`';
    }
    if (!['auto', 'any', 'tool', 'none'].includes(tc.type)
        || (tc.type === 'tool' && typeof tc.name !== 'string'))
    {
        return 'The model returned the following errors: tool_choice: '
            + `invalid type ${tc.type}`;
    }
    if (isObj(body.toolConfig) && body.toolConfig.toolChoice !== undefined) {
        return 'The model returned the following errors: tool_choice: '
            + 'conflicting tool_choice given in toolConfig and in '
            + 'additionalModelRequestFields';
    }
    if (tc.type !== 'none'
        && !(isObj(body.toolConfig) && Array.isArray(body.toolConfig.tools)))
    {
        return 'The model returned the following errors: tool_choice may '
            + 'only be specified while providing tools.';
    }
    return null;
}

function base64Length(s) {
    if (typeof s !== 'string' || s.length === 0 || s.length % 4
        || !/^[A-Za-z0-9+/]*={0,2}$/.test(s))
    {
        return -1;
    }
    const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
    return s.length / 4 * 3 - pad;
}

function validateImages(messages) {
    let count = 0;
    for (let n = 0; n < messages.length; n++) {
        const m = messages[n];
        if (!isObj(m) || !Array.isArray(m.content)) {
            continue;
        }
        for (let k = 0; k < m.content.length; k++) {
            const b = m.content[k];
            if (!isObj(b) || b.image === undefined) {
                continue;
            }
            const img = b.image;
            const where = `messages.${n + 1}.member.content.${k + 1}.member`
                + '.image';
            if (m.role !== 'user') {
                return `The model does not support images in the ${m.role} `
                    + 'role. Images are only supported in user messages.';
            }
            if (!isObj(img) || !isObj(img.source)
                || Object.keys(img.source).length !== 1)
            {
                return 'Malformed input request, please reformat your input '
                    + 'and try again.';
            }
            const fmt = enumOf(img, 'format', where + '.format',
                               IMAGE_FORMATS);
            if (fmt || img.format === undefined) {
                return fmt || `1 validation error detected: Value null at `
                    + `'${where}.format' failed to satisfy constraint: `
                    + 'Member must not be null';
            }
            const len = base64Length(img.source.bytes);
            if (len < 0) {
                return 'Malformed input request, please reformat your input '
                    + 'and try again.';
            }
            if (len > IMAGE_MAX) {
                return `The image at messages.${n}.content.${k} exceeds the `
                    + 'maximum size of 3.75 MB.';
            }
            count++;
        }
    }
    if (count > IMAGES_MAX) {
        return `Too many images: ${count}. The maximum number of images in a `
            + `request is ${IMAGES_MAX}.`;
    }
    return null;
}

function validateExtras(body, op, model) {
    if (!isObj(body)) {
        return null;
    }
    let err = null;
    if (body.guardrailConfig !== undefined) {
        err = validateGuardrail(body.guardrailConfig, op);
    }
    if (!err && body.performanceConfig !== undefined) {
        err = isObj(body.performanceConfig)
            && onlyKeys(body.performanceConfig, ['latency'])
            ? enumOf(body.performanceConfig, 'latency',
                     'performanceConfig.latency', ['standard', 'optimized'])
            : 'Malformed input request, please reformat your input and try '
              + 'again.';
    }
    if (!err && body.serviceTier !== undefined) {
        err = isObj(body.serviceTier) && body.serviceTier.type !== undefined
            ? enumOf(body.serviceTier, 'type', 'serviceTier.type',
                     ['priority', 'default', 'flex', 'reserved'])
            : 'Malformed input request, please reformat your input and try '
              + 'again.';
    }
    if (!err && body.requestMetadata !== undefined) {
        err = validateMetadata(body.requestMetadata);
    }
    if (!err && body.additionalModelRequestFields !== undefined) {
        err = validateAdditional(body.additionalModelRequestFields, body,
                                 model);
    }
    if (!err && Array.isArray(body.messages)) {
        err = validateImages(body.messages);
    }
    return err;
}

/* the guardrail's trace as Bedrock reports it under trace.guardrail */
function guardrailTrace(id, action) {
    return {
        inputAssessment: {
            [id]: {
                contentPolicy: {
                    filters: [{ type: 'VIOLENCE', confidence: 'HIGH',
                                filterStrength: 'HIGH', action,
                                detected: action === 'BLOCKED' }],
                },
            },
        },
    };
}

/*
 * The answer's extras: plan may become the guardrail's blocked message;
 * the returned object's members (trace, serviceTier) go into the Converse
 * answer and the metadata event.
 */
function answerExtras(sc, body, plan, textBlock) {
    const out = {};
    const g = isObj(body) ? body.guardrailConfig : undefined;
    if (sc.guardrail && isObj(g)) {
        const intervene = sc.guardrail === 'intervene';
        if (intervene) {
            plan.blocks = [textBlock(BLOCKED, sc.chunk || 1000000)];
            plan.stopReason = 'guardrail_intervened';
        }
        if (g.trace === 'enabled' || g.trace === 'enabled_full') {
            out.trace = { guardrail: guardrailTrace(g.guardrailIdentifier,
                                                    intervene ? 'BLOCKED'
                                                              : 'NONE') };
        }
    }
    const tier = sc.tier
        || (isObj(body) && isObj(body.serviceTier) ? body.serviceTier.type
                                                    : undefined);
    if (tier) {
        out.serviceTier = { type: tier };
    }
    return out;
}

function checkScenario(sc, errors) {
    if (sc.guardrail !== undefined
        && !['intervene', 'assess'].includes(sc.guardrail))
    {
        errors.push('guardrail= wants intervene or assess');
    }
}

module.exports = { validateExtras, answerExtras, checkScenario, BLOCKED };

require('./scenario').extend({ str: ['guardrail', 'tier'],
                               check: checkScenario });
