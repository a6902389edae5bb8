// A local test Hub with this process pointed at it, as the example and course tests need:
// HF_ENDPOINT set, a fresh HF_HOME under the test's folder, no token and no HF_HUB_CACHE override,
// the Trainer quiet. `close()` puts the environment back and stops the server.
import { join } from 'node:path';
import { startHubServer, type HubServer, type StartHubServerOptions } from './hub-server';

export interface TestHubEnv {
  hub: HubServer;
  close(): Promise<void>;
}

export interface TestHubEnvOptions extends StartHubServerOptions {
  /** also silence hubtune's own notes (HUBTUNE_QUIET), not only the Trainer's output */
  quiet?: boolean;
  /** keep the Trainer's progress output (HUBTUNE_QUIET_TRAINER unset) */
  trainerOutput?: boolean;
}

export async function useTestHub(work: string, opts: TestHubEnvOptions = {}): Promise<TestHubEnv> {
  const { quiet = false, trainerOutput = false, ...serverOpts } = opts;
  const hub = await startHubServer(serverOpts);
  const keys = ['HF_ENDPOINT', 'HF_HOME', 'HF_HUB_CACHE', 'HF_TOKEN', 'HUBTUNE_QUIET_TRAINER', 'HUBTUNE_QUIET'];
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  process.env.HF_ENDPOINT = hub.url;
  process.env.HF_HOME = join(work, 'hf-home');
  delete process.env.HF_HUB_CACHE;
  delete process.env.HF_TOKEN;
  if (trainerOutput) delete process.env.HUBTUNE_QUIET_TRAINER;
  else process.env.HUBTUNE_QUIET_TRAINER = '1';
  if (quiet) process.env.HUBTUNE_QUIET = '1';
  return {
    hub,
    async close() {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await hub.close();
    },
  };
}
