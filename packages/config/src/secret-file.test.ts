// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in these strings is .env syntax under test, not a template
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { captureConfigError, useTempFolder } from "./config.test-helpers.ts";
import { describeConfig, env, loadConfig, secret } from "./index.ts";

const useTemp = useTempFolder();
const issuesOf = (run: () => unknown) => captureConfigError(run).issues;

const shape = { oauth: { clientSecret: secret("OAUTH_CLIENT_SECRET", z.string().min(1)) } };

describe("NAME_FILE (Docker and Kubernetes secrets)", () => {
  it("reads the value from the file, trailing newline trimmed", () => {
    const temp = useTemp();
    const path = temp.write("oauth-secret", "s3cr3t-from-file\n");
    const config = loadConfig(shape, { env: { OAUTH_CLIENT_SECRET_FILE: path } });
    expect(config.oauth.clientSecret).toBe("s3cr3t-from-file");
    expect(describeConfig(config)).toContain(`file ${path}`);
  });

  it("trims a Windows line ending too, and keeps inner whitespace", () => {
    const temp = useTemp();
    const path = temp.write("oauth-secret", "two words \r\n");
    expect(loadConfig(shape, { env: { OAUTH_CLIENT_SECRET_FILE: path } }).oauth.clientSecret).toBe(
      "two words ",
    );
  });

  it("works for plain env() values as well", () => {
    const temp = useTemp();
    const path = temp.write("port", "8443\n");
    const config = loadConfig(
      { port: env("PORT", z.coerce.number()) },
      { env: { PORT_FILE: path } },
    );
    expect(config.port).toBe(8443);
  });

  it("reports NAME and NAME_FILE both set", () => {
    const temp = useTemp();
    const path = temp.write("oauth-secret", "a\n");
    expect(
      issuesOf(() =>
        loadConfig(shape, { env: { OAUTH_CLIENT_SECRET: "b", OAUTH_CLIENT_SECRET_FILE: path } }),
      ),
    ).toEqual([
      {
        variable: "OAUTH_CLIENT_SECRET",
        path: "oauth.clientSecret",
        message: "both OAUTH_CLIENT_SECRET and OAUTH_CLIENT_SECRET_FILE are set; set only one",
      },
    ]);
  });

  it("reports a missing secret file alongside the other problems", () => {
    const temp = useTemp();
    const missing = `${temp.folder}/does-not-exist`;
    const issues = issuesOf(() =>
      loadConfig(
        { ...shape, port: env("PORT", z.coerce.number()) },
        { env: { OAUTH_CLIENT_SECRET_FILE: missing, PORT: "x" } },
      ),
    );
    expect(issues).toEqual([
      {
        variable: "OAUTH_CLIENT_SECRET",
        path: "oauth.clientSecret",
        message: `OAUTH_CLIENT_SECRET_FILE names ${missing}, which cannot be read (ENOENT)`,
      },
      {
        variable: "PORT",
        path: "port",
        message: 'Invalid input: expected number, received NaN, got "x"',
      },
    ]);
  });

  it("reports a path it cannot read as a file", () => {
    const temp = useTemp();
    expect(
      issuesOf(() => loadConfig(shape, { env: { OAUTH_CLIENT_SECRET_FILE: temp.folder } }))[0]
        ?.message,
    ).toBe(`OAUTH_CLIENT_SECRET_FILE names ${temp.folder}, which cannot be read (EISDIR)`);
  });

  it("reports an empty secret file as an empty secret", () => {
    const temp = useTemp();
    const path = temp.write("empty", "\n");
    expect(issuesOf(() => loadConfig(shape, { env: { OAUTH_CLIENT_SECRET_FILE: path } }))).toEqual([
      {
        variable: "OAUTH_CLIENT_SECRET",
        path: "oauth.clientSecret",
        message: `is set but empty; a secret needs a value (from ${path})`,
      },
    ]);
  });

  it("honours NAME_FILE set in an env file, with ${VAR} expanded in the path", () => {
    const temp = useTemp();
    const path = temp.write("oauth-secret", "from-mounted-file\n");
    const envFile = temp.write(".env", "OAUTH_CLIENT_SECRET_FILE=${SECRETS_DIR}/oauth-secret\n");
    const config = loadConfig(shape, { env: { SECRETS_DIR: temp.folder }, envFiles: [envFile] });
    expect(config.oauth.clientSecret).toBe("from-mounted-file");
    expect(describeConfig(config)).toContain(`file ${path}`);
  });

  it("lets NAME_FILE in the real environment win over NAME in an env file", () => {
    const temp = useTemp();
    const path = temp.write("oauth-secret", "from-file\n");
    const envFile = temp.write(".env", "OAUTH_CLIENT_SECRET=dev-secret\n");
    const config = loadConfig(shape, {
      env: { OAUTH_CLIENT_SECRET_FILE: path },
      envFiles: [envFile],
    });
    expect(config.oauth.clientSecret).toBe("from-file");
  });

  it("lets a later env file's NAME_FILE override an earlier file's NAME", () => {
    const temp = useTemp();
    const path = temp.write("oauth-secret", "mounted\n");
    const base = temp.write(".env", "OAUTH_CLIENT_SECRET=dev-secret\n");
    const production = temp.write(".env.production", `OAUTH_CLIENT_SECRET_FILE=${path}\n`);
    const config = loadConfig(shape, { env: {}, envFiles: [base, production] });
    expect(config.oauth.clientSecret).toBe("mounted");
  });

  it("reports NAME and NAME_FILE both set in one env file", () => {
    const temp = useTemp();
    const envFile = temp.write(
      ".env",
      "OAUTH_CLIENT_SECRET=a\nOAUTH_CLIENT_SECRET_FILE=/run/secrets/x\n",
    );
    expect(issuesOf(() => loadConfig(shape, { env: {}, envFiles: [envFile] }))).toEqual([
      {
        variable: "OAUTH_CLIENT_SECRET",
        path: "oauth.clientSecret",
        message: `both OAUTH_CLIENT_SECRET and OAUTH_CLIENT_SECRET_FILE are set in ${envFile}; set only one`,
      },
    ]);
  });
});
