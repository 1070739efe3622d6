using System.Diagnostics;
using Distillery.Models;
using static TorchSharp.torch;

namespace Distillery.Bench;

/// <summary>P3: forward passes without gradients, warm, one torch thread: per-window latency at batch 1 and
/// throughput at batch 256, teacher vs student (US_FL's shape: 10 days × the cleaned features → 14 days).</summary>
public static class Inference
{
    public sealed record Row(string Model, long Parameters, double LatencyMicrosMedian, double LatencyMicrosP90, double Batch256Millis,
        double WindowsPerSecond);

    public static List<Row> Run(ModelShape shape, int iterations, int threads = 1)
    {
        set_num_threads(threads);
        var rows = new List<Row>();
        using var generator = new Generator(7);
        using var one = rand([1, shape.InputDays, shape.Features], generator: generator);
        using var batch = rand([256, shape.InputDays, shape.Features], generator: generator);
        foreach (var kind in new[] { ModelKind.Teacher, ModelKind.Student })
        {
            using var model = ModelFactory.Create(kind, shape);
            ModelFactory.Initialize(model, 1);
            model.eval();
            using var noGrad = no_grad();
            var latencies = Time(() => model.call(one).Dispose(), iterations);
            var big = Time(() => model.call(batch).Dispose(), Math.Max(20, iterations / 50));
            var medianBig = Median(big);
            rows.Add(new Row(kind == ModelKind.Teacher ? "teacher" : "student", ModelFactory.ParameterCount(model),
                Median(latencies) * 1e6, Percentile(latencies, 0.9) * 1e6, medianBig * 1e3, 256 / medianBig));
        }
        return rows;
    }

    private static double[] Time(Action call, int iterations)
    {
        for (var i = 0; i < Math.Max(50, iterations / 10); i++) call(); // warm-up
        var seconds = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            call();
            seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        return seconds;
    }

    public static double Median(IEnumerable<double> xs) => Percentile(xs, 0.5);

    public static double Percentile(IEnumerable<double> xs, double q)
    {
        var sorted = xs.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var pos = q * (sorted.Length - 1);
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    public static void Print(List<Row> rows)
    {
        Console.WriteLine($"{"model",-8} {"params",9} {"batch-1 median µs",18} {"p90 µs",8} {"batch-256 ms",13} {"windows/s",10}");
        foreach (var r in rows)
            Console.WriteLine($"{r.Model,-8} {r.Parameters,9:N0} {r.LatencyMicrosMedian,18:F1} {r.LatencyMicrosP90,8:F1} {r.Batch256Millis,13:F2} {r.WindowsPerSecond,10:N0}");
        if (rows.Count == 2)
            Console.WriteLine($"teacher/student latency ratio: {rows[0].LatencyMicrosMedian / rows[1].LatencyMicrosMedian:F1}×");
    }
}
