import { z } from "zod";

/** A comma-separated variable as a list of its trimmed, non-empty items (`ALLOWED_HOSTS=a, b`). */
export const commaList = z
  .string()
  .transform((text) =>
    text
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .optional();
