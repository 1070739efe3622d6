using System.Diagnostics;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Distillery.Reports;

/// <summary>
/// The report's TorchSharp work: forecasts of chosen windows by every stored model, and single-window inference timing.
/// Synchronous on purpose: TorchSharp dispose scopes belong to one thread.
/// </summary>
public static class ReportInference
{
    /// <summary>Scaled forecasts [window][day] of the chosen windows by one model's weights (denormalised).</summary>
    public static double[][] Predict(ModelKind kind, ModelShape shape, byte[] weights, WindowNormalization normalization, DatasetArtifact meta,
        double[] matrix, IReadOnlyList<int> windows)
    {
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create(kind, shape);
        ModelSerializer.Load(model, weights);
        var inputs = WindowTensors.InputsOf(meta, matrix, windows, normalization);
        return normalization.Forecasts(Trainer.Predict(model, inputs), meta, matrix, windows);
    }

    /// <summary>
    /// Median time of one forward pass on one window (batch 1) under no_grad, after warm-up calls, with torch's
    /// thread count as currently set.
    /// </summary>
    public static InferenceTiming Time(ModelKind kind, int fold, ModelShape shape, byte[] weights, WindowNormalization normalization,
        DatasetArtifact meta, double[] matrix, int window, int warmup, int calls)
    {
        if (calls < 1) throw new ArgumentOutOfRangeException(nameof(calls), "at least one timed call");
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create(kind, shape);
        ModelSerializer.Load(model, weights);
        model.eval();
        var input = WindowTensors.InputsOf(meta, matrix, [window], normalization);
        var micro = new double[calls];
        using (no_grad())
        {
            for (var i = 0; i < warmup; i++)
            {
                using var s = NewDisposeScope();
                model.call(input);
            }
            for (var i = 0; i < calls; i++)
            {
                using var s = NewDisposeScope();
                var start = Stopwatch.GetTimestamp();
                model.call(input);
                micro[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
        }
        Array.Sort(micro);
        return new InferenceTiming(kind.Name(), fold, Quantile(micro, 0.5), Quantile(micro, 0.1), Quantile(micro, 0.9));
    }

    /// <summary>Linear-interpolated quantile of sorted values.</summary>
    public static double Quantile(double[] sorted, double q)
    {
        if (sorted.Length == 0) return double.NaN;
        var pos = q * (sorted.Length - 1);
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
