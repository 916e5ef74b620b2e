import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type DeadlineEntry, DeadlineQueue } from "./index.ts";

type Job = DeadlineEntry & { readonly name: string };

function job(name: string): Job {
  return { name, deadline: 0, previous: undefined, next: undefined };
}

function queue(): { deadlines: DeadlineQueue<Job>; expired: string[] } {
  const expired: string[] = [];
  const deadlines = new DeadlineQueue<Job>((entry) => expired.push(entry.name));
  return { deadlines, expired };
}

describe("DeadlineQueue", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("expires entries with the same timeout in the order they were added, each at its deadline", () => {
    const { deadlines, expired } = queue();
    deadlines.add(job("a"), 100);
    vi.advanceTimersByTime(30);
    deadlines.add(job("b"), 100);
    deadlines.add(job("c"), 100);
    vi.advanceTimersByTime(69);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(["a"]);
    vi.advanceTimersByTime(29);
    expect(expired).toEqual(["a"]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(["a", "b", "c"]);
    expect(deadlines.isEmpty).toBe(true);
  });

  it("uses one timer for many entries", () => {
    const { deadlines } = queue();
    for (let index = 0; index < 100; index++) deadlines.add(job(`j${index}`), 100);
    expect(vi.getTimerCount()).toBe(1);
  });

  it("never expires a removed entry and says whether it was queued", () => {
    const { deadlines, expired } = queue();
    const a = job("a");
    const b = job("b");
    const c = job("c");
    deadlines.add(a, 100);
    deadlines.add(b, 100);
    deadlines.add(c, 100);
    expect(deadlines.remove(b)).toBe(true);
    expect(deadlines.remove(b)).toBe(false);
    expect(deadlines.remove(a)).toBe(true);
    vi.advanceTimersByTime(100);
    expect(expired).toEqual(["c"]);
    expect(deadlines.remove(c)).toBe(false);
  });

  it("re-arms for the next deadline after removing the entry the timer was armed for", () => {
    const { deadlines, expired } = queue();
    const a = job("a");
    deadlines.add(a, 100);
    vi.advanceTimersByTime(50);
    deadlines.add(job("b"), 100);
    deadlines.remove(a);
    vi.advanceTimersByTime(50);
    expect(expired).toEqual([]);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(50);
    expect(expired).toEqual(["b"]);
  });

  it("expires entries with mixed timeouts in deadline order", () => {
    const { deadlines, expired } = queue();
    deadlines.add(job("long"), 300);
    deadlines.add(job("short"), 100);
    deadlines.add(job("middle"), 200);
    vi.advanceTimersByTime(100);
    expect(expired).toEqual(["short"]);
    vi.advanceTimersByTime(100);
    expect(expired).toEqual(["short", "middle"]);
    vi.advanceTimersByTime(100);
    expect(expired).toEqual(["short", "middle", "long"]);
  });

  it("expires a short timeout on time behind many long ones, then the long ones", () => {
    const { deadlines, expired } = queue();
    for (let index = 0; index < 20; index++) deadlines.add(job(`long${index}`), 1000);
    deadlines.add(job("short"), 10);
    const removed = job("removed");
    deadlines.add(removed, 5);
    deadlines.remove(removed);
    vi.advanceTimersByTime(10);
    expect(expired).toEqual(["short"]);
    vi.advanceTimersByTime(990);
    expect(expired).toHaveLength(21);
    expect(deadlines.isEmpty).toBe(true);
  });

  it("expires an entry that an expiry callback adds", () => {
    const expired: string[] = [];
    const deadlines: DeadlineQueue<Job> = new DeadlineQueue<Job>((entry) => {
      expired.push(entry.name);
      if (entry.name === "a") deadlines.add(job("again"), 50);
    });
    deadlines.add(job("a"), 100);
    vi.advanceTimersByTime(100);
    vi.advanceTimersByTime(50);
    expect(expired).toEqual(["a", "again"]);
  });

  it("leaves no timer once the last entry has settled", () => {
    const { deadlines, expired } = queue();
    const a = job("a");
    deadlines.add(a, 100);
    deadlines.remove(a);
    // The timer lapses once with nothing to do instead of being cleared per entry.
    vi.advanceTimersByTime(100);
    expect(vi.getTimerCount()).toBe(0);
    expect(deadlines.hasTimer).toBe(false);
    expect(expired).toEqual([]);
  });

  it("clear() drops every entry without expiring it and stops the timer", () => {
    const { deadlines, expired } = queue();
    const a = job("a");
    deadlines.add(a, 100);
    deadlines.add(job("b"), 100);
    deadlines.clear();
    expect(vi.getTimerCount()).toBe(0);
    expect(deadlines.remove(a)).toBe(false);
    vi.advanceTimersByTime(200);
    expect(expired).toEqual([]);
    deadlines.add(job("c"), 100);
    vi.advanceTimersByTime(100);
    expect(expired).toEqual(["c"]);
  });

  it("expireAll() expires every entry now, earliest deadline first, and stops the timer", () => {
    const { deadlines, expired } = queue();
    for (let index = 0; index < 10; index++) deadlines.add(job(`long${index}`), 1000);
    deadlines.add(job("short"), 10);
    deadlines.expireAll();
    expect(expired[0]).toBe("short");
    expect(expired).toHaveLength(11);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("unrefs its timer so it never holds the process open", () => {
    vi.useRealTimers();
    const unref = vi.spyOn(globalThis, "setTimeout");
    const { deadlines } = queue();
    const a = job("a");
    deadlines.add(a, 60_000);
    const timer = unref.mock.results[0]?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    deadlines.clear();
    unref.mockRestore();
  });
});
