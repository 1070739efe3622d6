using Distillery.Data;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Scoring;
using Distillery.Serving;
using Distillery.Storage;
using Distillery.Tests.Experiments;

namespace Distillery.Tests.Serving;

/// <summary>A run with a validation block serves the Forecast Hub's 23 quantiles with every point forecast, from the
/// calibration its held-out scores came from; one without serves points only.</summary>
public class CalibratedForecastTests
{
    [Fact]
    public async Task A_calibrated_model_serves_23_monotone_non_negative_quantiles_per_day_from_its_stored_calibration()
    {
        using var dir = new TempDir();
        var steps = await CalibratedRunAsync(dir, "calibrated");
        var rows = ServingRunFixture.ReadUsFlRows().TakeLast(10).ToList();

        foreach (var kind in Forecaster.ServedKinds)
        {
            using var forecaster = await Forecaster.LoadAsync(steps.Store, "calibrated", kind, default);
            var forecast = forecaster.Predict(rows);
            var calibration = (await new RunArtifacts(steps.Store, new RunLayout("calibrated")).OutcomeAsync(kind, forecaster.Fold, "", default))
                .Calibration!;
            var expected = calibration.Forecast(forecast.Days.Select(d => d.Value).ToArray());
            Assert.Equal(QuantileLevels.Levels, forecast.QuantileLevels);
            for (var d = 0; d < forecast.Days.Count; d++)
            {
                var q = forecast.Days[d].Quantiles!;
                Assert.Equal(23, q.Count);
                Assert.True(q[0] >= 0, $"{kind} day {d}: {q[0]}");
                Assert.True(q.Zip(q.Skip(1)).All(p => p.First <= p.Second), $"{kind} day {d} is not monotone");
                Assert.Equal(expected[d].Values, q);
                Assert.Equal(q[QuantileLevels.MedianIndex], forecast.Days[d].Median);
            }
            // The skill it was measured with comes along: MASE, relative WIS and the protocol.
            Assert.Equal(EvaluationProtocol.LeakageFree.Name, forecast.Skill!.Protocol);
            Assert.NotNull(forecast.Skill.RelativeWis);
        }
    }

    [Fact]
    public async Task The_exported_students_how_to_followed_by_hand_gives_the_served_forecast_and_its_quantiles()
    {
        using var dir = new TempDir();
        var steps = await CalibratedRunAsync(dir, "exported");
        var (bytes, sidecar) = await ModelExport.StudentAsync(steps.Store, "exported", default);
        Assert.Equal(("last-value", "linear"), (sidecar.Normalization, sidecar.Architecture.Output));
        var rows = ServingRunFixture.ReadUsFlRows().TakeLast(10).ToList();

        // The recipe: scale, subtract each feature's last-day value, the network in plain arithmetic, add the target's back, unscale.
        int days = sidecar.Architecture.InputDays, f = sidecar.Features.Count, t = sidecar.TargetIndex;
        double Scaled(int d, int j)
        {
            var cell = rows[d][sidecar.Features[j]];
            var x = cell == "" ? 0 : double.Parse(cell, System.Globalization.CultureInfo.InvariantCulture);
            var range = sidecar.Max[j] - sidecar.Min[j];
            return (x - sidecar.Min[j]) / (range == 0 ? 1 : range);
        }
        var input = new double[days * f];
        for (var d = 0; d < days; d++)
            for (var j = 0; j < f; j++) input[d * f + j] = Scaled(d, j) - Scaled(days - 1, j);
        var tensors = SafetensorsF32(bytes);
        var layer = input;
        var linear = tensors.Keys.Where(k => k.EndsWith(".weight")).OrderBy(k => int.Parse(k.Split('.')[1])).ToList();
        for (var l = 0; l < linear.Count; l++)
        {
            var (w, shape) = tensors[linear[l]];
            var (b, _) = tensors[linear[l].Replace(".weight", ".bias")];
            layer = Enumerable.Range(0, (int)shape[0]).Select(o =>
            {
                var sum = (double)b[o];
                for (var i = 0; i < shape[1]; i++) sum += w[o * shape[1] + i] * layer[i];
                return l < linear.Count - 1 ? Math.Max(sum, 0) : sum;
            }).ToArray();
        }
        var byHand = layer.Select(y => (y + Scaled(days - 1, t)) * (sidecar.Max[t] - sidecar.Min[t]) + sidecar.Min[t]).ToArray();

        using var forecaster = await Forecaster.LoadAsync(steps.Store, "exported", ModelKind.Student, default);
        var served = forecaster.Predict(rows);
        for (var d = 0; d < byHand.Length; d++)
        {
            Assert.Equal(served.Days[d].Value, byHand[d], 1e-3 * Math.Max(1, Math.Abs(byHand[d])));
            var quantiles = sidecar.QuantileOffsets![d].Select(o => Math.Max(0, served.Days[d].Value + o)).Order().ToArray();
            Assert.Equal(served.Days[d].Quantiles!, quantiles);
        }
        Assert.Equal(QuantileLevels.Levels, sidecar.QuantileLevels);
    }

    /// <summary>A tiny leakage-free run with a validation block (so calibrated), last-value normalisation and 4 features.</summary>
    private static async Task<ExperimentSteps> CalibratedRunAsync(TempDir dir, string runId)
    {
        var steps = TinyRun.Steps(dir.Path);
        var settings = TinyRun.Settings(epochs: 2) with
        {
            Protocol = EvaluationProtocol.LeakageFree.Name, Normalization = WindowNormalizations.LastValueName, EarlyStoppingPatience = 1,
            Features = "top:4",
        };
        await TinyRun.RunStepsAsync(steps, runId, settings);
        return steps;
    }

    /// <summary>The float32 tensors of a .safetensors file by name: values (row-major) and shape.</summary>
    private static Dictionary<string, (float[] Values, long[] Shape)> SafetensorsF32(byte[] bytes)
    {
        var length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var header = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(8, length));
        var tensors = new Dictionary<string, (float[], long[])>();
        foreach (var p in header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__"))
        {
            Assert.Equal("F32", p.Value.GetProperty("dtype").GetString());
            var offsets = p.Value.GetProperty("data_offsets").EnumerateArray().Select(o => o.GetInt32()).ToArray();
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan(8 + length + offsets[0], offsets[1] - offsets[0])).ToArray();
            tensors[p.Name] = (values, p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray());
        }
        return tensors;
    }

    [Fact]
    public void Calibration_offsets_are_the_conformal_order_statistics_and_forecasts_add_them_to_the_point()
    {
        // Residuals −4…4 (n = 9): level q takes the ⌈10q⌉-th smallest, clamped to 1…9.
        double[] residuals = [4, -4, 3, -3, 2, -2, 1, -1, 0];
        var calibration = ConformalCalibration.FromResiduals([residuals, residuals.Select(r => 2 * r).ToArray()]);
        var offsets = calibration.Offsets[0];
        Assert.Equal(-4, offsets[0]);                                 // q = 0.01 → k = 1
        Assert.Equal(0, offsets[QuantileLevels.MedianIndex]);         // q = 0.5 → k = 5
        Assert.Equal(4, offsets[^1]);                                 // q = 0.99 → k = 10, clamped to 9
        Assert.Equal(offsets.Select(o => 2 * o), calibration.Offsets[1]);
        var days = calibration.Forecast([10.0, 3.0]);
        Assert.Equal(offsets.Select(o => 10 + o), days[0].Values);
        Assert.Equal(0, days[1].Values[0]);                            // 3 − 8 is clamped at 0: counts
        Assert.Equal(ConformalQuantiles.Forecast(residuals, 10.0).Values, days[0].Values);
        Assert.Throws<ArgumentException>(() => calibration.Forecast([10.0]));
    }
}
