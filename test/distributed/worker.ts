// One rank of the distributed tests (run by ranks.ts): `worker.ts <scenario>`, prints one JSON line.
import { allGather, allReduce, barrier, broadcast, destroyProcessGroup, getRank, getWorldSize, initProcessGroup, isInitialized, reduceScatter } from '../../src/distributed/index';
import { tensor, zeros } from '../../src/torch/index';

const scenario = process.argv[2];
const timeout = Number(process.env.TEST_TIMEOUT_MS ?? 20000);
const out: Record<string, unknown> = {};

async function main() {
  if (scenario === 'init-only') {
    try {
      await initProcessGroup({ backend: 'gloo', timeout, initMethod: process.env.TEST_INIT_METHOD });
      out.ok = true;
      await barrier();
    } catch (e) {
      out.error = (e as Error).message;
      out.name = (e as Error).name;
    }
    return;
  }
  const pg = await initProcessGroup({ backend: 'gloo', timeout, initMethod: process.env.TEST_INIT_METHOD });
  const r = getRank(), n = getWorldSize();
  out.rank = r; out.worldSize = n; out.initialized = isInitialized(); out.repr = String(pg);
  if (scenario === 'collectives') {
    for (const op of ['sum', 'avg', 'max', 'min', 'product'] as const) {
      const t = tensor([r + 1.5, -2 * r - 0.5]);
      await allReduce(t, { op });
      out[op] = t.tolist1d();
    }
    const big = zeros([1 << 20]).add(r + 1); // 4 MB
    const w = allReduce(big, { async: true });
    out.asyncBeforeWait = typeof w.wait === 'function';
    await w.wait();
    out.asyncDone = w.isCompleted();
    out.big = [big.tolist1d()[0], big.tolist1d()[(1 << 20) - 1]];
    const b = tensor([r * 10 + 0.25, r]);
    await broadcast(b, { src: n - 1 });
    out.broadcast = b.tolist1d();
    const outs = Array.from({ length: n }, () => zeros([2]));
    await allGather(outs, tensor([r + 0.5, r * r + 0.5]));
    out.allGather = outs.map((o) => o.tolist1d());
    const o = zeros([2]);
    await reduceScatter(o, Array.from({ length: n }, (_, i) => tensor([i * 100 + r + 0.5, i])));
    out.reduceScatter = o.tolist1d();
    const oa = zeros([2]);
    await reduceScatter(oa, Array.from({ length: n }, (_, i) => tensor([i + r + 0.5, 1])), { op: 'avg' });
    out.reduceScatterAvg = oa.tolist1d();
    await barrier();
    try { await allReduce(tensor([1.5]), { op: 'mean' as any }); } catch (e) { out.badOp = (e as Error).message; }
    try { allReduce(zeros([4, 4]).transpose(0, 1), {}); } catch (e) { out.nonContiguous = (e as Error).message; }
  } else if (scenario === 'ticks') {
    // Rank 1 joins the all-reduce late; rank 0's event loop must keep ticking while it waits.
    let ticks = 0;
    const iv = setInterval(() => { ticks++; }, 5);
    const t = tensor([r + 1.5]);
    if (r === 1) await new Promise((res) => setTimeout(res, 400));
    const before = ticks;
    await allReduce(t);
    clearInterval(iv);
    out.ticksDuring = ticks - before;
    out.value = t.tolist1d();
  } else if (scenario === 'die') {
    // Rank 1 exits mid-job; the other rank's collective must fail (never hang).
    await barrier();
    if (r === 1) process.exit(3);
    try {
      await new Promise((res) => setTimeout(res, 200));
      await allReduce(tensor([1.5]));
      out.unexpected = 'allReduce finished without rank 1';
    } catch (e) {
      out.error = (e as Error).message;
    }
  }
  destroyProcessGroup();
  out.afterDestroy = isInitialized();
}

main().then(() => { console.log(JSON.stringify(out)); }, (e) => { console.log(JSON.stringify({ ...out, fatal: String(e?.message ?? e) })); process.exitCode = 1; });
