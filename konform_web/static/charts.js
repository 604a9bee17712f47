// Two small inline-SVG charts for the wallboard (no chart library: a bar chart and a line
// with a target line are a few dozen lines). Each chart is role="img" with a text summary in
// its aria-label, so a screen reader (and a test) reads the figures, not the drawing.
"use strict";

const KChart = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const W = 320;
  const H = 90;
  const PAD = 4;

  function svg(label) {
    const el = document.createElementNS(NS, "svg");
    el.setAttribute("viewBox", `0 0 ${W} ${H}`);
    el.setAttribute("preserveAspectRatio", "none");
    el.setAttribute("role", "img");
    el.setAttribute("aria-label", label);
    el.classList.add("chart");
    return el;
  }

  function node(tag, attrs) {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) {
      el.setAttribute(k, String(v));
    }
    return el;
  }

  /** Bars of ``points`` [{at, calls}] (oldest first). */
  function bars(points, label) {
    const el = svg(label);
    const values = points.map((p) => Number(p.calls) || 0);
    const top = Math.max(1, ...values);
    const step = (W - 2 * PAD) / Math.max(1, values.length);
    values.forEach((v, i) => {
      const height = ((H - 2 * PAD) * v) / top;
      el.append(
        node("rect", {
          x: PAD + i * step + step * 0.1,
          y: H - PAD - height,
          width: Math.max(1, step * 0.8),
          height: Math.max(v > 0 ? 1 : 0, height),
          class: "bar",
        }),
      );
    });
    el.append(node("line", { x1: PAD, x2: W - PAD, y1: H - PAD, y2: H - PAD, class: "axis" }));
    return el;
  }

  /** A line of ``points`` [{at, rate}] (fractions; null = nothing measured) and the target. */
  function rateLine(points, target, label) {
    const el = svg(label);
    const rates = points.map((p) => (p.rate === null || p.rate === undefined ? null : p.rate));
    const top = Math.max(target * 2, ...rates.filter((r) => r !== null), 0.01);
    const step = (W - 2 * PAD) / Math.max(1, rates.length - 1);
    const y = (r) => H - PAD - ((H - 2 * PAD) * r) / top;
    el.append(node("line", { x1: PAD, x2: W - PAD, y1: y(target), y2: y(target), class: "target" }));
    let path = "";
    rates.forEach((r, i) => {
      if (r === null) {
        return;
      }
      const x = rates.length === 1 ? W / 2 : PAD + i * step;
      path += `${path ? "L" : "M"}${x.toFixed(1)},${y(r).toFixed(1)} `;
      // A zero-length stroke with round caps: a round dot however the chart is stretched.
      const dot = `M${x.toFixed(1)},${y(r).toFixed(1)} l0,0`;
      el.append(node("path", { d: dot, class: r > target ? "dot over" : "dot" }));
    });
    if (path) {
      el.append(node("path", { d: path.trim(), class: "rate" }));
    }
    el.append(node("line", { x1: PAD, x2: W - PAD, y1: H - PAD, y2: H - PAD, class: "axis" }));
    return el;
  }

  return { bars, rateLine };
})();
