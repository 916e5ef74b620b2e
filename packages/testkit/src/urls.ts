/** The shared Redis the integration tests use (never stopped by a test). */
export function redisUrl(): string {
  return process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
}

/** The shared PostgreSQL the integration tests use (never stopped by a test). */
export function databaseUrl(): string {
  return process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
}
