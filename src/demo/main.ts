import { IssuerUnreachableError, type RunningDemo, startDemo } from './app.js';

/** The client registered by metadata/oidc/demo.yaml. */
export const DEMO_CLIENT_ID = 'passgate-demo';

/**
 * Runs `npm run demo`: the example application on DEMO_PORT (3001) against Passgate at
 * PASSGATE_PUBLIC_URL (http://localhost:3000). Returns an exit code, or null while it serves.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number | null> {
  const issuer = env.PASSGATE_PUBLIC_URL || 'http://localhost:3000';
  const port = Number(env.DEMO_PORT || 3001);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`demo: DEMO_PORT must be a port number, not "${env.DEMO_PORT}"`);
    return 1;
  }
  let demo: RunningDemo;
  try {
    demo = await startDemo({
      issuer,
      port,
      clientId: DEMO_CLIENT_ID,
      redirectUri: `http://localhost:${port}/callback`,
    });
  } catch (error) {
    if (error instanceof IssuerUnreachableError) {
      console.error(`demo: ${error.message}. Start Passgate first with \`npm start\` (in another terminal).`);
    } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(`demo: port ${port} is already in use; stop what uses it or set DEMO_PORT.`);
    } else {
      console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
    }
    return 1;
  }
  console.log(`Passgate demo application: open ${demo.url} (signing in at ${issuer})`);
  const stop = () => {
    demo.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return null;
}
