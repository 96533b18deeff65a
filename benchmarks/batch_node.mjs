// The batch loop most users of the official Node SDK write, for a side-by-side
// run with `dgrid batch` (benchmarks/run_batch.sh): the input read line by line,
// at most CONCURRENCY calls under way (a p-limit-style limiter that holds the
// reader while every slot is taken, so memory stays bounded), answers and
// failures appended as Batch API output lines.
//
//   node batch_node.mjs INPUT OUTPUT ERRORS CONCURRENCY
//
// Environment: OPENAI_BASE_URL, OPENAI_API_KEY, NODE_EXTRA_CA_CERTS, and
// PEERS_NODE_DIR, the directory whose node_modules holds the `openai` package.
import { createReadStream, createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';

const [input, output, errors, concurrencyText] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
if (!input || !output || !errors || !(concurrency > 0)) {
  console.error('usage: node batch_node.mjs INPUT OUTPUT ERRORS CONCURRENCY');
  process.exit(2);
}
const require = createRequire(path.join(process.env.PEERS_NODE_DIR ?? '.', 'package.json'));
const { OpenAI } = require('openai');

// Up to `n` tasks at a time; `acquire` waits for a free slot.
function limiter(n) {
  let active = 0;
  const waiting = [];
  return {
    async acquire() {
      if (active >= n) await new Promise((resolve) => waiting.push(resolve));
      ++active;
    },
    release() {
      --active;
      waiting.shift()?.();
    },
  };
}

const client = new OpenAI();
const out = createWriteStream(output, { flags: 'a' });
const err = createWriteStream(errors, { flags: 'a' });
const slots = limiter(concurrency);
let answered = 0;
let failed = 0;

async function run(request) {
  try {
    const { data, response, request_id } = await client.chat.completions.create(request.body).withResponse();
    out.write(JSON.stringify({
      id: `batch_req_${request.custom_id}`,
      custom_id: request.custom_id,
      response: { status_code: response.status, request_id, body: data },
      error: null,
    }) + '\n');
    ++answered;
  } catch (e) {
    err.write(JSON.stringify({
      id: `batch_req_${request.custom_id}`,
      custom_id: request.custom_id,
      response: e.status ? { status_code: e.status, request_id: e.request_id ?? null, body: e.error ?? null } : null,
      error: { code: e.code ?? e.name, message: String(e.message) },
    }) + '\n');
    ++failed;
  } finally {
    slots.release();
  }
}

const underWay = new Set();
const lines = createInterface({ input: createReadStream(input), crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  await slots.acquire();
  const call = run(JSON.parse(line));
  underWay.add(call);
  call.then(() => underWay.delete(call));
}
await Promise.all(underWay);
await Promise.all([new Promise((r) => out.end(r)), new Promise((r) => err.end(r))]);
console.error(JSON.stringify({ answered, failed }));
