import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type DefaultTheme, defineConfig } from 'vitepress';

const site = fileURLToPath(new URL('..', import.meta.url));

/** The generated API pages (typedoc-plugin-markdown, one page per entry point). */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  const root = `${site}reference/api`;
  if (!existsSync(root)) return [];
  const items: DefaultTheme.SidebarItem[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (entry.isDirectory()) walk(`${dir}/${entry.name}`, `${prefix}${entry.name}/`);
      else if (entry.name.endsWith('.md') && !(prefix === '' && entry.name === 'index.md')) {
        const path = `${prefix}${entry.name.replace(/\.md$/, '')}`;
        items.push({
          text: path.replace(/\/index$/, '').replace(/^%40/, '@'),
          link: `/reference/api/${path}`,
        });
      }
    }
  };
  walk(root, '');
  return items;
}

export default defineConfig({
  title: 'PCEE',
  description:
    'Performance Control Early Exiting: deploy early-exit networks with controlled accuracy, in Node and in the browser.',
  lang: 'en-US',
  head: [
    ['link', { rel: 'icon', type: 'image/svg+xml', href: `${process.env.PCEE_DOCS_BASE ?? '/'}favicon.svg` }],
  ],
  base: process.env.PCEE_DOCS_BASE ?? '/',
  lastUpdated: false,
  // Generated tables are included into pages, they are not pages themselves.
  srcExclude: ['generated/**', 'README.md', 'scripts/**', 'test/**'],
  // Dead links fail the build (VitePress's default); keep it that way.
  ignoreDeadLinks: false,
  markdown: { math: true },
  themeConfig: {
    logo: '/favicon.svg',
    nav: [
      { text: 'Guide', link: '/introduction', activeMatch: '^/(introduction|getting-started|concepts/)' },
      { text: 'Guides', link: '/guides/bring-your-own-model', activeMatch: '^/guides/' },
      { text: 'Playground', link: '/playground' },
      { text: 'Reference', link: '/reference/cli', activeMatch: '^/reference/' },
      { text: 'Benchmarks', link: '/benchmarks' },
    ],
    sidebar: {
      '/reference/': [
        { text: 'CLI', items: [{ text: 'pcee', link: '/reference/cli' }] },
        { text: 'API', items: [{ text: 'Overview', link: '/reference/api/' }, ...apiSidebar()] },
      ],
      '/': [
        {
          text: 'Guide',
          items: [
            { text: 'Introduction', link: '/introduction' },
            { text: 'Getting started', link: '/getting-started' },
          ],
        },
        {
          text: 'Concepts',
          items: [
            { text: 'Reliability diagrams and ECE', link: '/concepts/reliability-diagrams' },
            { text: 'The PCEE rule and PCEE-WS', link: '/concepts/pcee-rule' },
            { text: 'Baselines and the oracle', link: '/concepts/baselines' },
            { text: 'Cost accounting', link: '/concepts/cost' },
            { text: 'Picking δ', link: '/concepts/picking-delta' },
            { text: 'Merging profiles', link: '/concepts/merging-profiles' },
          ],
        },
        {
          text: 'Guides',
          items: [
            { text: 'Bring your own PyTorch model', link: '/guides/bring-your-own-model' },
            { text: 'From a pretrained model to early exit', link: '/guides/pretrained-to-early-exit' },
            { text: 'Calibrate and evaluate', link: '/guides/calibrate-and-evaluate' },
            { text: 'Guarantees: tune δ for a goal', link: '/guides/guarantees' },
            { text: 'Deploy in Node', link: '/guides/deploy-node' },
            { text: 'Deploy in a web app', link: '/guides/deploy-web' },
            { text: 'Serve over HTTP', link: '/guides/serve' },
            { text: 'Keep the promise under shift', link: '/guides/shift' },
            { text: 'Calling the server', link: '/guides/calling-the-server' },
            { text: 'Run on CUDA', link: '/guides/cuda' },
            { text: 'Writing a runtime adapter', link: '/guides/runtime-adapter' },
          ],
        },
        {
          text: 'More',
          items: [
            { text: 'Playground', link: '/playground' },
            { text: 'Benchmarks', link: '/benchmarks' },
            { text: 'CLI reference', link: '/reference/cli' },
            { text: 'Model package format', link: '/reference/model-format-v2' },
            { text: 'API reference', link: '/reference/api/' },
            { text: 'Architecture (contributors)', link: '/contributing/architecture' },
          ],
        },
      ],
    },
    outline: [2, 3],
    search: { provider: 'local' },
    footer: { message: 'PCEE: Performance Control Early Exiting (arXiv 2412.19325). MIT licensed.' },
  },
  vite: {
    // onnxruntime-web is loaded by the playground in the browser only; its wasm files are
    // served from /ort/ (copied by scripts/prepare-site.mjs) and found through wasmPaths.
    // The "extern wasm" builds load their .mjs/.wasm from wasmPaths instead of making Vite emit
    // a second copy of the (14–27 MB) wasm binaries into assets/.
    resolve: { conditions: ['onnxruntime-web-use-extern-wasm'] },
    optimizeDeps: { exclude: ['onnxruntime-web'] },
    build: { chunkSizeWarningLimit: 4096 },
    server: {
      headers: {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      },
    },
    preview: {
      headers: {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      },
    },
  },
});
