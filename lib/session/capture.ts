import type { HookContext, HookHandler } from '../hook/run.js';
import { gatherSessionFacts, type SessionSource } from './facts.js';
import { writeSessionMemory } from '../memory/write.js';

/** Stop and SessionEnd: fold the transcript's new bytes and git's view into the session's one entry. */
export const captureSession: HookHandler = async (input, context) => {
  await captureTranscript({ sessionKey: input.session_id, transcriptPath: input.transcript_path, cwd: input.cwd }, context);
  return undefined;
};

/** Brings one session's entry up to date: the running one (a hook), or an earlier one being caught up (`ended`). */
export async function captureTranscript(source: SessionSource & { sessionKey: string }, { paths, now, warn }: HookContext): Promise<void> {
  const at = now();
  const facts = await gatherSessionFacts(paths, source, at);
  await writeSessionMemory(
    paths,
    {
      project: facts.project,
      sessionKey: source.sessionKey,
      captured: facts.captured,
      context: { branch: facts.repo?.branch, originUrl: facts.repo?.originUrl },
      state: facts.state,
    },
    at,
    (error, recovery) => warn(`${error.message}; ${recovery}`),
  );
}
