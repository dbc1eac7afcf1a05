import { s, setAttr } from "./dom.js";

const WIDTH = 120;
const HEIGHT = 28;
const PAD = 2;
const MIN_SPAN = 10;

/**
 * An inline SVG sparkline of the last `slots` samples, newest at the right edge. Null samples are
 * gaps: each run of numbers is its own polyline (a lone sample is drawn as a dot).
 */
export function createSparkline(label, slots = 60) {
  const lines = s("g", { class: "spark-lines" });
  const baseline = s("line", { class: "spark-base", x1: 0, x2: WIDTH, y1: HEIGHT - PAD, y2: HEIGHT - PAD });
  const element = s(
    "svg",
    {
      class: "spark",
      viewBox: "0 0 " + WIDTH + " " + HEIGHT,
      preserveAspectRatio: "none",
      role: "img",
      "aria-label": label,
    },
    baseline,
    lines,
  );
  let drawn = "";
  return {
    element,
    update(samples) {
      const recent = samples.slice(-slots);
      const key = recent.join(",");
      if (key === drawn) return;
      drawn = key;
      const numbers = recent.filter((value) => value !== null);
      const top = numbers.length > 0 ? Math.max(...numbers) * 1.15 || 1 : 1;
      // Young series stretch over the width (at least MIN_SPAN slots) rather than hug the right edge.
      const span = Math.max(recent.length, MIN_SPAN);
      const x = (i) => ((span - recent.length + i) / (span - 1)) * WIDTH;
      const y = (value) => HEIGHT - PAD - (value / top) * (HEIGHT - 2 * PAD);
      const runs = [];
      let run = [];
      recent.forEach((value, i) => {
        if (value === null) {
          if (run.length > 0) runs.push(run);
          run = [];
        } else {
          run.push([x(i), y(value)]);
        }
      });
      if (run.length > 0) runs.push(run);
      lines.replaceChildren(...runs.flatMap(drawRun));
      setAttr(element, "data-samples", String(numbers.length));
    },
  };
}

/** A run of samples: the line, and a faint area under it down to the baseline. */
function drawRun(run) {
  const points = (run.length === 1 ? [run[0], run[0]] : run).map(
    ([px, py]) => px.toFixed(1) + "," + py.toFixed(1),
  );
  const first = run[0][0].toFixed(1);
  const last = run[run.length - 1][0].toFixed(1);
  const floor = (HEIGHT - PAD).toFixed(1);
  return [
    s("polygon", {
      class: "spark-area",
      points: [first + "," + floor, ...points, last + "," + floor].join(" "),
    }),
    s("polyline", { points: points.join(" ") }),
  ];
}
