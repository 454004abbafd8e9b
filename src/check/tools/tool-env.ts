/** The environment for SpamAssassin and Chromium: everything but fintechweekly's own secrets. */
export function toolEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('FINTECHWEEKLY_')));
}
