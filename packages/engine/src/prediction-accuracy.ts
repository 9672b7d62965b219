/** Share of `predictions` equal to their label, in [0, 1] (the benchmarks' accuracy of a run). */
export function predictionAccuracy(predictions: Int32Array, labels: Int32Array): number {
  let correct = 0;
  for (let n = 0; n < predictions.length; n++) if (predictions[n] === labels[n]) correct++;
  return correct / predictions.length;
}
