using Distillery.Storage;

namespace Distillery.Experiments;

public sealed record CombineRequest(string RunId, ExperimentSettings Settings, IReadOnlyList<string> Parts);

/// <summary>One experiment of a combined run, with its headline numbers against the truth.</summary>
public sealed record PartSummary(string Part, string Location, string Protocol, string ResultsPath, string ReportPath,
    int Windows, IReadOnlyDictionary<string, TruthSummary> Truth);

/// <summary>results.json of a run with several experiments (locations × protocols): an index of their results.</summary>
public sealed record CombinedResults(string RunId, string Status, ExperimentSettings Settings, IReadOnlyList<PartSummary> Parts)
{
    public static async Task<CombinedResults> BuildAsync(IArtifactStore store, CombineRequest request, CancellationToken ct)
    {
        var parts = new List<PartSummary>();
        foreach (var key in request.Parts)
        {
            var layout = new RunLayout(request.RunId, key);
            var results = await store.ReadJsonAsync<RunResults>(layout.Results, ct)
                          ?? throw new InvalidOperationException($"{layout.Results} is missing");
            parts.Add(new PartSummary(key, results.Location, results.Protocol, layout.Results, layout.Report, results.Dataset.Windows, results.Truth));
        }
        return new CombinedResults(request.RunId, "completed", request.Settings, parts);
    }
}
