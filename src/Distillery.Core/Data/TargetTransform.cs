using System.Text.Json.Serialization;

namespace Distillery.Data;

/// <summary>A transform of the target column applied to its raw values before min-max scaling (so to the target's
/// inputs and outputs alike) and inverted when a scaled forecast becomes patients/day.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TargetTransform>))]
public enum TargetTransform
{
    [JsonStringEnumMemberName(TargetTransforms.NoneName)] None = 0,
    /// <summary>log(1 + x): a level the training rows never reached is then a smaller step in the scaled space.</summary>
    [JsonStringEnumMemberName(TargetTransforms.Log1pName)] Log1p = 1,
}

public static class TargetTransforms
{
    public const string NoneName = "none", Log1pName = "log1p";

    public static IReadOnlyList<string> Names { get; } = [NoneName, Log1pName];

    /// <summary>The transform named <paramref name="name"/>; null (not given) is <see cref="TargetTransform.None"/>.</summary>
    public static TargetTransform Parse(string? name) => name switch
    {
        null or NoneName => TargetTransform.None,
        Log1pName => TargetTransform.Log1p,
        _ => throw new InvalidInputException($"targetTransform must be one of {string.Join(", ", Names)}, got '{name}'"),
    };

    /// <summary>Raw → transformed (before scaling).</summary>
    public static double Forward(this TargetTransform transform, double raw) => transform switch
    {
        TargetTransform.None => raw,
        TargetTransform.Log1p => LogOnePlus(raw),
    };

    /// <summary>Transformed → raw (after unscaling).</summary>
    public static double Inverse(this TargetTransform transform, double value) => transform switch
    {
        TargetTransform.None => value,
        TargetTransform.Log1p => ExpMinusOne(value),
    };

    /// <summary><see cref="Forward"/> of a value read from input; one outside the transform's domain (log1p: ≤ −1) is
    /// bad input, named with <paramref name="where"/>.</summary>
    public static double ForwardChecked(this TargetTransform transform, double raw, string column, string where)
    {
        var accepted = transform switch
        {
            TargetTransform.None => true,
            TargetTransform.Log1p => raw > -1,
        };
        return accepted
            ? transform.Forward(raw)
            : throw new InvalidInputException($"column '{column}', {where}: value {raw} is outside the domain of the target transform {transform.Name()}");
    }

    public static string Name(this TargetTransform transform) => transform switch
    {
        TargetTransform.None => NoneName,
        TargetTransform.Log1p => Log1pName,
    };

    // .NET's double.LogP1 / ExpM1 are log(1 + x) and exp(x) − 1, which lose digits near 0; Kahan's corrections keep them.
    private static double LogOnePlus(double x)
    {
        var u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }

    private static double ExpMinusOne(double x)
    {
        var u = Math.Exp(x);
        if (u == 1) return x;
        var um1 = u - 1;
        return um1 == -1 ? -1 : double.IsPositiveInfinity(u) ? u : um1 * x / Math.Log(u);
    }
}
