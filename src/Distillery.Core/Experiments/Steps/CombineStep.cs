using Distillery.Reports;
using Distillery.Storage;

namespace Distillery.Experiments.Steps;

/// <summary>A run of several experiments: an index results.json and one report comparing them.</summary>
public sealed class CombineStep(IArtifactStore store)
{
    public async Task<RunSummary> RunAsync(CombineRequest request, CancellationToken ct = default)
    {
        var layout = new RunLayout(RunIds.Validate(request.RunId));
        var combined = await CombinedResults.BuildAsync(store, request, ct);
        var report = await CombinedReport.WriteAsync(store, combined, ct);
        await store.WriteJsonAsync(layout.Results, combined, ct);
        var first = await store.ReadJsonAsync<RunResults>(combined.Parts[0].ResultsPath, ct);
        return new RunSummary(layout.RunId, layout.Results, report, first?.BestTeacherFold ?? 0,
            first?.Summary ?? new Dictionary<Models.ModelKind, ModelSummary>());
    }
}
