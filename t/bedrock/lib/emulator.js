'use strict';
/*
 * What the double answers: an "answer plan" built either from the scenario
 * (text=, tokens=, echo=, tool=) or, without those keys, by the emulator's
 * rules (see README.md "Emulator rules").
 *
 * plan = { blocks: [ {kind:'text', text, pieces[]} |
 *                    {kind:'tool', toolUseId, name, input (string),
 *                     pieces[]} ],
 *          stopReason }
 */
const crypto = require('crypto');

let toolCounter = 0;

function resetCounter() {
    toolCounter = 0;
}

/* "tooluse_" + 22 chars [A-Za-z0-9_-], deterministic (counter based,
 * reset by POST /__reset). */
function nextToolUseId() {
    toolCounter += 1;
    const h = crypto.createHash('sha256')
        .update('bedrock-double-tooluse-' + toolCounter).digest('base64url');
    return 'tooluse_' + h.slice(0, 22);
}

/* Split text into deltas of n words each; the concatenation of the pieces
 * is exactly the text ("We", " offer", ...). */
function wordPieces(text, n) {
    const words = text.match(/\s*\S+/g) || [];
    if (words.length === 0) {
        return text.length ? [text] : [];
    }
    const rest = text.slice(words.join('').length);
    words[words.length - 1] += rest;
    const out = [];
    for (let i = 0; i < words.length; i += n) {
        out.push(words.slice(i, i + n).join(''));
    }
    return out;
}

function charPieces(s, n) {
    const out = [];
    for (let i = 0; i < s.length; i += n) {
        out.push(s.slice(i, i + n));
    }
    return out;
}

function textBlock(text, chunk) {
    return { kind: 'text', text, pieces: wordPieces(text, chunk || 1) };
}

function toolBlock(name, input, id) {
    return {
        kind: 'tool',
        toolUseId: id || nextToolUseId(),
        name,
        input,
        /* tool input streams as ~8-character JSON text fragments */
        pieces: charPieces(input, 8),
    };
}

/* All "text" string members anywhere in the body. */
function allText(body) {
    const out = [];
    (function walk(v) {
        if (Array.isArray(v)) {
            v.forEach(walk);
        } else if (v && typeof v === 'object') {
            for (const k of Object.keys(v)) {
                if (k === 'text' && typeof v[k] === 'string') {
                    out.push(v[k]);
                } else {
                    walk(v[k]);
                }
            }
        }
    })(body);
    return out;
}

function countWords(strings) {
    let n = 0;
    for (const s of strings) {
        const w = s.trim();
        if (w) {
            n += w.split(/\s+/).length;
        }
    }
    return n;
}

function defaultInputTokens(body) {
    return countWords(allText(body)) + 10;
}

/* ---- emulator ---- */

const STOP = new Set([
    'get', 'set', 'list', 'fetch', 'find', 'retrieve', 'lookup', 'look',
    'show', 'the', 'and', 'for', 'by', 'with', 'from', 'info', 'information',
    'details', 'data', 'api', 'tool', 'function', 'query', 'search', 'check',
    'do', 'my', 'to', 'of', 'a', 'an', 'v1', 'v2',
]);

/* A tool-name word also matches these user words. */
const SYNONYMS = {
    block: ['lost', 'stolen', 'freeze', 'frozen', 'cancel', 'missing',
            'disable', 'lock'],
    summary: ['balance', 'statement', 'overview', 'owe', 'spent', 'spending',
              'limit'],
    balance: ['summary', 'statement', 'owe', 'much'],
    options: ['offers', 'offer', 'rates', 'rate', 'products', 'available'],
    loan: ['borrow', 'borrowing', 'mortgage', 'lend', 'lending', 'financing'],
    weather: ['temperature', 'forecast', 'rain', 'sunny'],
    transfer: ['send', 'move', 'wire'],
    payment: ['pay', 'paying', 'bill'],
    appointment: ['book', 'booking', 'schedule', 'meeting'],
    agent: ['human', 'person', 'representative', 'someone'],
};

function words(text) {
    return (text.toLowerCase().match(/[a-z0-9]+/g) || []);
}

function wordMatches(w, u) {
    if (u === w) {
        return true;
    }
    if (w.length >= 4 && u.startsWith(w) && u.length - w.length <= 3) {
        return true;                      /* loan/loans, block/blocked */
    }
    if (u.length >= 4 && w.startsWith(u) && w.length - u.length <= 3) {
        return true;                      /* cards -> card tool word */
    }
    return (SYNONYMS[w] || []).includes(u);
}

function scoreTool(name, userWords) {
    const nameWords = name.split(/[_\-\s]+|(?<=[a-z0-9])(?=[A-Z])/)
        .map((w) => w.toLowerCase()).filter((w) => w && !STOP.has(w));
    let score = 0;
    nameWords.forEach((w, i) => {
        if (userWords.some((u) => wordMatches(w, u))) {
            /* the first significant word (usually the action: block_,
             * transfer_) counts double, so "block" beats "card" */
            score += i === 0 ? 2 : 1;
        }
    });
    return score;
}

function toolSpecs(body) {
    const tc = body && body.toolConfig;
    if (!tc || !Array.isArray(tc.tools)) {
        return [];
    }
    return tc.tools.filter((t) => t && t.toolSpec && t.toolSpec.name)
        .map((t) => t.toolSpec);
}

function blockText(content) {
    return (content || []).filter((b) => b && typeof b.text === 'string')
        .map((b) => b.text).join(' ').replace(/\s+/g, ' ').trim();
}

function phoneDigits(text) {
    const m = text.match(/\+?\d[\d\s().-]{5,}\d/g) || [];
    for (const cand of m) {
        const digits = cand.replace(/\D/g, '');
        if (digits.length >= 7 && digits.length <= 15) {
            return digits;
        }
    }
    return null;
}

/* The number of digits a string property wants: from a pattern such as
 * ^[0-9]{4}$ or ^\d{4}$, else from a name such as card_last4; 0 if none. */
function digitCount(name, p) {
    const m = /^\^?(?:\[0-9\]|\\d)\{(\d+)\}\$?$/.exec(p.pattern || '');
    if (m) {
        return Number(m[1]);
    }
    const n = /last_?(\d+)/i.exec(name);
    return n ? Number(n[1]) : 0;
}

/* Arguments from the schema's required properties, where the text
 * offers a value; properties it cannot fill are omitted. */
function buildInput(spec, text) {
    const schema = (spec.inputSchema && spec.inputSchema.json) || {};
    const props = schema.properties || {};
    const input = {};
    const phone = phoneDigits(text);
    const textNoPhone = phone ? text.replace(/\+?\d[\d\s().-]{5,}\d/, ' ')
                              : text;
    for (const name of schema.required || []) {
        const p = props[name] || {};
        const lname = name.toLowerCase();
        if (lname.includes('phone')) {
            if (phone) {
                input[name] = p.type === 'integer' || p.type === 'number'
                    ? Number(phone) : phone;
            }
        } else if (Array.isArray(p.enum) && p.enum.length) {
            const hit = p.enum.find((e) => typeof e === 'string'
                && text.toLowerCase().includes(e.toLowerCase()));
            input[name] = hit !== undefined ? hit : p.enum[0];
        } else if (p.type === 'string' && digitCount(name, p)) {
            /* "card_last4", pattern ^[0-9]{4}$: a group of exactly that
             * many digits, not part of the phone number */
            const n = digitCount(name, p);
            const m = textNoPhone.match(new RegExp(`(?<!\\d)\\d{${n}}(?!\\d)`));
            if (m) {
                input[name] = m[0];
            }
        } else if (lname.includes('email')) {
            const m = text.match(/[^\s@]+@[^\s@]+\.[a-z]{2,}/i);
            if (m) {
                input[name] = m[0];
            }
        } else if (p.type === 'integer' || p.type === 'number') {
            const m = textNoPhone.match(/-?\d+(?:\.\d+)?/);
            if (m) {
                input[name] = p.type === 'integer' ? parseInt(m[0], 10)
                                                   : Number(m[0]);
            }
        } else if (p.type === 'boolean') {
            input[name] = true;
        }
    }
    return input;
}

function lastUser(messages) {
    for (let i = messages.length - 1; i >= 0; i--) {
        if (messages[i] && messages[i].role === 'user') {
            return messages[i];
        }
    }
    return null;
}

function resultText(tr) {
    const parts = [];
    for (const c of (tr && tr.content) || []) {
        if (typeof c.text === 'string') {
            parts.push(c.text.replace(/\s+/g, ' ').trim());
        } else if (c.json !== undefined) {
            parts.push(JSON.stringify(c.json));
        } else {
            parts.push(`[${Object.keys(c)[0]}]`);
        }
    }
    return parts.join(' ');
}

function emulate(body, chunk) {
    const messages = (body && Array.isArray(body.messages)) ? body.messages
                                                            : [];
    const last = lastUser(messages);
    const content = (last && Array.isArray(last.content)) ? last.content : [];

    /* rule 1: answer tool results */
    const results = content.filter((b) => b && b.toolResult)
        .map((b) => b.toolResult);
    if (results.length) {
        const data = results.map(resultText).filter(Boolean).join('; ');
        const text = 'Here is what I found: ' + (data || '(no data)');
        return { blocks: [textBlock(text, chunk)], stopReason: 'end_turn' };
    }

    const userText = blockText(content);
    const specs = toolSpecs(body);
    const tc = body && body.toolConfig;
    const choice = tc && tc.toolChoice;

    /* rule 2: a tool whose name matches the user's words (or toolChoice) */
    if (specs.length) {
        let pick = null;
        if (choice && choice.tool && choice.tool.name) {
            pick = specs.find((s) => s.name === choice.tool.name)
                || { name: choice.tool.name };
        } else {
            const uw = words(userText);
            let best = 0;
            for (const s of specs) {
                const sc = scoreTool(s.name, uw);
                if (sc > best) {
                    best = sc;
                    pick = s;
                }
            }
            if (!pick && choice && choice.any) {
                pick = specs[0];
            }
        }
        if (pick) {
            const input = JSON.stringify(buildInput(pick, userText));
            return { blocks: [toolBlock(pick.name, input)],
                     stopReason: 'tool_use' };
        }
    }

    /* rule 3: a friendly text answer */
    let text;
    if (userText) {
        const said = /[.!?]$/.test(userText) ? userText : userText + '.';
        text = `You said: ${said} I am the local Bedrock emulator; set AWS `
            + 'credentials to talk to Amazon Bedrock.';
    } else {
        text = 'I am the local Bedrock emulator; set AWS credentials to talk '
            + 'to Amazon Bedrock.';
    }
    const plan = { blocks: [textBlock(text, chunk)], stopReason: 'end_turn' };

    /* honour inferenceConfig.maxTokens (one word = one token) */
    const max = body && body.inferenceConfig && body.inferenceConfig.maxTokens;
    const b = plan.blocks[0];
    if (Number.isInteger(max) && max > 0 && b.pieces.length * (chunk || 1) > max) {
        const kept = wordPieces(text, 1).slice(0, max).join('');
        plan.blocks[0] = textBlock(kept, chunk);
        plan.stopReason = 'max_tokens';
    }
    return plan;
}

/* ---- scenario plans ---- */

function hasToolResult(m) {
    return !!(m && Array.isArray(m.content)
              && m.content.some((b) => b && b.toolResult));
}

/* How many rounds of tool results end the conversation: the user turns
 * with toolResult blocks counted back from the last message, up to the
 * first user turn without any (assistant turns in between are skipped). */
function toolResultRounds(body) {
    const messages = (body && Array.isArray(body.messages)) ? body.messages
                                                            : [];
    let n = 0;
    for (let i = messages.length - 1; i >= 0; i--) {
        const m = messages[i];
        if (!m || m.role !== 'user') {
            continue;
        }
        if (!hasToolResult(m)) {
            break;
        }
        n++;
    }
    return n;
}

function scenarioPlan(sc, body, bodyText) {
    const chunk = sc.chunk || 1;
    let blocks = [];
    let stopReason = 'end_turn';

    /* tool= asks only while fewer than tool_rounds (default: the rounds
     * tool= lists) rounds of tool results close the conversation; then
     * the tools have answered */
    const done = sc.tools ? toolResultRounds(body) : 0;
    const toolPhase = sc.tools
        && done < (sc.tool_rounds || sc.toolRounds.length);
    const tr = sc.tools
        ? sc.toolRounds[Math.min(done, sc.toolRounds.length - 1)] : null;

    if (sc.echo || (sc.tools && !toolPhase && sc.echo_after_tool)) {
        blocks.push({ kind: 'text', text: bodyText,
                      pieces: bodyText.length ? [bodyText] : [] });
    } else if (sc.tools && !toolPhase) {
        if (sc.final_text !== undefined) {
            blocks.push(textBlock(sc.final_text, chunk));
        } else {
            const plan = emulate(body, chunk);
            blocks = plan.blocks;
            stopReason = plan.stopReason;
        }
    } else if (sc.tools) {
        const pre = sc.pre_text !== undefined ? sc.pre_text : sc.text;
        if (pre !== undefined && pre !== '') {
            blocks.push(textBlock(pre, chunk));
        }
        let argsList;
        if (tr.args === undefined) {
            argsList = tr.tools.map(() => '{}');
        } else if (tr.tools.length > 1 && tr.args.includes('|')) {
            argsList = tr.args.split('|');
        } else {
            argsList = tr.tools.map(() => tr.args);
        }
        const ids = tr.tool_id !== undefined ? tr.tool_id.split(',') : [];
        tr.tools.forEach((name, i) => {
            const args = argsList[i] !== undefined ? argsList[i]
                                                  : argsList[argsList.length - 1];
            blocks.push(toolBlock(name, args, ids[i]));
        });
        stopReason = 'tool_use';
    } else if (sc.tokens !== undefined) {
        const toks = [];
        for (let i = 1; i <= sc.tokens; i++) {
            toks.push('tok' + i);
        }
        blocks.push(textBlock(toks.join(' '), chunk));
    } else if (sc.text !== undefined) {
        blocks.push(textBlock(sc.text, chunk));
    } else {
        const plan = emulate(body, chunk);
        blocks = plan.blocks;
        stopReason = plan.stopReason;
    }
    /* a block with nothing to say is not emitted */
    blocks = blocks.filter((b) => b.kind === 'tool' || b.pieces.length);
    return { blocks, stopReason: sc.stop || stopReason };
}

module.exports = { emulate, scenarioPlan, defaultInputTokens, resetCounter,
                   wordPieces, nextToolUseId, scoreTool, buildInput,
                   toolResultRounds, textBlock, toolBlock };
