/** Loss and gradient at a point (the gradient written into `gradient`). */
export type Objective = (point: Float64Array, gradient: Float64Array) => Promise<number>;

/** Options of `minimizeLbfgs`. */
export interface LbfgsOptions {
  /** Iterations at most. */
  readonly iterations: number;
  /** Correction pairs kept (default 10). */
  readonly memory?: number;
  /** Stop when the gradient's largest entry is below this (default 1e-5). */
  readonly gradientTolerance?: number;
  /** Called after every iteration with the iteration count and the current point; return `false` to stop. */
  readonly onIteration?: (iteration: number, point: Float64Array, loss: number) => Promise<boolean> | boolean;
}

/** Where `minimizeLbfgs` stopped. */
export interface LbfgsResult {
  readonly point: Float64Array;
  readonly loss: number;
  readonly iterations: number;
}

/**
 * Minimizes a smooth function with limited-memory BFGS (Nocedal & Wright, Algorithm 7.4: the
 * two-loop recursion) and a backtracking Armijo line search, starting from `start` (not
 * modified). Deterministic: no randomness, float64 throughout. Stops after `iterations`, on a
 * small gradient, when the line search cannot decrease the loss (float32 gradients reach that
 * floor), or when `onIteration` returns false.
 */
export async function minimizeLbfgs(
  objective: Objective,
  start: Float64Array,
  options: LbfgsOptions,
): Promise<LbfgsResult> {
  const size = start.length;
  const memory = options.memory ?? 10;
  const tolerance = options.gradientTolerance ?? 1e-5;
  let point = Float64Array.from(start);
  let gradient = new Float64Array(size);
  let loss = await objective(point, gradient);
  const steps: Float64Array[] = [];
  const changes: Float64Array[] = [];
  const rhos: number[] = [];
  let iteration = 0;
  while (iteration < options.iterations) {
    if (maxAbs(gradient) < tolerance) break;
    const direction = twoLoop(gradient, steps, changes, rhos);
    let slope = dot(direction, gradient);
    if (!(slope < 0)) {
      // Not a descent direction (curvature information went stale): restart from steepest descent.
      steps.length = 0;
      changes.length = 0;
      rhos.length = 0;
      for (let k = 0; k < size; k++) direction[k] = -gradient[k]!;
      slope = dot(direction, gradient);
    }
    let step = steps.length === 0 ? Math.min(1, 1 / Math.max(1e-12, Math.sqrt(-slope))) : 1;
    const next = new Float64Array(size);
    const nextGradient = new Float64Array(size);
    let nextLoss = Number.POSITIVE_INFINITY;
    for (let trial = 0; trial < 30; trial++) {
      for (let k = 0; k < size; k++) next[k] = point[k]! + step * direction[k]!;
      nextLoss = await objective(next, nextGradient);
      if (nextLoss <= loss + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(nextLoss < loss)) break;
    const s = new Float64Array(size);
    const y = new Float64Array(size);
    for (let k = 0; k < size; k++) {
      s[k] = next[k]! - point[k]!;
      y[k] = nextGradient[k]! - gradient[k]!;
    }
    const curvature = dot(s, y);
    if (curvature > 1e-10) {
      steps.push(s);
      changes.push(y);
      rhos.push(1 / curvature);
      if (steps.length > memory) {
        steps.shift();
        changes.shift();
        rhos.shift();
      }
    }
    point = next;
    gradient = nextGradient;
    loss = nextLoss;
    iteration++;
    if (options.onIteration && (await options.onIteration(iteration, point, loss)) === false) break;
  }
  return { point, loss, iterations: iteration };
}

/** −H·g by the two-loop recursion, H the L-BFGS inverse-Hessian estimate. */
function twoLoop(
  gradient: Float64Array,
  steps: Float64Array[],
  changes: Float64Array[],
  rhos: number[],
): Float64Array {
  const q = Float64Array.from(gradient);
  const alphas = new Array<number>(steps.length);
  for (let i = steps.length - 1; i >= 0; i--) {
    alphas[i] = rhos[i]! * dot(steps[i]!, q);
    axpy(-alphas[i]!, changes[i]!, q);
  }
  if (steps.length > 0) {
    const last = steps.length - 1;
    const gamma = dot(steps[last]!, changes[last]!) / dot(changes[last]!, changes[last]!);
    for (let k = 0; k < q.length; k++) q[k]! *= gamma;
  }
  for (let i = 0; i < steps.length; i++) {
    const beta = rhos[i]! * dot(changes[i]!, q);
    axpy(alphas[i]! - beta, steps[i]!, q);
  }
  for (let k = 0; k < q.length; k++) q[k] = -q[k]!;
  return q;
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += a[k]! * b[k]!;
  return sum;
}

function axpy(alpha: number, x: Float64Array, y: Float64Array): void {
  for (let k = 0; k < y.length; k++) y[k]! += alpha * x[k]!;
}

function maxAbs(values: Float64Array): number {
  let largest = 0;
  for (const value of values) largest = Math.max(largest, Math.abs(value));
  return largest;
}
