using Distillery.Data;

namespace Distillery.Experiments;

/// <summary>One experiment of a run: a data source under a protocol, stored under <see cref="Key"/>.</summary>
public sealed record ExperimentPart(string Key, string Location, DataSpec Source, EvaluationProtocol Protocol)
{
    /// <summary>The run's experiments: every source × every protocol. A single one keeps the run's root (key "").</summary>
    public static IReadOnlyList<ExperimentPart> Of(ExperimentSettings settings)
    {
        var sources = settings.Sources;
        var protocols = settings.Protocols;
        var names = new List<string>();
        foreach (var source in sources)
        {
            var name = source.LocationName;
            var unique = name;
            for (var i = 2; names.Contains(unique); i++) unique = $"{name}-{i}";
            names.Add(unique);
        }
        return sources.SelectMany((source, i) => protocols.Select(protocol => new ExperimentPart(
                string.Join('/', new[] { sources.Count > 1 ? names[i] : null, protocols.Count > 1 ? protocol.Name : null }.OfType<string>()),
                names[i], source, protocol)))
            .ToArray();
    }

    /// <summary>The settings of this experiment alone: one source, one protocol.</summary>
    public ExperimentSettings SettingsFrom(ExperimentSettings run) => run with { Data = DataSpec.Join([Source]), Protocol = Protocol.Name };
}
