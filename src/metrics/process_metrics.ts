import process from "node:process";

/** Facts about the process that do not change while it runs. */
const START_TIME = Math.floor(Date.now() / 1000 - performance.now() / 1000);

function readProcFile(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined; // not Linux, or /proc hidden: the series is simply left out
  }
}

function countOpenFds(): number | undefined {
  try {
    let n = 0;
    for (const _ of Deno.readDirSync("/proc/self/fd")) n++;
    return n;
  } catch {
    return undefined;
  }
}

function maxFds(): number | undefined {
  const limits = readProcFile("/proc/self/limits");
  const m = limits && /^Max open files\s+(\d+)/m.exec(limits);
  return m ? Number(m[1]) : undefined;
}

function virtualMemory(): number | undefined {
  const stat = readProcFile("/proc/self/stat");
  if (!stat) return undefined;
  // Fields after the parenthesised command name; vsize is field 23 (index 20 here).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const v = Number(fields[20]);
  return Number.isFinite(v) ? v : undefined;
}

function family(name: string, type: string, help: string, value: number | undefined): string {
  if (value === undefined) return "";
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`;
}

/**
 * The standard `process_*` families, written by hand: prom-client's default
 * Node collectors fail `promtool check metrics` and add ~1.4 ms per scrape.
 */
export function renderProcessMetrics(): string {
  const cpu = process.cpuUsage();
  const memory = Deno.memoryUsage();
  return family(
    "process_cpu_seconds_total",
    "counter",
    "Total user and system CPU time spent in seconds",
    (cpu.user + cpu.system) / 1e6,
  ) +
    family(
      "process_resident_memory_bytes",
      "gauge",
      "Resident memory size in bytes",
      memory.rss,
    ) +
    family(
      "process_virtual_memory_bytes",
      "gauge",
      "Virtual memory size in bytes",
      virtualMemory(),
    ) +
    family(
      "process_start_time_seconds",
      "gauge",
      "Start time of the process since unix epoch in seconds",
      START_TIME,
    ) +
    family("process_open_fds", "gauge", "Number of open file descriptors", countOpenFds()) +
    family("process_max_fds", "gauge", "Maximum number of open file descriptors", maxFds()) +
    family(
      "process_heap_bytes",
      "gauge",
      "V8 heap in use, in bytes",
      memory.heapUsed,
    );
}
