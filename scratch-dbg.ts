import { LogCapture } from './test/support/logCapture';
import { TcpRelay } from './test/support/tcpRelay';
import { connectRedis } from './common/state/redis';
import { waitFor } from './test/support/waitFor';
(async () => {
  const relay = new TcpRelay('127.0.0.1', 6379);
  const port = await relay.start();
  const logs = new LogCapture('x');
  const r = connectRedis(`redis://127.0.0.1:${port}`, logs.log);
  for (const ev of ['connect','ready','close','reconnecting','end','error']) r.client.on(ev, (e?: Error) => console.log(Date.now()%100000, ev, e?.message ?? ''));
  await waitFor(() => r.up, 5000);
  relay.cut();
  await waitFor(() => !r.up, 5000);
  await new Promise((res) => setTimeout(res, 3000));
  relay.restore();
  await waitFor(() => r.up, 10000);
  console.log(logs.lines);
  await r.close(); await relay.stop();
})();
