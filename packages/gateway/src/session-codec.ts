import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/** What a session id carries: the record's key and the digest of the identity it belongs to. */
export type SessionClaims = { readonly key: string; readonly identity: string };

/**
 * Turns session claims into the id a client holds, and back. With a key the
 * id is sealed (AES-256-GCM): it discloses nothing, and an id that was forged,
 * altered, or made for another identity is refused by any replica without a
 * lookup. Without one the id is a random key and the record alone binds it to
 * its identity.
 */
export type SessionCodec = {
  /** Whether ids are sealed. */
  readonly sealed: boolean;
  /** A new id for a new session of `identity`. */
  issue(identity: string): { id: string; key: string };
  /** The claims of `id`, or undefined when it is not one of ours. */
  open(id: string): SessionClaims | undefined;
};

const KEY_BYTES = 16;
const IDENTITY_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = "s1";

/** The smallest accepted `GATEWAY_SESSION_KEY`, in characters. */
export const MIN_SESSION_KEY_LENGTH = 32;

function derive(secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "mcp-prod-gateway", "session-id v1", 32));
}

/**
 * The codec for `keys`: the first seals new ids, every one opens them (the
 * second is the previous key, kept while a rotation rolls out). No keys:
 * plain random ids.
 *
 * @example
 * ```ts
 * const codec = sessionCodec([process.env.GATEWAY_SESSION_KEY, process.env.GATEWAY_SESSION_KEY_PREVIOUS]);
 * ```
 */
export function sessionCodec(keys: readonly string[]): SessionCodec {
  const secrets = keys.map(derive);
  const [current] = secrets;
  if (!current) {
    return {
      sealed: false,
      issue: () => {
        const key = randomBytes(KEY_BYTES).toString("base64url");
        return { id: key, key };
      },
      // The record says whose it is; a malformed id is refused here.
      open: (id) => (/^[A-Za-z0-9_-]{22}$/.test(id) ? { key: id, identity: "" } : undefined),
    };
  }
  return {
    sealed: true,
    issue: (identity) => {
      const key = randomBytes(KEY_BYTES);
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", current, iv);
      cipher.setAAD(Buffer.from(VERSION));
      const sealed = Buffer.concat([
        cipher.update(Buffer.concat([key, Buffer.from(identity, "base64url")])),
        cipher.final(),
      ]);
      const id = `${VERSION}.${Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString("base64url")}`;
      return { id, key: key.toString("base64url") };
    },
    open: (id) => {
      if (!id.startsWith(`${VERSION}.`) || id.length > 200) return undefined;
      const bytes = Buffer.from(id.slice(VERSION.length + 1), "base64url");
      if (bytes.length !== IV_BYTES + KEY_BYTES + IDENTITY_BYTES + TAG_BYTES) return undefined;
      const iv = bytes.subarray(0, IV_BYTES);
      const tag = bytes.subarray(bytes.length - TAG_BYTES);
      const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
      for (const secret of secrets) {
        try {
          const decipher = createDecipheriv("aes-256-gcm", secret, iv);
          decipher.setAAD(Buffer.from(VERSION));
          decipher.setAuthTag(tag);
          const plain = Buffer.concat([decipher.update(body), decipher.final()]);
          return {
            key: plain.subarray(0, KEY_BYTES).toString("base64url"),
            identity: plain.subarray(KEY_BYTES).toString("base64url"),
          };
        } catch {
          // Not sealed with this key: try the next.
        }
      }
      return undefined;
    },
  };
}
