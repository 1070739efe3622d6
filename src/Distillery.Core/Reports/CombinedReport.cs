using Distillery.Models;
using System.Globalization;
using System.Text;
using Distillery.Experiments;
using Distillery.Storage;

namespace Distillery.Reports;

/// <summary>A combined run's page as display text: the comparison table and each part's own report view.</summary>
public sealed record CombinedReportView(string RunId, string Experiments, IReadOnlyList<string> Models,
    IReadOnlyList<CombinedRow> Rows, IReadOnlyList<CombinedPart> Parts);

/// <summary>One experiment's MAE (patients/day) per model, in the order of <see cref="CombinedReportView.Models"/>.</summary>
public sealed record CombinedRow(string Location, string Protocol, string Windows, IReadOnlyList<string> Mae, string StudentMase);

public sealed record CombinedPart(string Id, string Location, string Protocol, ReportView Report);

/// <summary>
/// The report of a combined run: one comparison table (MAE in patients/day against the truth, every experiment side
/// by side) followed by every experiment's own report, in one self-contained HTML file.
/// </summary>
public static class CombinedReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const string Missing = "–";

    public static async Task<string> WriteAsync(IArtifactStore store, CombinedResults combined, CancellationToken ct)
    {
        var parts = new List<ReportView>();
        foreach (var part in combined.Parts)
            parts.Add(await ReportView.LoadAsync(store, new RunLayout(combined.RunId, part.Part), ct));
        var path = new RunLayout(combined.RunId).Report;
        await store.WriteAsync(path, Encoding.UTF8.GetBytes(ReportTemplates.Combined(Build(combined, parts))), ct);
        return path;
    }

    /// <summary>The page's view from the index and each part's report view, in the order of the parts.</summary>
    public static CombinedReportView Build(CombinedResults combined, IReadOnlyList<ReportView> parts) =>
        new(combined.RunId, combined.Parts.Count.ToString(Inv), ReportModels.All,
            combined.Parts.Select(Row).ToList(),
            combined.Parts.Zip(parts, (p, view) => new CombinedPart(p.Part, p.Location, p.Protocol, view)).ToList());

    private static CombinedRow Row(PartSummary p)
    {
        string Cell(string model, Func<TruthSummary, MeanSem> pick, string format) =>
            ReportModels.TryGet(p.Truth, model, out var t) ? $"{pick(t).Mean.ToString(format, Inv)} ± {pick(t).Sem.ToString(format, Inv)}" : Missing;
        return new CombinedRow(p.Location, p.Protocol, p.Windows.ToString(Inv),
            ReportModels.All.Select(m => Cell(m, t => t.Mae, "0.0")).ToList(), Cell(ModelKind.Student.Name(), t => t.Mase, "0.000"));
    }
}
