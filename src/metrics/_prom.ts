/**
 * prom-client's instrument classes, loaded from their own modules. Its index
 * also loads the cluster aggregator and every default Node collector (which we
 * replace: see process_metrics.ts): measured, the index costs 15 MiB of RSS,
 * these four modules 9 MiB. Types still come from the package's declarations.
 */
import type * as prom from "prom-client";
import RegistryModule from "prom-client/lib/registry.js";
import CounterModule from "prom-client/lib/counter.js";
import GaugeModule from "prom-client/lib/gauge.js";
import HistogramModule from "prom-client/lib/histogram.js";

export const Registry = RegistryModule as unknown as typeof prom.Registry;
export const Counter = CounterModule as unknown as typeof prom.Counter;
export const Gauge = GaugeModule as unknown as typeof prom.Gauge;
export const Histogram = HistogramModule as unknown as typeof prom.Histogram;
export type Registry = prom.Registry;
export type Counter<T extends string = string> = prom.Counter<T>;
export type Gauge<T extends string = string> = prom.Gauge<T>;
export type Histogram<T extends string = string> = prom.Histogram<T>;
