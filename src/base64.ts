/** The bytes of base64 text; undefined when it is not valid base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  let bin: string;
  try {
    bin = atob(text);
  } catch {
    return undefined;
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Base64 of UTF-8 text, decoded back to text; undefined when it is not valid base64. */
export function decodeBase64Text(text: string | undefined): string | undefined {
  const bytes = text === undefined ? undefined : decodeBase64(text);
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
}
