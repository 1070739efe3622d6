using Distillery.Models;

namespace Distillery.Experiments;

/// <summary>One experiment of a run: a data source under a protocol, stored under <see cref="Key"/>.</summary>
public sealed record ExperimentPart(string Key, string Location, string? Data, EvaluationProtocol Protocol)
{
    /// <summary>The run's experiments: every source × every protocol. A single one keeps the run's root (key "").</summary>
    public static IReadOnlyList<ExperimentPart> Of(ExperimentSettings settings)
    {
        var sources = settings.Sources;
        var protocols = settings.Protocols;
        var names = new List<string>();
        foreach (var source in sources)
        {
            var name = LocationName(source);
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
    public ExperimentSettings SettingsFrom(ExperimentSettings run) => run with { Data = Data, Protocol = Protocol.Name };

    /// <summary>A readable name for a source: its location key, or its file name.</summary>
    public static string LocationName(string? source)
    {
        if (source is null) return "US_FL";
        if (source.StartsWith(Distillery.Data.DataSource.LocationPrefix, StringComparison.Ordinal)) return Clean(source[Distillery.Data.DataSource.LocationPrefix.Length..]);
        if (source.StartsWith("blob:datasets/", StringComparison.Ordinal)) return Clean(source["blob:datasets/".Length..].Split('/')[0]);
        var path = Uri.TryCreate(source, UriKind.Absolute, out var uri) && !uri.IsFile ? uri.AbsolutePath : source;
        return Clean(Path.GetFileNameWithoutExtension(path));
    }

    private static string Clean(string name)
    {
        var cleaned = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_').ToArray()).Trim('_', '-');
        return cleaned.Length == 0 ? "data" : cleaned.Length > 40 ? cleaned[..40] : cleaned;
    }
}
