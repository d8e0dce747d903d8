/**
 * A real `moto_server` (the moto AWS emulator) for integration tests.
 *
 * `startMoto()` starts one (with the ACM PCA template behaviour moto lacks added by
 * `moto-patches/sitecustomize.py`) on 127.0.0.1 at a free port, waits until it answers, and points the
 * AWS SDK of this test process at it: dummy credentials, `AWS_REGION=us-east-1` and
 * `AWS_ENDPOINT_URL`. `stop()` kills it by PID, waits for it to exit and restores the
 * environment. A missing `moto_server` is a test failure with instructions, never a skip.
 *
 *   let moto: Moto;
 *   beforeAll(async () => { moto = await startMoto(); });
 *   afterAll(async () => { await moto?.stop(); });
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

export interface Moto {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** The environment a child process needs to use this moto (credentials, region, endpoint). */
  readonly env: Readonly<Record<string, string>>;
  /** Forgets every resource (`POST /moto-api/reset`). */
  reset(): Promise<void>;
  /** Kills the server by PID, waits for it to exit, restores the environment. Idempotent. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** How long to wait for the server to answer `GET /moto-api/`. Default 30 s. */
  readonly readyTimeoutMs?: number;
  /** Whether to set the AWS variables in this process's environment. Default true. */
  readonly setEnv?: boolean;
}

const EXECUTABLE = 'moto_server';
const PATCHES = join(__dirname, 'moto-patches');
const HOST = '127.0.0.1';
const REGION = 'us-east-1';
const STOP_GRACE_MS = 5000;
const OUTPUT_TAIL_CHARS = 4000;
const START_ATTEMPTS = 3;

export async function startMoto(options: StartMotoOptions = {}): Promise<Moto> {
  const executable = findOnPath(EXECUTABLE);
  if (!executable) {
    throw new Error(
      `${EXECUTABLE} is not on PATH (PATH=${process.env.PATH ?? ''}). These integration tests need the moto AWS ` +
        `emulator: install it with \`pip install 'moto[server]'\` (moto 5.x) and make sure ${EXECUTABLE} is on PATH.`,
    );
  }
  // The free port can be taken between probing and binding; try again with a new port then.
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOn(executable, await freePort(), options);
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortInUseError)) throw error;
    }
  }
  throw lastError;
}

class PortInUseError extends Error {}

async function startOn(executable: string, port: number, options: StartMotoOptions): Promise<Moto> {
  const endpoint = `http://${HOST}:${port}`;
  const child = spawn(executable, ['-H', HOST, '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PYTHONUNBUFFERED: '1',
      // moto-patches/sitecustomize.py adds ACM PCA's CSR-passthrough template (see that file).
      PYTHONPATH: [PATCHES, process.env.PYTHONPATH].filter(Boolean).join(delimiter),
    },
  });
  // moto logs every request; keep draining the pipes and remember the tail for error messages.
  let output = '';
  const remember = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  try {
    await waitUntilReady(endpoint, options.readyTimeoutMs ?? 30_000, exited, spawnError, () => output);
  } catch (error) {
    await kill(child, exited);
    if (/address already in use/i.test(output)) throw new PortInUseError(`port ${port} is taken`);
    throw error;
  }

  const env: Record<string, string> = {
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ENDPOINT_URL: endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const saved = new Map<string, string | undefined>();
  if (options.setEnv ?? true) {
    for (const [name, value] of Object.entries(env)) {
      saved.set(name, process.env[name]);
      process.env[name] = value;
    }
    // A profile in the environment would win over the dummy credentials in some SDK paths.
    saved.set('AWS_PROFILE', process.env.AWS_PROFILE);
    delete process.env.AWS_PROFILE;
  }

  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    env,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    stop() {
      stopped ??= (async () => {
        await kill(child, exited);
        for (const [name, value] of saved) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
      })();
      return stopped;
    },
  };
}

async function waitUntilReady(
  endpoint: string,
  timeoutMs: number,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  spawnError: Promise<Error>,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let failure: Error | undefined;
  void exited.then(({ code, signal }) => {
    failure ??= new Error(`${EXECUTABLE} exited before answering (code ${code}, signal ${signal}):\n${output()}`);
  });
  void spawnError.then((error) => {
    failure ??= new Error(`${EXECUTABLE} could not be started: ${error.message}`);
  });
  while (Date.now() < deadline) {
    if (failure) throw failure;
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (failure) throw failure;
  throw new Error(`${EXECUTABLE} did not answer GET ${endpoint}/moto-api/ within ${timeoutMs} ms:\n${output()}`);
}

/** SIGTERM by PID, SIGKILL after a grace period; resolves once the process has exited. */
async function kill(
  child: ChildProcess,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  signal(child.pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const gone = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), STOP_GRACE_MS);
    }),
  ]);
  clearTimeout(timer);
  if (!gone && child.exitCode === null && child.signalCode === null) {
    signal(child.pid, 'SIGKILL');
    await exited;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    // ESRCH: it exited between the check and the signal.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
