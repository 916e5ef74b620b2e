/**
 * Whether a `NODE_ENV` value names production the way deployments spell it:
 * `production` or `prod`, in any case, with any spaces around it
 * (`Production`, `PRODUCTION`, `production ` from a trailing space in a
 * manifest). Every guard and default that depends on production reads it
 * here, so no spelling slips past one of them.
 *
 * @example
 * ```ts
 * if (isProductionEnvironment(process.env.NODE_ENV) && !allowInProduction) throw new ChaosProductionError();
 * ```
 */
export function isProductionEnvironment(environment: string | undefined): boolean {
  if (environment === undefined) return false;
  const name = environment.trim().toLowerCase();
  return name === "production" || name === "prod";
}
