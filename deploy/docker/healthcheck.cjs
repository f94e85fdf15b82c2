'use strict';
/**
 * The images' HEALTHCHECK (and docker-compose's): slim Node images have neither curl
 * nor wget, so Node itself asks the service. Plain CommonJS with no dependencies, so
 * it runs in any of the images as they are.
 *
 *   node deploy/docker/healthcheck.cjs <PORT_VARIABLE> <default port> [path]
 *
 * The port is read from the service's own variable (e.g. CAR_PORT) so that a
 * container started with another port is still checked where it listens. Exits 0
 * on HTTP 200, 1 otherwise (including no answer within 2 s).
 */
const http = require('node:http');

const [portVariable, defaultPort, path = '/health'] = process.argv.slice(2);
const port = Number(process.env[portVariable ?? ''] || defaultPort);
if (!Number.isInteger(port) || port <= 0) {
  console.error(
    `healthcheck: no usable port (${portVariable}=${process.env[portVariable ?? '']}, default ${defaultPort})`,
  );
  process.exit(1);
}

const request = http.get({ host: '127.0.0.1', port, path, timeout: 2000 }, (response) => {
  response.resume();
  process.exit(response.statusCode === 200 ? 0 : 1);
});
request.on('timeout', () => request.destroy(new Error('timed out')));
request.on('error', () => process.exit(1));
