import type { HookHandler } from './hook-run.js';
import { gatherSessionFacts } from './session-facts.js';
import { writeSessionMemory } from './session-memory.js';

/** Stop and SessionEnd: fold the transcript's new bytes and git's view into the session's one entry. */
export const captureSession: HookHandler = async (input, { paths, now, warn }) => {
  const at = now();
  const facts = await gatherSessionFacts(
    paths,
    { sessionKey: input.session_id, transcriptPath: input.transcript_path, cwd: input.cwd },
    at,
  );
  await writeSessionMemory(
    paths,
    {
      project: facts.project,
      sessionKey: input.session_id,
      captured: facts.captured,
      context: { branch: facts.repo?.branch, originUrl: facts.repo?.originUrl },
      state: facts.state,
    },
    at,
    (error) => warn(`${error.message}; entry rebuilt from the last good backup`),
  );
  return undefined;
};
