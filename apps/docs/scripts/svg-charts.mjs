// Small, dependency-free SVG chart renderers for the docs' figures. Every figure is drawn
// from numbers computed by @pcee/core at build time (see prepare-site.mjs); nothing here
// knows about PCEE, it only maps data to marks.

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';
const COLORS = ['#3451b2', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0e7490', '#a16207', '#be185d'];

/** A palette colour by index (stable across figures). */
export function color(index) {
  return COLORS[index % COLORS.length];
}

function escapeXml(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(min, max, count = 5) {
  const span = max - min || 1;
  const step0 = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => span / s <= count) ?? 10 * magnitude;
  const ticks = [];
  for (let t = Math.ceil(min / step - 1e-9) * step; t <= max + 1e-9; t += step)
    ticks.push(Number(t.toFixed(10)));
  return ticks;
}

function formatTick(value) {
  if (Math.abs(value) >= 100) return value.toFixed(0);
  return Number(value.toPrecision(3)).toString();
}

/**
 * A panel with axes inside an SVG: returns `{ x, y, marks }` where x/y map data to pixels
 * and `marks` is the axis markup.
 */
function panel({ left, top, width, height, xDomain, yDomain, xLabel, yLabel, title, xTicks, yTicks }) {
  const [x0, x1] = xDomain;
  const [y0, y1] = yDomain;
  const x = (value) => left + ((value - x0) / (x1 - x0)) * width;
  const y = (value) => top + height - ((value - y0) / (y1 - y0)) * height;
  const parts = [];
  parts.push(
    `<rect x="${left}" y="${top}" width="${width}" height="${height}" fill="#fafafa" stroke="#d4d4d8"/>`,
  );
  for (const tick of xTicks ?? niceTicks(x0, x1)) {
    parts.push(`<line x1="${x(tick)}" y1="${top}" x2="${x(tick)}" y2="${top + height}" stroke="#e4e4e7"/>`);
    parts.push(
      `<text x="${x(tick)}" y="${top + height + 14}" font-size="10" text-anchor="middle" fill="#52525b">${formatTick(tick)}</text>`,
    );
  }
  for (const tick of yTicks ?? niceTicks(y0, y1)) {
    parts.push(`<line x1="${left}" y1="${y(tick)}" x2="${left + width}" y2="${y(tick)}" stroke="#e4e4e7"/>`);
    parts.push(
      `<text x="${left - 5}" y="${y(tick) + 3}" font-size="10" text-anchor="end" fill="#52525b">${formatTick(tick)}</text>`,
    );
  }
  if (xLabel)
    parts.push(
      `<text x="${left + width / 2}" y="${top + height + 30}" font-size="11" text-anchor="middle" fill="#27272a">${escapeXml(xLabel)}</text>`,
    );
  if (yLabel)
    parts.push(
      `<text transform="translate(${left - 34},${top + height / 2}) rotate(-90)" font-size="11" text-anchor="middle" fill="#27272a">${escapeXml(yLabel)}</text>`,
    );
  if (title)
    parts.push(
      `<text x="${left}" y="${top - 6}" font-size="11" font-weight="600" fill="#18181b">${escapeXml(title)}</text>`,
    );
  return { x, y, marks: parts.join('') };
}

function svg(width, height, body, description) {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ${FONT} role="img" aria-label="${escapeXml(description)}"><title>${escapeXml(description)}</title><rect width="100%" height="100%" fill="#fff"/>${body}</svg>\n`;
}

function legend(items, left, top) {
  return items
    .map((item, index) => {
      const y = top + index * 15;
      const mark = item.dash
        ? `<line x1="${left}" y1="${y}" x2="${left + 16}" y2="${y}" stroke="${item.color}" stroke-width="2" stroke-dasharray="${item.dash}"/>`
        : item.point
          ? `<circle cx="${left + 8}" cy="${y}" r="4" fill="${item.color}" stroke="#fff"/>`
          : `<line x1="${left}" y1="${y}" x2="${left + 16}" y2="${y}" stroke="${item.color}" stroke-width="2"/>`;
      return `${mark}<text x="${left + 22}" y="${y + 3.5}" font-size="10.5" fill="#27272a">${escapeXml(item.label)}</text>`;
    })
    .join('');
}

/**
 * Line chart: `series` = [{ label, points: [[x, y], …], color?, dash? }], optional
 * `points` = [{ label, x, y, color }] (single markers) and a `diagonal`.
 */
export function lineChart({
  series,
  points = [],
  xDomain,
  yDomain,
  xLabel,
  yLabel,
  title,
  diagonal = false,
  description,
  width = 560,
  height = 360,
  legendAt = 'bottom-right',
}) {
  const box = { left: 56, top: 28, width: width - 76, height: height - 72 };
  const p = panel({ ...box, xDomain, yDomain, xLabel, yLabel, title });
  const body = [p.marks];
  if (diagonal) {
    const lo = Math.max(xDomain[0], yDomain[0]);
    const hi = Math.min(xDomain[1], yDomain[1]);
    body.push(
      `<line x1="${p.x(lo)}" y1="${p.y(lo)}" x2="${p.x(hi)}" y2="${p.y(hi)}" stroke="#71717a" stroke-dasharray="4 3"/>`,
    );
  }
  const clip = `clip-${Math.random().toString(36).slice(2, 8)}`;
  body.push(
    `<clipPath id="${clip}"><rect x="${box.left}" y="${box.top}" width="${box.width}" height="${box.height}"/></clipPath>`,
  );
  series.forEach((s, index) => {
    const path = s.points
      .map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${p.x(px).toFixed(1)},${p.y(py).toFixed(1)}`)
      .join('');
    body.push(
      `<path d="${path}" fill="none" stroke="${s.color ?? color(index)}" stroke-width="2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ''} clip-path="url(#${clip})"/>`,
    );
  });
  for (const point of points) {
    body.push(
      `<circle cx="${p.x(point.x)}" cy="${p.y(point.y)}" r="5" fill="${point.color}" stroke="#fff" stroke-width="1.5"/>`,
    );
  }
  const items = [
    ...series.map((s, index) => ({ label: s.label, color: s.color ?? color(index), dash: s.dash })),
    ...points.map((point) => ({ label: point.label, color: point.color, point: true })),
    ...(diagonal ? [{ label: 'y = x', color: '#71717a', dash: '4 3' }] : []),
  ];
  const legendLeft = legendAt.endsWith('right') ? box.left + box.width - 190 : box.left + 10;
  const legendTop = legendAt.startsWith('bottom')
    ? box.top + box.height - 8 - (items.length - 1) * 15 - 6
    : box.top + 14;
  body.push(
    `<rect x="${legendLeft - 6}" y="${legendTop - 10}" width="190" height="${items.length * 15 + 6}" fill="#fff" fill-opacity="0.85" stroke="#e4e4e7"/>`,
  );
  body.push(legend(items, legendLeft, legendTop));
  return svg(width, height, body.join(''), description);
}

/**
 * Reliability diagrams as small multiples: `panels` = [{ title, bins: [{ lo, hi, accuracy,
 * confidence, count }] }]. Bars show accuracy per bin, ticks the mean confidence, and the
 * diagonal is perfect calibration.
 */
export function reliabilityPanels({ panels, columns = 3, description, panelWidth = 200, panelHeight = 170 }) {
  const rows = Math.ceil(panels.length / columns);
  const cellW = panelWidth + 50;
  const cellH = panelHeight + 64;
  const body = [];
  panels.forEach((entry, index) => {
    const left = 46 + (index % columns) * cellW;
    const top = 26 + Math.floor(index / columns) * cellH;
    const p = panel({
      left,
      top,
      width: panelWidth,
      height: panelHeight,
      xDomain: [0, 1],
      yDomain: [0, 1],
      xLabel: 'confidence',
      yLabel: index % columns === 0 ? 'accuracy' : undefined,
      title: entry.title,
      xTicks: [0, 0.5, 1],
      yTicks: [0, 0.5, 1],
    });
    body.push(p.marks);
    for (const bin of entry.bins) {
      if (!(bin.count > 0)) continue;
      const x = p.x(bin.lo) + 0.5;
      const w = Math.max(1, p.x(bin.hi) - p.x(bin.lo) - 1);
      const gap = bin.confidence - bin.accuracy;
      body.push(
        `<rect x="${x}" y="${p.y(bin.accuracy)}" width="${w}" height="${p.y(0) - p.y(bin.accuracy)}" fill="${gap > 0.02 ? '#f59e0b' : '#3451b2'}" fill-opacity="0.75"><title>[${bin.lo.toFixed(2)}, ${bin.hi.toFixed(2)}): accuracy ${bin.accuracy.toFixed(3)}, mean confidence ${bin.confidence.toFixed(3)}, ${bin.count} samples</title></rect>`,
      );
      body.push(
        `<line x1="${x}" y1="${p.y(bin.confidence)}" x2="${x + w}" y2="${p.y(bin.confidence)}" stroke="#18181b" stroke-width="1.5"/>`,
      );
    }
    body.push(
      `<line x1="${p.x(0)}" y1="${p.y(0)}" x2="${p.x(1)}" y2="${p.y(1)}" stroke="#71717a" stroke-dasharray="4 3"/>`,
    );
  });
  const width = 46 + columns * cellW;
  const legendTop = 26 + rows * cellH - 6;
  const key = legend(
    [
      { label: 'bin accuracy (orange: confidence exceeds accuracy by > 2 pt)', color: '#3451b2' },
      { label: 'mean confidence of the bin', color: '#18181b' },
      { label: 'perfect calibration', color: '#71717a', dash: '4 3' },
    ],
    56,
    legendTop,
  );
  return svg(width, legendTop + 42, body.join('') + key, description);
}

/** Stacked horizontal bars: `rows` = [{ label, parts: [{ value, label }] }], values summing to 1. */
export function stackedBars({ rows, partLabels, description, width = 560, title }) {
  const left = 90;
  const barW = width - left - 20;
  const rowH = 18;
  const top = 34;
  const body = [];
  if (title)
    body.push(
      `<text x="${left}" y="16" font-size="11" font-weight="600" fill="#18181b">${escapeXml(title)}</text>`,
    );
  rows.forEach((row, r) => {
    const y = top + r * (rowH + 6);
    body.push(
      `<text x="${left - 6}" y="${y + 13}" font-size="10.5" text-anchor="end" fill="#27272a">${escapeXml(row.label)}</text>`,
    );
    let x = left;
    row.parts.forEach((value, k) => {
      const w = value * barW;
      if (w > 0)
        body.push(
          `<rect x="${x}" y="${y}" width="${w}" height="${rowH}" fill="${color(k)}" fill-opacity="0.8"><title>${escapeXml(partLabels[k])}: ${(100 * value).toFixed(1)}%</title></rect>`,
        );
      x += w;
    });
  });
  const legendTop = top + rows.length * (rowH + 6) + 14;
  const items = partLabels.map(
    (label, k) =>
      `<rect x="${left + k * 78}" y="${legendTop - 8}" width="10" height="10" fill="${color(k)}" fill-opacity="0.8"/><text x="${left + k * 78 + 14}" y="${legendTop + 1}" font-size="10.5" fill="#27272a">${escapeXml(label)}</text>`,
  );
  return svg(width, legendTop + 16, body.join('') + items.join(''), description);
}
