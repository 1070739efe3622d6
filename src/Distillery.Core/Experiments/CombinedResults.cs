using System.Text;
using System.Text.RegularExpressions;
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

/// <summary>
/// The report of a combined run: one comparison table (MAE in patients/day against the truth, every experiment side
/// by side) followed by every experiment's own report, in one self-contained HTML file.
/// </summary>
public static partial class CombinedReport
{
    private static readonly string[] Models = ["teacher", "student", "fnn", "persistence", "inputMean"];

    public static async Task<string> WriteAsync(IArtifactStore store, CombinedResults combined, CancellationToken ct)
    {
        var html = new StringBuilder();
        string? style = null;
        var sections = new StringBuilder();
        foreach (var part in combined.Parts)
        {
            var page = Encoding.UTF8.GetString(await store.ReadAsync(part.ReportPath, ct) ?? throw new InvalidOperationException($"{part.ReportPath} is missing"));
            style ??= StyleOf().Match(page) is { Success: true } m ? m.Value : "";
            var body = BodyOf().Match(page) is { Success: true } b ? b.Groups[1].Value : page;
            sections.Append($"<section id=\"{Esc(part.Part)}\"><h1>{Esc(part.Location)} · {Esc(part.Protocol)} protocol</h1>{body}</section><hr>");
        }
        html.Append($"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Distillery run {Esc(combined.RunId)}</title>{style}</head><body><main>");
        html.Append($"<h1>Run {Esc(combined.RunId)}: {combined.Parts.Count} experiments</h1>");
        html.Append("<p>Mean absolute error against the true target on each fold's test windows, in patients/day, mean ± SEM over folds. " +
                    "The study protocol leaks (the scaler and the folds see the test days, every student learns from a teacher trained on other folds' test windows); " +
                    "the leakage-free protocol does not. Persistence repeats the last observed value; input mean repeats the mean of the input days.</p>");
        html.Append("<table><thead><tr><th>Location</th><th>Protocol</th><th>Windows</th>");
        foreach (var m in Models) html.Append($"<th>{Esc(m)} MAE</th>");
        html.Append("<th>student MASE</th></tr></thead><tbody>");
        foreach (var p in combined.Parts)
        {
            html.Append($"<tr><td>{Esc(p.Location)}</td><td>{Esc(p.Protocol)}</td><td>{p.Windows}</td>");
            foreach (var m in Models)
                html.Append(p.Truth.TryGetValue(m, out var t) ? $"<td>{F(t.Mae.Mean)} ± {F(t.Mae.Sem)}</td>" : "<td>–</td>");
            html.Append(p.Truth.TryGetValue("student", out var s) ? $"<td>{s.Mase.Mean:0.000} ± {s.Mase.Sem:0.000}</td>" : "<td>–</td>");
            html.Append("</tr>");
        }
        html.Append("</tbody></table></main><hr>").Append(sections).Append("</body></html>");
        var path = new RunLayout(combined.RunId).Report;
        await store.WriteAsync(path, Encoding.UTF8.GetBytes(html.ToString()), ct);
        return path;
    }

    private static string F(double v) => v.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
    private static string Esc(string s) => System.Net.WebUtility.HtmlEncode(s);

    [GeneratedRegex("<style>.*?</style>", RegexOptions.Singleline)]
    private static partial Regex StyleOf();

    [GeneratedRegex("<body[^>]*>(.*)</body>", RegexOptions.Singleline)]
    private static partial Regex BodyOf();
}
