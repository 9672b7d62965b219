/**
 * The report's stylesheet, inlined so the file opens offline. System fonts only: a web
 * font would need a network request or a large embedded file.
 */
export const REPORT_STYLE = `
:root {
  --ink: #1d2330; --muted: #5f6b7a; --rule: #e3e6eb; --panel: #ffffff; --page: #f5f6f8;
  --accent: #4269d0;
  color-scheme: light;
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--page); color: var(--ink);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
main { max-width: 1180px; margin: 0 auto; padding: 28px 28px 48px; }
header { margin-bottom: 18px; }
h1 { font-size: 24px; margin: 0 0 2px; letter-spacing: -0.01em; }
h1 .kicker { color: var(--accent); font-weight: 600; }
h2 { font-size: 17px; margin: 0 0 4px; }
h3 { font-size: 13px; margin: 0; }
p { margin: 4px 0 10px; }
.lede { color: var(--muted); margin: 0 0 12px; max-width: 880px; }
.facts { display: flex; flex-wrap: wrap; gap: 8px; margin: 10px 0 0; padding: 0; list-style: none; }
.facts li { background: var(--panel); border: 1px solid var(--rule); border-radius: 6px; padding: 6px 10px; }
.facts b { display: block; font-size: 16px; font-variant-numeric: tabular-nums; }
.facts span { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: 0.04em; }
section { background: var(--panel); border: 1px solid var(--rule); border-radius: 10px; padding: 18px 20px; margin: 16px 0; }
p.note { color: var(--muted); font-size: 12.5px; max-width: 900px; }
.answer { font-size: 15px; border-left: 3px solid var(--accent); padding: 6px 12px; background: #f2f5fd; margin: 8px 0 12px; }
.row { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.row > figure { margin: 0; flex: 1 1 440px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(262px, 1fr)); gap: 14px; margin-top: 10px; }
.exit-card { border: 1px solid var(--rule); border-radius: 8px; padding: 10px 8px 4px; }
.exit-card .stats { color: var(--muted); font-size: 11.5px; font-variant-numeric: tabular-nums; margin: 0 0 2px; }
figure { margin: 0; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 2px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 13px; margin-top: 6px; }
th, td { padding: 4px 12px 4px 0; text-align: right; border-bottom: 1px solid var(--rule); }
th { color: var(--muted); font-weight: 600; font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.03em; }
th:first-child, td:first-child { text-align: left; }
tr.reference td { color: var(--muted); }
footer { color: var(--muted); font-size: 12px; margin-top: 20px; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eef0f3; padding: 1px 4px; border-radius: 3px; }
svg { max-width: 100%; height: auto; }
.chart { width: fit-content; max-width: 100%; }
`;
