#!/usr/bin/env node
/**
 * @file Where a traced cold start's time goes (a trace from browser-bench.mjs --cold-runs N
 * --trace FILE): the page's marks (bench.js and library.html mark each step), and between each
 * pair of them the wall time, what the renderer's main thread was busy with (by kind of work) and
 * how long it sat idle, and how busy the renderer's worker threads were (streaming wasm
 * compilation, background JS parsing and wasm tier-up run there).
 *
 * Usage: node web/bench/trace-summary.mjs TRACE.json [--tasks MS]
 *   --tasks MS also lists every main-thread task of at least MS milliseconds, with the longest
 *   work inside it.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

const USAGE = 'usage: node web/bench/trace-summary.mjs TRACE.json [--tasks MS]';

// Kinds of main-thread work, by trace event name. Events of one kind never nest in each other,
// so their durations add up without counting anything twice.
const KINDS = [
  ['wasm lazy compilation (first call of a function)', ['wasm.CompileLazy']],
  ['wasm streaming compilation, main-thread part', ['v8.wasm.compileConsume']],
  ['wasm instantiation', ['wasm.SyncInstantiate', 'wasm.AsyncInstantiate']],
  ['JS parse and compile', ['V8.CompileCode', 'V8.ParseProgram', 'V8.ParseFunction',
    'V8.CompileIgnition', 'V8.CompileEval', 'V8.PreParse', 'V8.CompileLazy']],
  ['HTML parsing', ['ParseHTML']],
  ['navigation commit (and the previous page\'s detach)', ['DocumentLoader::CommitNavigation',
    'Frame::Detach']],
  ['style, layout, paint', ['WebFrameWidgetImpl::UpdateLifecycle', 'Commit']],
];
const TASK = 'RunTask';
// Navigation timing also appears as user timing in a trace; of its points these tell the story
// (the HTML's arrival, the new document's start, the end of parsing), the rest is clutter.
const NAVIGATION_TIMING = new Set(['navigationStart', 'fetchStart', 'domainLookupStart',
  'domainLookupEnd', 'connectStart', 'connectEnd', 'requestStart', 'responseStart',
  'unloadEventStart', 'unloadEventEnd', 'domLoading', 'domComplete', 'loadEventStart',
  'loadEventEnd', 'domContentLoadedEventEnd', 'secureConnectionStart', 'redirectStart',
  'redirectEnd', 'markAsMainFrame']);

/**
 * @param {!Array<!Object>} events
 * @return {!Map<string, string>} "pid:tid" -> thread name
 */
function threadNames(events) {
  const names = new Map();
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args.name);
  }
  return names;
}

/**
 * @param {!Object} e a complete ('X') event
 * @param {number} from
 * @param {number} to
 * @return {number} microseconds of e inside [from, to)
 */
function overlap(e, from, to) {
  return Math.max(0, Math.min(e.ts + (e.dur ?? 0), to) - Math.max(e.ts, from));
}

async function main() {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { tasks: { type: 'string' } } });
  } catch (error) {
    console.error(`${error.message}\n${USAGE}`);
    process.exit(2);
  }
  const [file] = parsed.positionals;
  if (!file) {
    console.error(USAGE);
    process.exit(2);
  }
  const taskMs = parsed.values.tasks === undefined ? null : Number(parsed.values.tasks);
  if (taskMs !== null && !(taskMs >= 0)) {
    console.error(`--tasks must be a number of milliseconds >= 0: ${parsed.values.tasks}`);
    process.exit(2);
  }
  let json;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read trace (${file}): ${error.message}; record one with ` +
        '`node web/bench/browser-bench.mjs --cold-runs 1 --trace FILE`');
  }
  const events = Array.isArray(json) ? json : json.traceEvents;
  const names = threadNames(events);
  // The traced navigation is the last one that loaded a document (the tab's earlier page also
  // has a navigationStart when it is detached).
  const navigations = events.filter((e) => e.name === 'navigationStart' &&
      e.args?.data?.documentLoaderURL);
  if (navigations.length === 0) throw new Error(`cannot summarise ${file}: no navigationStart`);
  const navigation = navigations[navigations.length - 1];
  const t0 = navigation.ts;
  const renderer = navigation.pid;
  const mainThread = `${renderer}:${navigation.tid}`;
  const ms = (us) => (us / 1000).toFixed(1);

  const marks = new Map();
  for (const e of events) {
    if (e.pid === renderer && e.cat === 'blink.user_timing' && e.ts >= t0 && !marks.has(e.name) &&
        !NAVIGATION_TIMING.has(e.name)) {
      marks.set(e.name, e.ts);
    }
  }
  const points = [['navigation start', t0],
    ...[...marks].sort((a, b) => a[1] - b[1])];
  console.log(`${file}: ${navigation.args.data.documentLoaderURL}`);
  console.log(`marks (ms since navigation start): ${points.slice(1)
      .map(([name, ts]) => `${name} ${ms(ts - t0)}`).join(', ')}`);

  const complete = events.filter((e) => e.ph === 'X' && e.pid === renderer);
  const onMain = complete.filter((e) => `${e.pid}:${e.tid}` === mainThread);
  const tasks = onMain.filter((e) => e.name === TASK);
  const workers = complete.filter((e) => (names.get(`${e.pid}:${e.tid}`) ?? '')
      .startsWith('ThreadPool') && e.name === 'ThreadPool_RunTask');
  for (let i = 1; i < points.length; i++) {
    const [fromName, from] = points[i - 1];
    const [toName, to] = points[i];
    const busy = tasks.reduce((sum, e) => sum + overlap(e, from, to), 0);
    // Thread time: what the main thread ran on a CPU, without the time another process had it
    // (the machine may be shared); a task cut by the interval counts in proportion.
    const cpu = tasks.reduce((sum, e) => sum + (e.dur > 0 && e.tdur !== undefined ?
      e.tdur * overlap(e, from, to) / e.dur : 0), 0);
    console.log(`\n${fromName} -> ${toName}: ${ms(to - from)} ms; main thread busy ${ms(busy)} ` +
        `(on a CPU ${ms(cpu)}), idle ${ms(to - from - busy)}; worker threads busy ` +
        `${ms(workers.reduce((sum, e) => sum + overlap(e, from, to), 0))} (summed over threads)`);
    let named = 0;
    for (const [kind, eventNames] of KINDS) {
      const inKind = onMain.filter((e) => eventNames.includes(e.name));
      const us = inKind.reduce((sum, e) => sum + overlap(e, from, to), 0);
      named += us;
      if (us >= 50) {
        const inside = inKind.filter((e) => overlap(e, from, to) > 0);
        const onCpu = inside.reduce((sum, e) => sum + (e.tdur ?? 0), 0);
        console.log(`  ${kind.padEnd(56)} ${ms(us).padStart(7)} ms  (on a CPU ${ms(onCpu)}; ` +
            `${inside.length} events)`);
      }
    }
    console.log(`  ${'other work (running JS and wasm, tasks, GC)'.padEnd(56)} ` +
        `${ms(busy - named).padStart(7)} ms`);
  }

  if (taskMs !== null) {
    console.log(`\nmain-thread tasks of at least ${taskMs} ms (start, duration, longest work in it):`);
    for (const task of tasks) {
      if (task.dur < taskMs * 1000 || task.ts + task.dur < t0) continue;
      const inside = onMain.filter((e) => e !== task && e.name !== TASK && e.ts >= task.ts &&
          e.ts + (e.dur ?? 0) <= task.ts + task.dur && !e.name.startsWith('ThreadController'));
      const longest = inside.sort((a, b) => b.dur - a.dur).slice(0, 3)
          .map((e) => `${e.name} ${ms(e.dur)}`).join(', ');
      console.log(`  ${ms(task.ts - t0).padStart(8)} ${ms(task.dur).padStart(7)}  ${longest}`);
    }
  }
}

main().catch((error) => {
  console.error(`trace-summary: ${error.message}`);
  process.exit(1);
});
