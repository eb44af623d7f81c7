/**
 * Tells which OS and CPU an executable was built for from its header, so a
 * DENORT_BIN for the wrong platform is refused instead of silently becoming a
 * mislabeled release asset.
 */

export type BinaryOs = "linux" | "darwin" | "windows";
export type BinaryArch = "x86_64" | "aarch64";

export interface BinaryPlatform {
  os: BinaryOs;
  arch: BinaryArch;
}

const ELF_MACHINES: Record<number, BinaryArch> = { 0x3e: "x86_64", 0xb7: "aarch64" };
const MACHO_CPUS: Record<number, BinaryArch> = { 0x01000007: "x86_64", 0x0100000c: "aarch64" };
const PE_MACHINES: Record<number, BinaryArch> = { 0x8664: "x86_64", 0xaa64: "aarch64" };

/** Returns the platform of an ELF, 64-bit Mach-O or PE executable, or undefined. */
export function detectBinaryPlatform(bytes: Uint8Array): BinaryPlatform | undefined {
  if (bytes.length < 64) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) === 0x7f454c46) {
    const arch = ELF_MACHINES[view.getUint16(18, bytes[5] === 1)];
    return arch ? { os: "linux", arch } : undefined;
  }
  if (view.getUint32(0, true) === 0xfeedfacf) {
    const arch = MACHO_CPUS[view.getUint32(4, true)];
    return arch ? { os: "darwin", arch } : undefined;
  }
  if (bytes[0] === 0x4d && bytes[1] === 0x5a) {
    const peOffset = view.getUint32(0x3c, true);
    if (peOffset + 6 > bytes.length || view.getUint32(peOffset) !== 0x50450000) return undefined;
    const arch = PE_MACHINES[view.getUint16(peOffset + 4, true)];
    return arch ? { os: "windows", arch } : undefined;
  }
  return undefined;
}
