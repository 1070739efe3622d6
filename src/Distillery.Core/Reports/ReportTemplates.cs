using System.Globalization;
using System.Net;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;

namespace Distillery.Reports;

/// <summary>
/// The pages' Scriban templates (Reports/Templates/, embedded), parsed once, and the one escaping function of each
/// format that they call: <c>h</c> (HTML) and <c>md</c> (Markdown).
/// </summary>
public static class ReportTemplates
{
    private const string ResourcePrefix = "Distillery.Reports.Templates.";

    // Templates are safe to share between renderings; each rendering has its own context.
    private static readonly Lazy<IReadOnlyDictionary<string, Template>> Parsed = new(ParseAll);

    public static string Html(ReportView report) => Render("report.sbn-html", "report", report);

    public static string Markdown(ReportView report) => Render("report.sbn-md", "report", report);

    public static string Combined(CombinedReportView combined) => Render("combined.sbn-html", "combined", combined);

    /// <summary>HTML text. "://" is written with an entity so that no address in user text reads as a link.</summary>
    public static string EscapeHtml(string text) =>
        WebUtility.HtmlEncode(text).Replace("://", "&#58;//", StringComparison.Ordinal);

    /// <summary>
    /// Markdown text, "|" escaped for the tables. A <paramref name="value"/> (of a name–value table) holding an address
    /// goes in a code span instead, so that renderers do not make it a link.
    /// </summary>
    public static string EscapeMarkdown(string text, bool value = false) =>
        value && text.Contains("://", StringComparison.Ordinal)
            ? $"`{text.Replace("`", "'", StringComparison.Ordinal)}`"
            : text.Replace("|", "\\|", StringComparison.Ordinal);

    private static string Render(string template, string name, object model)
    {
        var templates = Parsed.Value;
        var globals = new ScriptObject { [name] = model };
        globals.Import("h", new Func<string, string>(EscapeHtml));
        globals.Import("md", new Func<string, bool, string>(EscapeMarkdown));
        // No limits: the defaults cut loops at 1000 iterations and strings at 1 MiB (a page's charts are more), with
        // "..." and no error. Unknown names are errors, not blanks.
        var context = new TemplateContext
        {
            TemplateLoader = new Loader(templates), StrictVariables = true, LoopLimit = 0, LimitToString = 0,
        };
        foreach (var (path, parsed) in templates) context.CachedTemplates[path] = parsed;
        context.PushCulture(CultureInfo.InvariantCulture);
        context.PushGlobal(globals);
        return templates[template].Render(context);
    }

    private static Dictionary<string, Template> ParseAll()
    {
        var assembly = typeof(ReportTemplates).Assembly;
        var templates = new Dictionary<string, Template>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            var path = resource[ResourcePrefix.Length..];
            // A checkout with CRLF line ends must not change the pages.
            var parsed = Template.Parse(reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal), path);
            if (parsed.HasErrors) throw new InvalidOperationException($"report template {path}: {string.Join("; ", parsed.Messages)}");
            templates[path] = parsed;
        }
        return templates;
    }

    /// <summary>Resolves <c>include</c> names to the embedded templates, all parsed and cached up front.</summary>
    private sealed class Loader(IReadOnlyDictionary<string, Template> templates) : ITemplateLoader
    {
        public string GetPath(TemplateContext context, SourceSpan callerSpan, string templateName) =>
            templates.ContainsKey(templateName) ? templateName : throw new InvalidOperationException($"no report template {templateName}");

        public string Load(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
            throw new InvalidOperationException($"report template {templatePath} is not cached");

        public ValueTask<string?> LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
            ValueTask.FromResult<string?>(Load(context, callerSpan, templatePath));
    }
}
