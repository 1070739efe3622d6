using System.Globalization;
using Distillery.Experiments;
using Distillery.Models;

namespace Distillery.Retraining;

/// <summary>A model's measured skill on a run's held-out folds (mean over folds), against persistence on the same
/// test windows: MASE = model MAE / persistence MAE. <see cref="RelativeWis"/> when the results carry one.</summary>
public sealed record Skill(string Protocol, double Mase, double Mae, double PersistenceMae, double? RelativeWis = null)
{
    /// <summary>The skill of <paramref name="kind"/> in a run's results; null when they hold no metrics against the
    /// truth for it or for persistence (results written before those were).</summary>
    public static Skill? Of(RunResults results, ModelKind kind)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (!results.Truth.TryGetValue(kind.Name(), out var model)
            || !results.Truth.TryGetValue(Evaluation.PersistenceName, out var persistence)) return null;
        return new Skill(results.Protocol, model.Mase.Mean, model.Mae.Mean, persistence.Mae.Mean, model.RelativeWis?.Mean);
    }
}

/// <summary>
/// The rule a run's model must pass before it may be served: it beats persistence ("the next days equal the last
/// observed day") on the run's held-out folds, by every score the results carry (MASE, and relative WIS when present).
/// A new score is one more <see cref="Below1"/> line in <see cref="Failures"/>.
/// </summary>
public static class BaselineGate
{
    /// <summary>Why <paramref name="model"/> (e.g. "student") does not beat persistence, or null when it does.</summary>
    public static string? Refusal(string model, Skill? skill)
    {
        if (skill is null) return $"{model} has no MASE in its results: its skill against persistence is unknown";
        var failures = Failures(model, skill).ToList();
        return failures.Count == 0 ? null
            : $"{string.Join(" and ", failures)}: worse than persistence on the held-out folds ({skill.Protocol})";
    }

    public static bool BeatsPersistence(Skill? skill) => Refusal("model", skill) is null;

    private static IEnumerable<string> Failures(string model, Skill skill)
    {
        if (Below1($"{model} MASE", skill.Mase) is { } mase) yield return mase;
        if (skill.RelativeWis is { } wis && Below1($"{model} relative WIS", wis) is { } relative) yield return relative;
    }

    /// <summary>Null when <paramref name="value"/> &lt; 1; NaN (an undefined ratio) fails.</summary>
    private static string? Below1(string name, double value) =>
        value < 1 ? null : $"{name} {value.ToString("0.00", CultureInfo.InvariantCulture)} ≥ 1";
}
