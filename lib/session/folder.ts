import type { Client } from '../clients/client.js';
import type { SessionSource } from './facts.js';

/** The folder a session runs in before any capture fixed it (see SessionSource.cwd). */
export async function sessionFolder(client: Client, source: SessionSource): Promise<string> {
  if (source.cwd) return source.cwd;
  return (source.transcriptPath && (await client.transcriptCwd(source.transcriptPath))) || process.cwd();
}
