// Runs graphql-http's GraphQL-over-HTTP server audits against a live server, one at a time,
// and prints each result with its requirement level (MUST, SHOULD, MAY).
//
//   node audit.mjs http://127.0.0.1:8000/graphql [--report results.json]
//
// Exit status: 0 when every MUST passes, 1 when a MUST fails, 2 when the audit could not run
// (bad usage, server unreachable). --report also writes the results as JSON, for programs.

import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { serverAudits } from 'graphql-http';

const REQUEST_TIMEOUT_MS = 10_000;
const LEVELS = ['MUST', 'SHOULD', 'MAY'];

function usage(message) {
  process.stderr.write(`${message}\nusage: node audit.mjs <graphql url> [--report FILE]\n`);
  process.exit(2);
}

function parseArguments(argv) {
  const positional = [];
  let report = null;
  for (let index = 0; index < argv.length; index += 1) {
    if (argv[index] === '--report') {
      report = argv[index + 1];
      if (!report) usage('--report needs a file name');
      index += 1;
    } else if (argv[index].startsWith('--')) {
      usage(`unknown option ${argv[index]}`);
    } else {
      positional.push(argv[index]);
    }
  }
  if (positional.length !== 1) usage('expected exactly one URL');
  let url;
  try {
    url = new URL(positional[0]);
  } catch {
    usage(`not a URL: ${positional[0]}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') usage('the URL must be http(s)');
  return { url: url.toString(), report };
}

// A stalled server must fail the run, not hang it.
function fetchWithTimeout(input, init = {}) {
  return fetch(input, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
}

function describe(result) {
  const level = result.name.split(' ', 1)[0];
  const entry = {
    id: result.id,
    level,
    name: result.name.slice(level.length + 1),
    ok: result.status === 'ok',
  };
  if (!entry.ok) {
    entry.reason = result.reason;
    entry.status = result.response.status;
    entry.contentType = result.response.headers.get('content-type');
  }
  return entry;
}

async function runAudits(url) {
  const results = [];
  // One after another: the server sees one request at a time, and the order is stable.
  for (const audit of serverAudits({ url, fetchFn: fetchWithTimeout })) {
    results.push(describe(await audit.fn()));
  }
  return results;
}

function summarize(results) {
  return Object.fromEntries(
    LEVELS.map((level) => {
      const ofLevel = results.filter((result) => result.level === level);
      const ok = ofLevel.filter((result) => result.ok).length;
      return [level, { ok, failed: ofLevel.length - ok }];
    }),
  );
}

function lines(version, url, results, summary) {
  const printed = [`graphql-http ${version} server audits against ${url}`];
  for (const level of LEVELS) {
    for (const result of results.filter((entry) => entry.level === level)) {
      let line = `${result.ok ? 'ok  ' : 'FAIL'} ${level.padEnd(6)} ${result.id} ${result.name}`;
      if (!result.ok) {
        const contentType = result.contentType ?? 'no content-type';
        line += ` -- ${result.reason} (got ${result.status}, ${contentType})`;
      }
      printed.push(line);
    }
  }
  const counts = LEVELS.map(
    (level) => `${level} ${summary[level].ok} ok of ${summary[level].ok + summary[level].failed}`,
  );
  printed.push(`summary: ${counts.join('; ')}`);
  return printed;
}

async function main() {
  const { url, report } = parseArguments(process.argv.slice(2));
  const version = createRequire(import.meta.url)('graphql-http/package.json').version;
  let results;
  try {
    results = await runAudits(url);
  } catch (error) {
    process.stderr.write(`the audit could not run against ${url}: ${error.cause ?? error}\n`);
    process.exit(2);
  }
  const summary = summarize(results);
  process.stdout.write(`${lines(version, url, results, summary).join('\n')}\n`);
  if (report) {
    writeFileSync(report, JSON.stringify({ graphqlHttp: version, url, summary, results }, null, 2));
  }
  process.exit(summary.MUST.failed === 0 ? 0 : 1);
}

await main();
