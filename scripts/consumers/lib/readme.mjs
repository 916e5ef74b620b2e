// What a README tells its reader to save and run, read the way the reader
// reads it. A ```ts block is runnable when the paragraph just before it says
// "Save it as `name.mts`" and names the commands to run it with, each in
// backticks:
//
//   Save it as `quickstart.mts` and run it with `npx tsx quickstart.mts`
//   (or `node quickstart.mts` on Node 22.18+). Then try
//   `SERVER_PORT=70000 npx tsx quickstart.mts`: it stops with exit code 1.
//
// A command is `npx tsx <file>` or `node <file>`, optionally after
// `NAME=value` assignments; "on Node X+" after it limits the Node versions it
// runs on, "exit code N" the exit code it must end with (0 otherwise), and
// "Ctrl-C" anywhere in the paragraph that it serves until stopped: it is
// interrupted once it has printed a line, as a terminal interrupts its job, and
// must then exit by itself. A paragraph right after the block that starts
// with "It prints" and ends with a colon, followed by a ```text block, lists
// lines the run must print on stdout (`…` stands for anything).

/** The README as a list of paragraphs and fenced blocks, in order. */
export function readmeItems(markdown) {
  const lines = markdown.split("\n");
  const items = [];
  let paragraph = [];
  let paragraphLine = 0;
  const flush = () => {
    if (paragraph.length > 0)
      items.push({ type: "paragraph", text: paragraph.join(" "), line: paragraphLine });
    paragraph = [];
  };
  for (let index = 0; index < lines.length; index++) {
    const fence = /^(\s*)(`{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[index]);
    if (fence) {
      flush();
      const [, indent, ticks, lang, info] = fence;
      const start = index + 1;
      let end = start;
      while (end < lines.length && lines[end].trim() !== ticks) end++;
      const code = lines
        .slice(start, end)
        .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
        .join("\n");
      items.push({ type: "code", lang, info, code: `${code}\n`, line: index + 1 });
      index = end;
      continue;
    }
    if (lines[index].trim() === "") {
      flush();
      continue;
    }
    if (paragraph.length === 0) paragraphLine = index + 1;
    paragraph.push(lines[index].trim());
  }
  flush();
  return items;
}

const SAVE = /\bsave (?:it|this) as `([^`]+)`/i;
const ASSIGNMENTS = /^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*/;

/** The commands a paragraph names in backticks, with what it says about each. */
export function commandsIn(text) {
  const spans = [...text.matchAll(/`([^`]+)`/g)];
  const commands = [];
  spans.forEach((span, index) => {
    const command = span[1].trim();
    const rest = command.replace(ASSIGNMENTS, "");
    const match = /^(npx tsx|node) (\S+)$/.exec(rest);
    if (!match) return;
    const after = text.slice(
      span.index + span[0].length,
      spans.slice(index + 1).find((next) => /^(?:\S+=\S*\s+)*(npx tsx|node) /.test(next[1]))
        ?.index ?? text.length,
    );
    const minimum = /\bon Node (\d+(?:\.\d+)*)\+/.exec(after)?.[1];
    const exitCode = Number(/\bexit code (\d+)/.exec(after)?.[1] ?? 0);
    const interrupt = /\bCtrl-C\b/.test(text);
    commands.push({
      command,
      runner: match[1],
      file: match[2],
      minimumNode: minimum,
      exitCode,
      interrupt,
    });
  });
  return commands;
}

/**
 * Every block the README tells its reader to run: `{ file, code, line,
 * commands, prints }`. Throws on a README that tells the reader to run
 * something this cannot tie to a block, so no runnable block goes unchecked.
 */
export function runnableBlocks(markdown) {
  const items = readmeItems(markdown);
  const blocks = [];
  items.forEach((item, index) => {
    if (item.type !== "paragraph") return;
    const saved = SAVE.exec(item.text)?.[1];
    const next = items[index + 1];
    if (saved === undefined) return;
    if (next?.type !== "code" || !["ts", "typescript"].includes(next.lang))
      throw new Error(
        `line ${item.line}: "save it as \`${saved}\`" is not followed by a \`\`\`ts block`,
      );
    const commands = commandsIn(item.text).filter((command) => command.file === saved);
    if (commands.length === 0)
      throw new Error(`line ${item.line}: no \`npx tsx ${saved}\` command to run the block with`);
    const after = items[index + 2];
    const printed = items[index + 3];
    const prints =
      after?.type === "paragraph" && /^It prints\b.*:$/.test(after.text) && printed?.type === "code"
        ? printed.code.split("\n").filter((line) => line.trim() !== "")
        : [];
    blocks.push({ file: saved, code: next.code, line: next.line, commands, prints });
  });
  // A command in any paragraph must run a file some block is saved as.
  const files = new Set(blocks.map((block) => block.file));
  for (const item of items) {
    if (item.type !== "paragraph") continue;
    for (const { command, file } of commandsIn(item.text)) {
      if (/\.[cm]?[jt]s$/.test(file) && !files.has(file))
        throw new Error(
          `line ${item.line}: \`${command}\` runs ${file}, but no block is introduced by "Save it as \`${file}\`"`,
        );
    }
  }
  return blocks;
}

/** The README's ```ts blocks, runnable or not. */
export function typescriptBlocks(markdown) {
  return readmeItems(markdown).filter(
    (item) => item.type === "code" && ["ts", "typescript"].includes(item.lang),
  );
}

/** Whether `line` of output matches an expected line, `…` standing for anything. */
export function matchesPrinted(expected, line) {
  const pattern = expected
    .trim()
    .split("…")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${pattern}$`).test(line.trim());
}
