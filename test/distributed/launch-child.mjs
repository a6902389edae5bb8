// A rank for the launcher tests (plain JS: starts fast). `launch-child.mjs <scenario>`.
const rank = Number(process.env.RANK);
const scenario = process.argv[2];
const say = (o) => process.stdout.write(`${JSON.stringify({ rank, pid: process.pid, ...o })}\n`);
const keepAlive = () => setInterval(() => {}, 1000);

if (scenario === 'env') {
  const keys = ['RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'LOCAL_WORLD_SIZE', 'GROUP_RANK', 'MASTER_ADDR', 'MASTER_PORT', 'OMP_NUM_THREADS'];
  say({ env: Object.fromEntries(keys.map((k) => [k, process.env[k]])), args: process.argv.slice(3) });
} else if (scenario === 'fail') {
  say({ ready: true });
  if (rank === 1) setTimeout(() => process.exit(3), 300);
  else keepAlive();
} else if (scenario === 'stubborn') {
  process.on('SIGTERM', () => say({ ignoredSigterm: true }));
  say({ ready: true });
  if (rank === 1) setTimeout(() => process.kill(process.pid, 'SIGKILL'), 300);
  else keepAlive();
} else if (scenario === 'signal') {
  const t = keepAlive();
  process.on('SIGTERM', () => { say({ gotSigterm: true }); clearInterval(t); });
  say({ ready: true });
}
