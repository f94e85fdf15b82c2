// One process of bench:graph's hop floor (hopFloor.ts), plain JavaScript so that nothing but
// node:http and undici runs in it: `origin` answers every POST with a small JSON body at once;
// `proxy <url>` forwards each POST to the origin over undici (one pooled connection per
// client connection, as the gateway's subgraph client) and answers with what came back.
// Prints its port on stdout once listening.
const { Buffer } = require('node:buffer');
const http = require('node:http');
const { Agent, request } = require('undici');

const [role, target] = process.argv.slice(2);
const ANSWER = JSON.stringify({
  data: {
    car: { id: '00000000-0000-4000-8000-000000000000', brand: 'Renault', model: 'Clio', version: null, revision: 1 },
  },
});
const agent = new Agent({ keepAliveTimeout: 60_000 });

const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  let body = ANSWER;
  if (role === 'proxy') {
    const answer = await request(target, {
      method: 'POST',
      body: Buffer.concat(chunks),
      headers: { 'content-type': 'application/json' },
      dispatcher: agent,
    });
    body = await answer.body.text();
  }
  res.setHeader('content-type', 'application/json');
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
