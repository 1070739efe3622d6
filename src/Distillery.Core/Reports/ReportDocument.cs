using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Distillery.Experiments;
using Distillery.Storage;

namespace Distillery.Reports;

/// <summary>A chart of the report: its file name (charts/{Name}.png), caption and PNG bytes.</summary>
public sealed record ReportChart(string Name, string Title, string Caption, byte[] Png)
{
    public string FileName => $"{Name}.png";
}

/// <summary>Everything the report shows, rendered as one self-contained HTML file or as Markdown.</summary>
public sealed record ReportContent(RunResults Results, ReportRecord Record, IReadOnlyList<TableRow> Table,
    IReadOnlyList<ReportChart> LossCharts, IReadOnlyList<ReportChart> WindowCharts)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The report of fixed results, timings and charts: a pure function, so its pages can be pinned.</summary>
    public static ReportContent Create(RunResults results, ReportRecord record, IReadOnlyList<ReportChart> lossCharts,
        IReadOnlyList<ReportChart> windowCharts) =>
        new(results, record, ReportTable.Rows(results, record.Teacher, record.Student), lossCharts, windowCharts);

    public IEnumerable<(string Name, string Value)> Settings()
    {
        var json = JsonSerializer.SerializeToElement(Results.Settings, ArtifactStoreJson.Options);
        foreach (var p in json.EnumerateObject())
        {
            var value = p.Value.ValueKind switch
            {
                JsonValueKind.Null when p.Name == "data" => "(embedded default: US_FL)",
                JsonValueKind.Null => "(none)",
                JsonValueKind.String => p.Value.GetString()!,
                JsonValueKind.Number => p.Value.GetDouble().ToString("0.###############", Inv),
                _ => p.Value.GetRawText(),
            };
            yield return (p.Name, value);
        }
    }

    public IEnumerable<(string Name, string Value)> Provenance()
    {
        var d = Results.Dataset;
        yield return ("Source", d.Source);
        yield return ("Target", d.Target);
        yield return ("Rows (days, after cleaning)", ReportFormat.Count(d.Rows));
        yield return ("Features", $"{d.Features.Count} (listed below)");
        yield return ("Date range", $"{d.FirstDate} to {d.LastDate}");
        yield return ("Windows", $"{ReportFormat.Count(d.Windows)} ({Results.Settings.InputDays} input days → {Results.Settings.OutputDays} forecast days)");
        yield return ("Folds", $"{Results.Folds.Count} (best teacher: fold {Results.BestTeacherFold})");
    }

    public IEnumerable<(string Name, string Value)> JobTimings() =>
        Results.Timings.Select(t => (t.Key, ReportFormat.Seconds(t.Value)));

    public string Intro =>
        $"Run {Results.RunId} ({Results.Status}, protocol \"{Results.Protocol}\"): an LSTM teacher distilled into a feed-forward student, " +
        $"compared with the same feed-forward network trained without a teacher (FNN), over {Results.Folds.Count} folds.";

    public IReadOnlyList<string> HowToRead =>
    [
        "Losses are sums over windows of each window's mean squared error on the [0, 1]-scaled target: a train loss sums the fold's training windows, a test loss its held-out windows. Lower is better; \"mean ± SEM\" is over folds.",
        "The teacher's and the FNN's losses, and \"Distilled student, test vs truth\", are measured against the true targets.",
        "The distilled student's train and test losses are measured against the teacher's outputs, not the truth: they show how well it imitates the teacher. Compare its \"test vs truth\" row with the teacher and the FNN.",
        "Δ is the model's mean minus the teacher's mean (negative: lower loss than the teacher).",
        $"Inference is the median wall time of one forward pass on a single window (batch 1, warm, no gradients, {Record.TorchThreads} torch thread{(Record.TorchThreads == 1 ? "" : "s")}), for the best teacher (fold {Record.Teacher.Fold}) and the fold-{Record.Student.Fold} student.",
        "Forecast charts are in patients/day (the scaled values mapped back to the target's range). Each window is held out (a test window) in exactly one fold: that fold's lines are drawn thick; the other folds trained on that window.",
    ];

    public static readonly string[] TruthHeader = ["Model", "MAE (patients/day)", "RMSE (patients/day)", "MASE", "MSE (scaled)", "MAE day 1", "MAE day 14"];

    public string TruthCaption =>
        "Every model and baseline against the true target on each fold's test windows, mean ± SEM over folds. MAE and RMSE are in patients/day; " +
        "MASE is the MAE divided by persistence's MAE on the same windows (below 1 beats persistence); MSE is on the [0, 1]-scaled target, per window. " +
        "Persistence repeats the last observed value; input mean repeats the mean of the input days." +
        (Results.SmallestStudentWithinTolerance is { } n ? $" Smallest student within {Results.Settings.SweepTolerance:P0} of the teacher's MAE: {n}." : "");

    public IEnumerable<string[]> TruthRows()
    {
        var names = new Dictionary<string, string> { ["teacher"] = "Teacher", ["student"] = "Distilled student", ["fnn"] = "FNN", ["persistence"] = "Persistence", ["inputMean"] = "Input mean" };
        foreach (var (key, t) in Results.Truth)
            yield return [names.GetValueOrDefault(key, key), ReportFormat.MeanSem(t.Mae.Mean, t.Mae.Sem), ReportFormat.MeanSem(t.Rmse.Mean, t.Rmse.Sem),
                ReportFormat.MeanSem(t.Mase.Mean, t.Mase.Sem), ReportFormat.MeanSem(t.Mse.Mean, t.Mse.Sem),
                ReportFormat.Number(t.MaeByHorizon[0]), ReportFormat.Number(t.MaeByHorizon[^1])];
        foreach (var p in Results.Sweep.Where(p => p.Name != "student"))
            yield return [$"Student h{p.Hidden} ({ReportFormat.Count(p.Parameters)} params)", ReportFormat.MeanSem(p.Truth.Mae.Mean, p.Truth.Mae.Sem),
                ReportFormat.MeanSem(p.Truth.Rmse.Mean, p.Truth.Rmse.Sem), ReportFormat.MeanSem(p.Truth.Mase.Mean, p.Truth.Mase.Sem),
                ReportFormat.MeanSem(p.Truth.Mse.Mean, p.Truth.Mse.Sem), ReportFormat.Number(p.Truth.MaeByHorizon[0]), ReportFormat.Number(p.Truth.MaeByHorizon[^1])];
    }

    public string TableCaption =>
        $"Final losses (after the last of {Results.Settings.Epochs + 1} passes), mean ± SEM over {Results.Folds.Count} folds; parameters are the true counts of each network.";

    public string SpeedLine =>
        $"Student vs teacher inference: {Record.Speedup.ToString("F1", Inv)}× faster " +
        $"({ReportFormat.Microseconds(Record.Student.MedianMicroseconds)} vs {ReportFormat.Microseconds(Record.Teacher.MedianMicroseconds)} per window; " +
        $"p10–p90 student {ReportFormat.Microseconds(Record.Student.P10Microseconds)}–{ReportFormat.Microseconds(Record.Student.P90Microseconds)}, " +
        $"teacher {ReportFormat.Microseconds(Record.Teacher.P10Microseconds)}–{ReportFormat.Microseconds(Record.Teacher.P90Microseconds)}; " +
        $"{Record.TimedCalls} timed calls after {Record.WarmupCalls} warm-up calls on window {Record.TimedWindow}).";

    public string ToHtml()
    {
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.Append($"<title>Distillery report: {T(Results.RunId)}</title>\n<style>\n{Css}</style>\n</head>\n<body>\n<main>\n");
        h.Append($"<h1>Distillery report <span class=\"run\">{T(Results.RunId)}</span></h1>\n<p>{T(Intro)}</p>\n");

        h.Append("<h2>How to read this</h2>\n<ul>\n");
        foreach (var line in HowToRead) h.Append($"<li>{T(line)}</li>\n");
        h.Append("</ul>\n");

        h.Append($"<h2>Results</h2>\n<p>{T(TableCaption)}</p>\n<div class=\"scroll\"><table class=\"results\">\n<thead><tr>");
        // The "trained against" column goes under each model's name, so the table fits the page.
        foreach (var c in ReportTable.Header.Where((_, i) => i != 1)) h.Append($"<th>{T(c)}</th>");
        h.Append("</tr></thead>\n<tbody>\n");
        foreach (var r in Table)
        {
            h.Append($"<tr><th scope=\"row\">{T(r.Model)}<span class=\"sub\">{T(r.TrainedAgainst)}</span></th>");
            foreach (var v in new[] { r.Parameters, r.Train, r.TrainDiff, r.Test, r.TestDiff, r.Inference }) h.Append($"<td>{T(v)}</td>");
            h.Append("</tr>\n");
        }
        h.Append("</tbody>\n</table></div>\n");
        h.Append($"<p class=\"note\">{T(SpeedLine)}</p>\n");
        if (Results.Truth.Count > 0)
        {
            h.Append($"<h2>Against the truth</h2>\n<p>{T(TruthCaption)}</p>\n<div class=\"scroll\"><table class=\"results\">\n<thead><tr>");
            foreach (var c in TruthHeader) h.Append($"<th>{T(c)}</th>");
            h.Append("</tr></thead>\n<tbody>\n");
            foreach (var row in TruthRows())
            {
                h.Append($"<tr><th scope=\"row\">{T(row[0])}</th>");
                foreach (var v in row.Skip(1)) h.Append($"<td>{T(v)}</td>");
                h.Append("</tr>\n");
            }
            h.Append("</tbody>\n</table></div>\n");
        }

        h.Append("<h2>Losses</h2>\n");
        foreach (var c in LossCharts) Figure(h, c);
        h.Append("<h2>Forecasts</h2>\n");
        foreach (var c in WindowCharts) Figure(h, c);

        h.Append("<h2>Data</h2>\n");
        KeyValues(h, Provenance());
        h.Append($"<details><summary>The {Results.Dataset.Features.Count} features</summary><p class=\"features\">{T(string.Join(", ", Results.Dataset.Features))}</p></details>\n");
        h.Append("<h2>Settings</h2>\n");
        KeyValues(h, Settings());
        h.Append("<h2>Job timings</h2>\n");
        KeyValues(h, JobTimings());
        h.Append($"<p class=\"note\">Generated {Record.GeneratedUtc.ToString("yyyy-MM-dd HH:mm:ss", Inv)} UTC.</p>\n");
        h.Append("</main>\n</body>\n</html>\n");
        return h.ToString();
    }

    public string ToMarkdown()
    {
        var m = new StringBuilder();
        m.Append($"# Distillery report: {Md(Results.RunId)}\n\n{Md(Intro)}\n\n## How to read this\n\n");
        foreach (var line in HowToRead) m.Append($"- {Md(line)}\n");
        m.Append($"\n## Results\n\n{Md(TableCaption)}\n\n| ").Append(string.Join(" | ", ReportTable.Header.Select(Md))).Append(" |\n");
        m.Append("|").Append(string.Concat(ReportTable.Header.Select((_, i) => i < 2 ? " --- |" : " ---: |"))).Append('\n');
        foreach (var r in Table)
            m.Append("| ").Append(string.Join(" | ", new[] { r.Model, r.TrainedAgainst, r.Parameters, r.Train, r.TrainDiff, r.Test, r.TestDiff, r.Inference }.Select(Md))).Append(" |\n");
        m.Append($"\n{Md(SpeedLine)}\n\n");
        if (Results.Truth.Count > 0)
        {
            m.Append($"## Against the truth\n\n{Md(TruthCaption)}\n\n| ").Append(string.Join(" | ", TruthHeader.Select(Md))).Append(" |\n");
            m.Append("|").Append(string.Concat(TruthHeader.Select((_, i) => i < 1 ? " --- |" : " ---: |"))).Append('\n');
            foreach (var row in TruthRows()) m.Append("| ").Append(string.Join(" | ", row.Select(Md))).Append(" |\n");
            m.Append('\n');
        }
        m.Append("## Losses\n\n");
        foreach (var c in LossCharts) m.Append($"![{Md(c.Title)}](charts/{c.FileName})\n\n{Md(c.Caption)}\n\n");
        m.Append("## Forecasts\n\n");
        foreach (var c in WindowCharts) m.Append($"![{Md(c.Title)}](charts/{c.FileName})\n\n{Md(c.Caption)}\n\n");
        m.Append("## Data\n\n");
        MdKeyValues(m, Provenance());
        m.Append($"<details><summary>The {Results.Dataset.Features.Count} features</summary>\n\n{Md(string.Join(", ", Results.Dataset.Features))}\n\n</details>\n\n");
        m.Append("## Settings\n\n");
        MdKeyValues(m, Settings());
        m.Append("## Job timings\n\n");
        MdKeyValues(m, JobTimings());
        m.Append($"Generated {Record.GeneratedUtc.ToString("yyyy-MM-dd HH:mm:ss", Inv)} UTC.\n");
        return m.ToString();
    }

    private static void Figure(StringBuilder h, ReportChart c) =>
        h.Append($"<figure id=\"{T(c.Name)}\"><img src=\"data:image/png;base64,{Convert.ToBase64String(c.Png)}\" alt=\"{T(c.Title)}\">" +
                 $"<figcaption>{T(c.Caption)}</figcaption></figure>\n");

    private static void KeyValues(StringBuilder h, IEnumerable<(string Name, string Value)> rows)
    {
        h.Append("<table class=\"kv\">\n<tbody>\n");
        foreach (var (name, value) in rows) h.Append($"<tr><th scope=\"row\">{T(name)}</th><td>{T(value)}</td></tr>\n");
        h.Append("</tbody>\n</table>\n");
    }

    private static void MdKeyValues(StringBuilder m, IEnumerable<(string Name, string Value)> rows)
    {
        m.Append("| | |\n| --- | --- |\n");
        foreach (var (name, value) in rows) m.Append($"| {Md(name)} | {MdValue(value)} |\n");
        m.Append('\n');
    }

    /// <summary>HTML text. "://" is written with an entity so that no address in user text reads as a link.</summary>
    public static string T(string text) => WebUtility.HtmlEncode(text).Replace("://", "&#58;//", StringComparison.Ordinal);

    private static string Md(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>Markdown value: an address goes in a code span so that renderers do not make it a link.</summary>
    private static string MdValue(string text) =>
        text.Contains("://", StringComparison.Ordinal) ? $"`{text.Replace("`", "'", StringComparison.Ordinal)}`" : Md(text);

    private const string Css = """
        :root { color-scheme: light; }
        body { margin: 0; background: #f6f7f9; color: #1d2330; font: 16px/1.5 "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; }
        main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
        h1 { font-size: 1.7em; margin: 0.2em 0 0.4em; }
        h1 .run { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 0.7em; color: #555; font-weight: normal; }
        h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #dde1e7; padding-bottom: 0.2em; }
        ul { padding-left: 1.3em; }
        li { margin: 0.25em 0; }
        table { border-collapse: collapse; font-size: 0.92em; }
        th, td { border: 1px solid #d5dae1; padding: 6px 9px; vertical-align: top; }
        thead th { background: #eef1f5; text-align: left; font-weight: 600; }
        table.results td { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
        table.results tbody th { text-align: left; white-space: nowrap; }
        table.results .sub { display: block; font-weight: normal; color: #5a6270; font-size: 0.88em; }
        details { margin: 0.8em 0; }
        summary { cursor: pointer; color: #2b4a7a; }
        .features { font-size: 0.88em; color: #3a4250; }
        table.kv th { text-align: left; background: #f4f6f8; font-weight: 600; white-space: nowrap; }
        table.kv td { word-break: break-word; }
        .scroll { overflow-x: auto; }
        .note { color: #4a5260; font-size: 0.92em; }
        figure { margin: 1.4em 0; }
        figure img { display: block; max-width: 100%; height: auto; border: 1px solid #e3e6ea; }
        figcaption { color: #4a5260; font-size: 0.92em; margin-top: 0.4em; }

        """;
}
