'use strict';
/*
 * What the Node.js test scripts (t/creds/rotation.js, t/resil/load.js,
 * t/keys/load.js) share: TAP output, a pause, the worker processes of an
 * nginx master.
 */
const fs = require('fs');

let n = 0;
let failed = 0;

/* one TAP check; diag (a string or anything JSON) when it fails */
function ok(cond, name, diag) {
    n++;
    if (!cond) {
        failed++;
    }
    console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
    if (!cond && diag !== undefined) {
        console.log('# ' + String(typeof diag === 'string' ? diag
                                  : JSON.stringify(diag)).replace(/\n/g, '\n# '));
    }
}

function diag(line) {
    console.log('# ' + line);
}

/* the plan, and the exit status: 1 if a check failed */
function done() {
    console.log(`1..${n}`);
    process.exit(failed ? 1 : 0);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* the children of the nginx master whose pid file is given */
function workerPids(pidFile) {
    let master;
    try {
        master = Number(fs.readFileSync(pidFile, 'utf8').trim());
    } catch (e) {
        return [];
    }
    const pids = [];
    for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) {
            continue;
        }
        try {
            const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
            const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
            if (Number(f[1]) === master) {
                pids.push(Number(d));
            }
        } catch (e) {
            /* gone */
        }
    }
    return pids;
}

module.exports = { ok, diag, done, sleep, workerPids };
