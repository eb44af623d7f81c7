// A small entry point for tests/compile_test.ts: compiles fast and prints what
// the exporter's --version prints, so the baked-in revision can be checked.
import { BUILD_INFO, formatBuildInfo } from "../../../src/build_info.ts";

console.log(formatBuildInfo(BUILD_INFO));
