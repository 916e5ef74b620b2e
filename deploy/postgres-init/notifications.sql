-- The database of notification-mcp, beside user-management-mcp's (POSTGRES_DB).
-- The postgres image runs the files of /docker-entrypoint-initdb.d once, on
-- its first start with an empty data directory, as POSTGRES_USER.
CREATE DATABASE notifications;
