import { describe, expect, it } from 'vitest';
import { minimizeLbfgs, type Objective } from './lbfgs.js';

/** Rosenbrock's valley, minimum 0 at (1, 1): the classic hard case for line searches. */
const rosenbrock: Objective = async (point, gradient) => {
  const [x, y] = [point[0]!, point[1]!];
  gradient[0] = -2 * (1 - x) - 400 * x * (y - x * x);
  gradient[1] = 200 * (y - x * x);
  return (1 - x) ** 2 + 100 * (y - x * x) ** 2;
};

/** An ill-conditioned quadratic ½ Σ c_k (x_k − k)², minimum at x_k = k. */
const quadratic: Objective = async (point, gradient) => {
  let loss = 0;
  for (let k = 0; k < point.length; k++) {
    const c = 10 ** (k % 4);
    gradient[k] = c * (point[k]! - k);
    loss += 0.5 * c * (point[k]! - k) ** 2;
  }
  return loss;
};

describe('minimizeLbfgs', () => {
  it.each([
    ['rosenbrock', rosenbrock, Float64Array.of(-1.2, 1), [1, 1]],
    ['ill-conditioned quadratic', quadratic, new Float64Array(8), [0, 1, 2, 3, 4, 5, 6, 7]],
  ] as const)('finds the minimum of %s', async (_, objective, start, minimum) => {
    const result = await minimizeLbfgs(objective, start, { iterations: 500, gradientTolerance: 1e-9 });
    for (const [k, value] of minimum.entries()) expect(result.point[k]).toBeCloseTo(value, 5);
    expect(start[0]).toBe(minimum.length === 2 ? -1.2 : 0);
  });

  it('stops when onIteration returns false', async () => {
    const result = await minimizeLbfgs(rosenbrock, Float64Array.of(-1.2, 1), {
      iterations: 500,
      onIteration: (iteration) => iteration < 3,
    });
    expect(result.iterations).toBe(3);
  });

  it('is deterministic', async () => {
    const run = () => minimizeLbfgs(rosenbrock, Float64Array.of(-1.2, 1), { iterations: 20 });
    expect((await run()).point).toEqual((await run()).point);
  });
});
