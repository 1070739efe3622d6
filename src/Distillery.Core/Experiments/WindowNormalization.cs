using static TorchSharp.torch;

namespace Distillery.Experiments;

/// <summary>
/// How a window's values are shifted before the network sees them. <see cref="LastValue"/> (NLinear / RevIN style):
/// every feature of a window's inputs, the target included, has its own last observed (scaled) value subtracted, and
/// so do the window's target outputs; the network predicts the change from the last day, an output of 0 is
/// persistence, and its head is linear (a change can be negative). Every feature, not the target alone: under the
/// leakage-free protocol any feature can reach a level its fold's training rows never saw, and a shifted input
/// carries the window's shape without its level. The level is lost to the network; the forecast gets it back.
/// </summary>
public enum WindowNormalization { None = 0, LastValue = 1 }

/// <summary>The one home of the shift and its inverse: training, evaluation, the report and serving all go through
/// <see cref="WindowTensors"/> and <see cref="Forecasts"/>.</summary>
public static class WindowNormalizations
{
    public const string NoneName = "none", LastValueName = "last-value";

    public static IReadOnlyList<string> Names { get; } = [NoneName, LastValueName];

    /// <summary>The normalisation named <paramref name="name"/>; null (not given) is <see cref="WindowNormalization.None"/>.</summary>
    public static WindowNormalization Parse(string? name) => name switch
    {
        null or NoneName => WindowNormalization.None,
        LastValueName => WindowNormalization.LastValue,
        _ => throw new InvalidInputException($"normalization must be one of {string.Join(", ", Names)}, got '{name}'"),
    };

    /// <summary>A sigmoid bounds the output to [0, 1], the scaled range; a change needs a linear head.</summary>
    public static bool LinearHead(this WindowNormalization normalization) => normalization switch
    {
        WindowNormalization.None => false,
        WindowNormalization.LastValue => true,
    };

    /// <summary>What is subtracted from column <paramref name="column"/> of window <paramref name="window"/> (inputs and,
    /// for the target column, outputs): 0, or the window's last input day's value.</summary>
    public static double Shift(this WindowNormalization normalization, DatasetArtifact meta, double[] matrix, int window, int column) =>
        normalization switch
        {
            WindowNormalization.None => 0,
            WindowNormalization.LastValue => matrix[(window + meta.InputDays - 1) * meta.Features.Count + column],
        };

    /// <summary>A network output (normalised space) of window <paramref name="window"/> as a scaled target value: the
    /// exact inverse of the shift (0 under last-value is the last observed value, persistence).</summary>
    public static double Denormalize(this WindowNormalization normalization, DatasetArtifact meta, double[] matrix, int window, double output) =>
        normalization switch
        {
            WindowNormalization.None => output,
            WindowNormalization.LastValue => output + normalization.Shift(meta, matrix, window, meta.TargetIndex),
        };

    /// <summary>Scaled forecasts [window][day] from network outputs [windows.Count, outputDays] of the chosen windows of
    /// <paramref name="matrix"/> (the windows <see cref="WindowTensors.InputsOf"/> was given).</summary>
    public static double[][] Forecasts(this WindowNormalization normalization, Tensor outputs, DatasetArtifact meta, double[] matrix,
        IReadOnlyList<int> windows)
    {
        using var scope = NewDisposeScope();
        var flat = outputs.to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        var days = (int)outputs.shape[1];
        return windows.Select((w, i) => Enumerable.Range(0, days)
            .Select(d => normalization.Denormalize(meta, matrix, w, flat[i * days + d])).ToArray()).ToArray();
    }
}
