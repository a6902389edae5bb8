// One rank of bench/distributed.ts through hubtune's binding: median all-reduce ms per size (MB) as JSON.
import { initProcessGroup, allReduce, barrier, destroyProcessGroup } from '../../src/distributed/index';
import { ones } from '../../src/torch/index';
const [rounds, ...mbs] = process.argv.slice(2).map(Number);
await initProcessGroup({ backend: 'gloo' });
const out: Record<string, number> = {};
for (const mb of mbs) {
  const t = ones([Math.round((mb! * 1024 * 1024) / 4)]);
  await allReduce(t);
  const ms: number[] = [];
  for (let r = 0; r < rounds!; r++) { const t0 = performance.now(); await allReduce(t); ms.push(performance.now() - t0); }
  ms.sort((a, b) => a - b);
  out[String(mb)] = Number(ms[ms.length >> 1]!.toFixed(3));
  t.dispose();
}
console.log(JSON.stringify(out));
await barrier();
destroyProcessGroup();
