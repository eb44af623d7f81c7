/**
 * The status page in a real browser: headless Chromium driven by
 * playwright-core against a running exporter, at phone and desktop widths.
 * Skipped when /usr/bin/chromium is absent (.ci/run installs it).
 */
import assert from "node:assert/strict";
import { makeCert } from "./testing/certs.ts";
import { startExporter } from "./testing/exporter_process.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

/** Where screenshots go: kept for a person to look at. */
const SHOTS = Deno.env.get("STATUS_PAGE_SHOTS") ??
  Deno.makeTempDirSync({ prefix: "status-shots-" });

async function fixture(dir: string): Promise<string> {
  const root = await makeCert({ name: "CN=Browser Root", key: "rsa2048", ca: true, days: 3650 });
  const inter = await makeCert({
    name: "CN=Browser Intermediate",
    key: "p384",
    ca: true,
    issuer: root,
    days: 9,
  });
  const write = (name: string, pem: string) => Deno.writeTextFile(`${dir}/${name}`, pem);
  await write("root.pem", root.pem);
  for (const [i, days] of [-3, 5, 12, 20, 40, 80, 200].entries()) {
    const leaf = await makeCert({
      name: `CN=svc-${i}.example`,
      issuer: inter,
      days,
      dnsNames: [`svc-${i}.example`, `alt-${i}.example`],
    });
    await write(`svc-${i}.pem`, leaf.pem + inter.pem);
  }
  const orphan = await makeCert({
    name: "CN=orphan.example",
    issuer: await makeCert({ name: "CN=Missing CA", key: "ed25519", ca: true }),
    days: 60,
  });
  await write("orphan.pem", orphan.pem);
  await Deno.mkdir(`${dir}/other`);
  const other = await makeCert({ name: "CN=other.example", days: 100 });
  await Deno.writeTextFile(`${dir}/other/other.pem`, other.pem);
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    `server: { listen: "127.0.0.1:0" }
metrics: { exposeInfo: true, exposeChain: true, chainRoots: [root.pem], chainSystemRoots: false }
sources:
  - { kind: file, name: web, paths: ["${dir}/*.pem", "${dir}/missing.pem"] }
  - { kind: file, name: other, paths: ["${dir}/other/*.pem"] }
`,
  );
  return `${dir}/config.yaml`;
}

Deno.test({
  name: "The status page summarises, filters and reads well at 400 and 1200 px in Chromium",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { chromium } = await import("playwright-core");
    const dir = await Deno.makeTempDir();
    const exporter = await startExporter(["--config", await fixture(dir)]);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    try {
      // Chains are checked off the main thread: wait until none is pending.
      for (let i = 0; i < 100; i++) {
        const html = await (await exporter.get("/")).text();
        if (html.includes("svc-6.example") && !html.includes(">pending<")) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const width of [400, 1200]) {
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        await page.goto(exporter.url + "/");
        const card = (cls: string) => page.locator(`.card.${cls} b`).innerText();
        assert.equal(await card("expired"), "1");
        // 5 and 12 days, and the 9-day intermediate in each of the 7 bundles (one series each).
        assert.equal(await card("critical"), "9");
        assert.equal(await card("warning"), "1");
        assert.equal(await card("ok"), "6");
        assert.equal(await page.locator("svg.hist rect").count(), 12);
        // No horizontal scrolling of the page itself at a phone's width.
        // A string: evaluated in the page, where `document` exists (not in Deno's types).
        const overflow = await page.evaluate<number>(
          "document.documentElement.scrollWidth - document.documentElement.clientWidth",
        );
        assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px at ${width}px`);
        const visible = () => page.locator("#certs tbody tr:visible").count();
        assert.equal(await visible(), 17);
        // Sorted by days left: the expired one first.
        assert.match(await page.locator("#certs tbody tr").first().innerText(), /svc-0\.example/);
        await page.fill("#q", "alt-3");
        assert.equal(await visible(), 1);
        assert.equal(await page.locator("#shown").innerText(), "1");
        await page.fill("#q", "");
        await page.selectOption("#src", "other");
        assert.equal(await visible(), 1);
        await page.selectOption("#src", "");
        await page.selectOption("#st", "critical");
        assert.equal(await visible(), 9);
        await page.selectOption("#st", "");
        // Chain state: the orphan's issuer is nowhere, the others verify.
        const orphanRow = page.locator("#certs tbody tr", { hasText: "orphan.example" });
        assert.match(await orphanRow.innerText(), /issuer_not_found/);
        const okRow = page.locator("#certs tbody tr", { hasText: "svc-6.example" });
        assert.match(await okRow.innerText(), /verified .*chain ends in \d+ d/);
        // The missing file: its path and reason in the errors table.
        const errors = await page.locator("#errors + div table").innerText();
        assert.match(errors, /missing\.pem/);
        assert.match(errors, /not_found/);
        await page.screenshot({ path: `${SHOTS}/status-${width}.png`, fullPage: false });
        await page.close();
      }
      // A link from a summary card filters by state through the query string.
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(exporter.url + "/?state=expired");
      assert.equal(await page.locator("#certs tbody tr:visible").count(), 1);
      await page.close();
    } finally {
      await browser.close();
      await exporter.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
