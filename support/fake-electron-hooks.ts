/** A module.register resolve hook: `electron` is support/fake-electron.js (see fake-electron.ts). */
const FAKE = new URL('./fake-electron.js', import.meta.url).href;

export async function resolve(
  specifier: string,
  context: unknown,
  next: (specifier: string, context: unknown) => Promise<unknown>,
): Promise<unknown> {
  if (specifier === 'electron') return { url: FAKE, shortCircuit: true };
  return next(specifier, context);
}
