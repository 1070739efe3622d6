using Distillery.Reports;
using Distillery.Storage;

namespace Distillery.Experiments.Steps;

/// <summary>Collects an experiment's stored outcomes into results.json and renders its report.</summary>
public sealed class SummarizeStep(IArtifactStore store)
{
    public async Task<RunSummary> RunAsync(SummarizeRequest request, CancellationToken ct = default)
    {
        var layout = new RunLayout(RunIds.Validate(request.RunId), request.Part);
        var results = await RunResults.BuildAsync(new RunArtifacts(store, layout), request, ct);
        await store.WriteJsonAsync(layout.Results, results, ct);
        var report = await RunReport.WriteAsync(store, layout, new ReportOptions { PlotWindows = request.Settings.PlotWindows }, ct);
        return new RunSummary(layout.RunId, layout.Results, report.Html, request.BestTeacherFold, results.Summary, request.Part);
    }
}
