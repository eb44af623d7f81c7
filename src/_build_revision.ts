// Rewritten by scripts/compile.ts for the duration of a build, then restored. This committed
// value means "not a compiled build": src/build_info.ts then reads the revision from .git.
export const BUILD_REVISION: string | undefined = undefined;
export const BUILD_TIME: string | undefined = undefined;
