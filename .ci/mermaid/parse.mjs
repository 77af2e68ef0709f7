// Parses Mermaid diagrams with Mermaid's own parser (the npm package under Node, DOM from jsdom).
// Usage: node parse.mjs FILE...   (run from the directory holding node_modules; .ci/mermaid.sh copies it there)
// Prints "ok FILE" or "FAIL FILE: error" per file; exit status 1 when any file fails.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const name of ['Element', 'HTMLElement', 'SVGElement', 'Node', 'DOMParser', 'navigator']) {
  if (!(name in globalThis)) {
    Object.defineProperty(globalThis, name, { value: dom.window[name], configurable: true });
  }
}
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

let failed = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8');
  try {
    const result = await mermaid.parse(text);
    if (!result || result.diagramType !== 'flowchart-v2') {
      throw new Error(`not a flowchart: ${JSON.stringify(result)}`);
    }
    console.log(`ok ${file}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${file}: ${String(e && e.message ? e.message : e).split('\n').slice(0, 6).join(' | ')}`);
  }
}
process.exit(failed ? 1 : 0);
