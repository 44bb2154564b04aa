/** Scores a redactor on the corpus: what it caught, what it missed, what ordinary text it changed, how fast. */
import { ordinaryCases, secretCases, type OrdinaryCase, type SecretCase } from './corpus.js';

export interface Score {
  secrets: number;
  caught: number;
  missed: { case: SecretCase; output: string }[];
  ordinary: number;
  changed: { case: OrdinaryCase; output: string }[];
}

/** Caught: no 8-character run of the secret (all of it, when it is shorter) is left in the output. */
export function isCaught(secret: string, output: string): boolean {
  const run = Math.min(8, secret.length);
  for (let start = 0; start + run <= secret.length; start++) {
    if (output.includes(secret.slice(start, start + run))) return false;
  }
  return true;
}

/** Scores the outputs a redactor gave for `secretCases` and `ordinaryCases`, in their order. */
export function scoreOutputs(secretOutputs: readonly string[], ordinaryOutputs: readonly string[]): Score {
  const missed = secretCases
    .map((item, index) => ({ case: item, output: secretOutputs[index] ?? item.text }))
    .filter(({ case: item, output }) => !isCaught(item.secret, output));
  const changed = ordinaryCases
    .map((item, index) => ({ case: item, output: ordinaryOutputs[index] ?? item.text }))
    .filter(({ case: item, output }) => output !== item.text);
  return {
    secrets: secretCases.length,
    caught: secretCases.length - missed.length,
    missed,
    ordinary: ordinaryCases.length,
    changed,
  };
}

export function scoreRedactor(redact: (text: string) => string): Score {
  return scoreOutputs(
    secretCases.map((item) => redact(item.text)),
    ordinaryCases.map((item) => redact(item.text)),
  );
}

/** The whole corpus as one text, repeated to at least `bytes`: a session's worth of mixed input for timing. */
export function corpusBlob(bytes: number): string {
  const once = [...secretCases, ...ordinaryCases].map((item) => item.text).join('\n\n');
  return once.repeat(Math.ceil(bytes / once.length));
}
