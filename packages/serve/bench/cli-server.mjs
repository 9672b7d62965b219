// The real `pcee serve` in a child process, for the serve benchmarks.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url));

/** Exits with a one-line error when the CLI is not built. */
export function requireBuiltCli() {
  if (!existsSync(cli)) {
    console.error(`error: ${cli} is missing; build the CLI first: npx turbo run build --filter=@pcee/cli...`);
    process.exit(1);
  }
}

/**
 * Starts `pcee serve <args>` on a free loopback port (and a free gRPC port with `grpc`);
 * resolves once it listens, with its URL, gRPC address and log.
 */
export function startServer(args, { grpc = false } = {}) {
  const ports = ['--port', '0', ...(grpc ? ['--grpc-port', '0'] : [])];
  const child = spawn(process.execPath, [cli, 'serve', ...args, ...ports, '--log-level', 'info'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk) => (err += chunk));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      const grpcAddress = /"address":"([^"]+)"[^\n]*"msg":"gRPC \(OIP v2\) listening"/.exec(out)?.[1];
      if (match && (!grpc || grpcAddress)) resolve({ url: match[1], grpcAddress, child, logs: () => out });
    });
    child.on('exit', (code) => reject(new Error(`pcee serve exited with ${code}: ${err}`)));
  });
}

/** SIGTERM, then resolves with the exit code once the server has drained and exited. */
export async function stopServer(server) {
  const exited = new Promise((resolve) => server.child.on('exit', (code) => resolve(code)));
  server.child.kill('SIGTERM');
  return exited;
}
