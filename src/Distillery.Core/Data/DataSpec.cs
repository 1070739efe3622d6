using System.Text.RegularExpressions;
using Distillery.Storage;

namespace Distillery.Data;

/// <summary>
/// A data source as the user names it, parsed once by <see cref="Parse"/>: a local path, an <c>https://</c> URL
/// (<c>KEY=https://…</c> when its file name is not the location key), <c>location:KEY</c> (Google COVID-19 Open Data v3) or
/// <c>blob:PATH</c> in the artifact store; <see cref="Embedded"/> is the default (US_FL) when none is named.
/// <see cref="ToString"/> gives the text back (<c>Parse(s.ToString()) == s</c>). Loading is
/// <see cref="DataSource.LoadAsync(DataSpec, DataSourceOptions, IArtifactStore?, CancellationToken)"/>.
/// </summary>
public abstract partial record DataSpec
{
    private const string LocationPrefix = "location:", BlobPrefix = "blob:", DatasetsFolder = "datasets/";

    // Closed: only the records below derive from it, so a switch over them is complete.
    private DataSpec() { }

    /// <summary>The embedded default dataset.</summary>
    public static DataSpec Default { get; } = new Embedded();

    /// <summary>Reads one source; bad text throws <see cref="InvalidInputException"/> naming the problem.</summary>
    public static DataSpec Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new InvalidInputException("no data source given");
        text = text.Trim();
        if (text.StartsWith(LocationPrefix, StringComparison.OrdinalIgnoreCase)) return new Location(text[LocationPrefix.Length..]);
        if (text.StartsWith(BlobPrefix, StringComparison.OrdinalIgnoreCase)) return new Blob(text[BlobPrefix.Length..]);
        if (IsUrl(text)) return new Url(text);
        // KEY=URL: not a URL itself ('=' and '_' cannot be in a scheme), so never taken for one above.
        var equals = text.IndexOf('=');
        if (equals > 0 && IsUrl(text[(equals + 1)..])) return new Url(text[(equals + 1)..], text[..equals]);
        return new LocalFile(text);
    }

    /// <summary>A run's sources as <c>ExperimentSettings.Data</c> holds them: comma-separated.</summary>
    public static IReadOnlyList<DataSpec> ParseList(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == 0 ? throw new InvalidInputException("no data source given") : parts.Select(Parse).ToArray();
    }

    /// <summary>The text <see cref="ParseList"/> reads back; null for the embedded default alone (data is then unset).</summary>
    public static string? Join(IReadOnlyList<DataSpec> specs)
    {
        if (specs is [Embedded]) return null;
        if (specs.Count == 0 || specs.Any(s => s is Embedded)) throw new ArgumentException("the embedded default has no text: it is the only source or none", nameof(specs));
        var texts = specs.Select(s => s.ToString()).ToArray();
        return texts.FirstOrDefault(t => t.Contains(',')) is { } comma
            ? throw new InvalidInputException($"data source '{comma}' contains a comma, which separates sources")
            : string.Join(',', texts);
    }

    [GeneratedRegex("^[A-Z]{2}(_[A-Z0-9]+)*$")]
    private static partial Regex LocationKeyRegex();

    public static bool IsLocationKey(string? key) => key is not null && LocationKeyRegex().IsMatch(key);

    /// <summary>Written as a URL (<c>scheme://…</c>): such text never names a local file.</summary>
    private static bool IsUrl(string text) => text.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(text, UriKind.Absolute, out _);

    private static string ValidKey(string key) => IsLocationKey(key)
        ? key
        : throw new InvalidInputException(
            $"invalid location key '{key}': expected a key like US_FL or GB (two capital letters, then optional _PARTS of capitals/digits)");

    /// <summary>The text of the source, which <see cref="Parse"/> reads back (not <see cref="Embedded"/>'s: it has none).</summary>
    public abstract override string ToString();

    /// <summary>A readable name for run folders and results: the location key, the store's datasets/KEY/ folder, or the
    /// file name; only [A-Za-z0-9_-], at most 40 characters.</summary>
    public abstract string LocationName { get; }

    /// <summary>Data the app fetches over https or keeps in its store, never a file on this machine: what the HTTP API accepts.</summary>
    public abstract bool IsRemote { get; }

    /// <summary>The URL to download, for a URL or a location key.</summary>
    public virtual string? DownloadUrl => null;

    /// <summary>The location key a watched dataset retrains; null when it names none (the watcher cannot use it).</summary>
    public virtual string? WatchKey => null;

    private static string Clean(string name)
    {
        var cleaned = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_').ToArray()).Trim('_', '-');
        return cleaned.Length == 0 ? "data" : cleaned.Length > 40 ? cleaned[..40] : cleaned;
    }

    private static string? KeyOrNull(string name) => IsLocationKey(name) ? name : null;

    /// <summary>The US_FL sample shipped with the program (<see cref="Experiments.DefaultData"/>). It has no text:
    /// it is what an unset data means.</summary>
    public sealed record Embedded : DataSpec
    {
        public override string ToString() => "embedded US_FL";
        public override string LocationName => "US_FL";
        public override bool IsRemote => false;
    }

    /// <summary>A CSV file on this machine.</summary>
    public sealed record LocalFile(string Path) : DataSpec
    {
        public override string ToString() => Path;
        public override string LocationName => Clean(System.IO.Path.GetFileNameWithoutExtension(Path));
        public override bool IsRemote => false;
    }

    /// <summary>A URL (checked against the https rule and the host allow-list when fetched); <see cref="Key"/> names its
    /// location when the file name does not (<c>KEY=https://…</c>).</summary>
    public sealed record Url(string Text, string? Key = null) : DataSpec
    {
        public string Text { get; } = IsUrl(Text) ? Text : throw new InvalidInputException($"invalid URL: {Text}");
        public string? Key { get; } = Key is null ? null : ValidKey(Key);
        public Uri Uri => new(Text);
        private string FileName => System.IO.Path.GetFileNameWithoutExtension(Uri.AbsolutePath);
        public override string ToString() => Key is null ? Text : $"{Key}={Text}";
        public override string LocationName => Clean(Key ?? FileName);
        public override bool IsRemote => Uri.Scheme == Uri.UriSchemeHttps;
        public override string DownloadUrl => Text;
        public override string? WatchKey => Key ?? KeyOrNull(FileName);
    }

    /// <summary>A location key such as US_FL: the v3 per-location CSV.</summary>
    public sealed record Location(string Key) : DataSpec
    {
        public string Key { get; } = ValidKey(Key);
        public override string ToString() => LocationPrefix + Key;
        public override string LocationName => Clean(Key);
        public override bool IsRemote => true;
        public override string DownloadUrl => $"https://storage.googleapis.com/covid19-open-data/v3/location/{Key}.csv";
        public override string WatchKey => Key;
    }

    /// <summary>A file in the artifact store, or a folder (ending in '/': a watched dataset's newest version).
    /// Uploads are kept under datasets/KEY/.</summary>
    public sealed record Blob(string Path) : DataSpec
    {
        public string Path { get; } = IsFolderPath(Path) ? ArtifactPath.Validate(Path[..^1]) + "/" : ArtifactPath.Validate(Path);
        public bool IsFolder => IsFolderPath(Path);
        private bool IsDataset => Path.StartsWith(DatasetsFolder, StringComparison.Ordinal);
        private string DatasetKey => Path[DatasetsFolder.Length..].Split('/')[0];
        public override string ToString() => BlobPrefix + Path;
        public override string LocationName => Clean(IsDataset ? DatasetKey : System.IO.Path.GetFileNameWithoutExtension(Path));
        public override bool IsRemote => IsDataset;
        public override string? WatchKey => IsDataset ? KeyOrNull(DatasetKey) : null;
        private static bool IsFolderPath(string path) => path.EndsWith('/');
    }
}
