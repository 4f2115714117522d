import { Registry, collectDefaultMetrics } from 'prom-client';

let processRegistry: Registry | undefined;

/**
 * Returns the registry of prom-client's default process metrics (CPU, memory, event loop lag,
 * garbage collection). It is shared by every server in the process, because these metrics
 * describe the process and each call of collectDefaultMetrics starts observers that never stop.
 */
export function sharedProcessRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}
