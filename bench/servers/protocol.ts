/**
 * How a benchmark server talks to the runner over IPC: it says where it listens, and reports
 * its own CPU time on request, so the runner can count requests per server CPU-second.
 */
export function announce(port: number): void {
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'cpu') process.send?.({ type: 'cpu', usage: process.cpuUsage() });
    if (message?.type === 'stop') process.exit(0);
  });
  process.send?.({ type: 'ready', port });
}
