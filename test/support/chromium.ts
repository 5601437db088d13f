// Debian's chromium, headless, driven by playwright-core (which downloads no browser of its own): for
// tests that open a report the way a person would and look at what it shows and what it asks for.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PNG } from 'pngjs';

export const CHROMIUM = '/usr/bin/chromium';

/** Quiet and offline: no first-run work, no background fetches, no component updates, no QUIC. */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  /** Opens a file; `requests` lists every URL the page asked for (the page itself included). */
  open(file: string): Promise<{ page: Page; requests: string[] }>;
  close(): Promise<void>;
}

/** Starts chromium with a fresh profile directory, removed on close. */
export async function startChromium(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'mptcp-doctor-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1000, height: 900 },
      timeout: 60_000,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    async open(file) {
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 30_000 });
      return { page, requests };
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface PixelSummary {
  pixels: number;
  /** Share of pixels that are not near white. */
  inked: number;
  /** Distinct colours (each channel rounded to 16 levels). */
  colours: number;
  /** How many pixels lie within `tolerance` of each colour asked for ('#4c78a8'). */
  near: Record<string, number>;
}

/** What a PNG screenshot holds: enough to tell a drawn page from a blank one. */
export function summarizePng(png: Buffer, colours: string[] = [], tolerance = 24): PixelSummary {
  const image = PNG.sync.read(png);
  const wanted = colours.map((hex) => [hex, Number.parseInt(hex.slice(1, 3), 16), Number.parseInt(hex.slice(3, 5), 16), Number.parseInt(hex.slice(5, 7), 16)] as const);
  const near: Record<string, number> = Object.fromEntries(colours.map((c) => [c, 0]));
  const seen = new Set<number>();
  let inked = 0;
  const pixels = image.width * image.height;
  for (let i = 0; i < pixels; i += 1) {
    const r = image.data[i * 4]!;
    const g = image.data[i * 4 + 1]!;
    const b = image.data[i * 4 + 2]!;
    seen.add(((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4));
    if (r < 235 || g < 235 || b < 235) inked += 1;
    for (const [hex, wr, wg, wb] of wanted) {
      if (Math.abs(r - wr) <= tolerance && Math.abs(g - wg) <= tolerance && Math.abs(b - wb) <= tolerance) near[hex]! += 1;
    }
  }
  return { pixels, inked: inked / pixels, colours: seen.size, near };
}
