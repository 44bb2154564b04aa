/**
 * The summaries the hooks write, apart from merge.ts so that what only reads memory (the brief) can tell them
 * without loading the merge.
 */

/** The summary of an entry that has nothing better yet. */
export const PLACEHOLDER_SUMMARY = 'Session in progress.';

/** How the automatic summary's parts start (session/facts.ts writes them): what tells it from the model's words on disk. */
export const AUTO_SUMMARY_LABELS = {
  done: 'Done:',
  commits: 'Commits:',
  title: 'Title:',
  compaction: 'Compaction summary:',
  plan: 'Plan:',
  asked: 'Asked:',
  outcome: 'Outcome:',
  earlier: 'Earlier:',
} as const;

/**
 * Whether a stored summary is one the hooks wrote: the placeholder, or the automatic form (it opens with one of
 * the labels). Only for a merge of two machines' versions, where no session state says which text the hooks wrote
 * last (see isAutomatic).
 */
export function isAutomaticSummary(summary: string): boolean {
  return summary === '' || summary === PLACEHOLDER_SUMMARY || Object.values(AUTO_SUMMARY_LABELS).some((label) => summary.startsWith(`${label} `));
}
