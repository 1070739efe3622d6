namespace Distillery.Reports;

/// <summary>What the pages say about a chart: its file name (charts/{Name}.png), title and caption.</summary>
public sealed record ChartText(string Name, string Title, string Caption)
{
    public ReportChart With(byte[] png) => new(Name, Title, Caption, png);
}

/// <summary>A chart of the report: its file name (charts/{Name}.png), caption and PNG bytes.</summary>
public sealed record ReportChart(string Name, string Title, string Caption, byte[] Png)
{
    public string FileName => $"{Name}.png";
}
