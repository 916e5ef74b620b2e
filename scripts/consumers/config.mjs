// Loads a config from an env object and checks the types and the redaction.
export async function smoke(mod, { load }) {
  const { z } = await load("zod");
  const config = mod.loadConfig(
    { port: mod.env("PORT", z.coerce.number()), token: mod.secret("TOKEN", z.string()) },
    { env: { PORT: "8080", TOKEN: "s3cret" } },
  );
  if (config.port !== 8080 || config.token !== "s3cret") throw new Error("wrong values");
  if (JSON.stringify(config).includes("s3cret") || !String(config).includes("[redacted]")) {
    throw new Error("the secret leaked");
  }
  try {
    mod.loadConfig({ port: mod.env("PORT", z.coerce.number()) }, { env: { PORT: "abc" } });
    throw new Error("a bad port loaded");
  } catch (error) {
    if (!mod.ConfigError.isInstance(error) || error.code !== "ECONFIG") throw error;
  }
}
