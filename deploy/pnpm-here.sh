#!/bin/sh
# pnpm limited to the native packages of the platform it runs on. The workspace's
# supportedArchitectures resolves esbuild, rollup, biome and turbo for every
# platform the project is developed on; an image needs its own platform's only.
set -eu
cpu=$(node -p process.arch)
libc=$(node -p "process.report.getReport().header.glibcVersionRuntime ? 'glibc' : 'musl'")
exec pnpm "$@" --os linux --cpu "$cpu" --libc "$libc"
