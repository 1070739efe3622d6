using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net;
using Distillery.Experiments;
using Distillery.Storage;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Timeout;

namespace Distillery.Data;

/// <summary>Options for <see cref="DataSource.LoadAsync"/>.</summary>
public sealed record DataSourceOptions
{
    /// <summary>Client to use; when null one shared client per retry and timeout setting (with retries of transient
    /// faults, no automatic redirects). A supplied client brings its own retries and should have
    /// <c>AllowAutoRedirect = false</c> (if it follows redirects itself, the final URL is still checked).</summary>
    public HttpClient? Http { get; init; }

    /// <summary>Hosts an https:// URL (or a redirect) may point to. Compared case-insensitively.</summary>
    public IReadOnlyCollection<string> AllowedHosts { get; init; } = ["storage.googleapis.com"];

    /// <summary>Only for tests: also allow http:// and https:// URLs whose host is a loopback address (127.0.0.1, ::1, localhost).</summary>
    public bool AllowInsecureLoopback { get; init; }

    /// <summary>Size limit of the file, enforced while reading.</summary>
    public long MaxBytes { get; init; } = RawTableReader.DefaultMaxBytes;

    /// <summary>How long one attempt may wait for the response headers before it counts as a transient fault.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a whole download may take: every attempt, redirect and the body.</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Retries of a transient fault (HTTP 5xx, 408, 429, a reset or refused connection, an attempt's timeout).</summary>
    public int Retries { get; init; } = 3;

    /// <summary>Delay before the first retry; each further one waits about twice as long (with jitter).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>Loads a <see cref="DataSpec"/> into a <see cref="RawTable"/>, and the local-file and URL readers it uses.</summary>
public static class DataSource
{
    public const int MaxRedirects = 5;

    /// <summary>Loads the table named by <paramref name="spec"/>; <c>blob:</c> sources are read from
    /// <paramref name="store"/>. All bad input (missing file, refused URL, a URL answering 4xx, bad CSV) throws
    /// <see cref="InvalidInputException"/>; a URL that stays unreachable (5xx, reset or refused connections, timeouts,
    /// after retries) throws <see cref="SourceUnreachableException"/>.</summary>
    public static async Task<RawTable> LoadAsync(DataSpec spec, DataSourceOptions options, IArtifactStore? store = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return spec switch
        {
            DataSpec.Embedded => LoadFile(DefaultData.Path, options.MaxBytes),
            DataSpec.LocalFile file => LoadFile(file.Path, options.MaxBytes),
            DataSpec.Url url => await LoadUrlAsync(url.DownloadUrl, options, ct).ConfigureAwait(false),
            DataSpec.Location location => await LoadUrlAsync(location.DownloadUrl, options, ct).ConfigureAwait(false),
            DataSpec.Blob blob => await LoadBlobAsync(blob, store ?? throw new ArgumentNullException(nameof(store), $"{blob} is read from an artifact store"),
                options, ct).ConfigureAwait(false),
            // DataSpec is closed (private constructor): the cases above are all there are.
            _ => throw new System.Diagnostics.UnreachableException($"unknown data source {spec.GetType().Name}"),
        };
    }

    /// <summary>Loads the source written as <paramref name="text"/> (see <see cref="DataSpec.Parse"/>); no <c>blob:</c>.</summary>
    public static Task<RawTable> LoadAsync(string text, DataSourceOptions options, CancellationToken ct = default) =>
        LoadAsync(DataSpec.Parse(text), options, null, ct);

    private static async Task<RawTable> LoadBlobAsync(DataSpec.Blob blob, IArtifactStore store, DataSourceOptions options, CancellationToken ct)
    {
        // A folder (a watched dataset's versions) names no one file: the path check says so.
        var bytes = await store.ReadAsync(ArtifactPath.Validate(blob.Path), ct).ConfigureAwait(false)
                    ?? throw new InvalidInputException($"dataset '{blob}' not found in {store.Describe()}");
        using var stream = new MemoryStream(bytes);
        return RawTableReader.Read(stream, blob.ToString(), options.MaxBytes);
    }

    /// <summary>Reads a local CSV file.</summary>
    public static RawTable LoadFile(string path, long maxBytes = RawTableReader.DefaultMaxBytes)
    {
        if (!File.Exists(path))
            throw new InvalidInputException(Directory.Exists(path) ? $"data path is a directory, not a file: {path}" : $"data file not found: {path}");
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            if (fs.Length > maxBytes) throw RawTableReader.TooLarge(path, maxBytes);
            return RawTableReader.Read(fs, path, maxBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"could not read data file {path}: {e.Message}", e);
        }
    }

    /// <summary>Checks <paramref name="url"/> against the rules of <paramref name="options"/>: https only (or loopback http when
    /// <see cref="DataSourceOptions.AllowInsecureLoopback"/>), host in <see cref="DataSourceOptions.AllowedHosts"/>
    /// (or loopback when allowed). Returns the parsed URI or throws <see cref="InvalidInputException"/>.</summary>
    public static Uri CheckUrl(string url, DataSourceOptions options)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            throw new InvalidInputException($"invalid URL: {url}");
        return CheckUrl(uri, options);
    }

    private static Uri CheckUrl(Uri uri, DataSourceOptions options)
    {
        var loopbackOk = options.AllowInsecureLoopback && IsLoopback(uri);
        if (uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && loopbackOk))
            throw new InvalidInputException($"only https:// URLs are allowed: {uri}");
        if (!string.IsNullOrEmpty(uri.UserInfo))
            throw new InvalidInputException($"URLs with user credentials are not allowed: {uri.Scheme}://{uri.Host}{uri.AbsolutePath}");
        if (!loopbackOk && !options.AllowedHosts.Any(h => string.Equals(h, uri.IdnHost, StringComparison.OrdinalIgnoreCase)))
            throw new InvalidInputException(
                $"host '{uri.IdnHost}' is not allowed: {uri} (allowed hosts: {string.Join(", ", options.AllowedHosts)})");
        return uri;
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>Downloads and parses a CSV from an allowed URL, following at most <see cref="MaxRedirects"/> redirects,
    /// each checked with the same rules.</summary>
    public static async Task<RawTable> LoadUrlAsync(string url, DataSourceOptions options, CancellationToken ct = default)
    {
        var fetched = await FetchUrlAsync(url, options, null, ct).ConfigureAwait(false);
        using var buffer = new MemoryStream(fetched.Content);
        return RawTableReader.Read(buffer, fetched.Url, options.MaxBytes);
    }

    /// <summary>
    /// Downloads an allowed URL (redirects re-checked), at most <see cref="DataSourceOptions.MaxBytes"/>. With
    /// <paramref name="known"/> the GET is conditional (If-None-Match / If-Modified-Since): an unchanged resource
    /// answers 304 and comes back as <see cref="UrlFetch.NotModified"/> with no content. Each request is retried on
    /// transient faults by the HTTP layer; a download that still fails is <see cref="SourceUnreachableException"/>.
    /// </summary>
    public static async Task<UrlFetch> FetchUrlAsync(string url, DataSourceOptions options, UrlValidators? known, CancellationToken ct = default)
    {
        var uri = CheckUrl(url, options);
        var http = options.Http ?? SharedClient(options);
        using var download = CancellationTokenSource.CreateLinkedTokenSource(ct);
        download.CancelAfter(options.DownloadTimeout);
        try
        {
            for (var hop = 0; ; hop++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                if (known?.ETag is { } etag && EntityTagHeaderValue.TryParse(etag, out var tag)) request.Headers.IfNoneMatch.Add(tag);
                if (known?.LastModified is { } since) request.Headers.IfModifiedSince = since;
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, download.Token).ConfigureAwait(false);
                // A supplied client may have followed redirects itself: check where it ended.
                if (response.RequestMessage?.RequestUri is { } final && final != uri)
                    CheckRedirect(final, uri, options);

                var code = (int)response.StatusCode;
                var validators = new UrlValidators(response.Headers.ETag?.ToString(), response.Content.Headers.LastModified);
                if (response.StatusCode == HttpStatusCode.NotModified)
                    return new UrlFetch(uri.ToString(), true, [], new UrlValidators(validators.ETag ?? known?.ETag, validators.LastModified ?? known?.LastModified));
                if (code is >= 300 and < 400 && response.Headers.Location is { } location)
                {
                    if (hop + 1 > MaxRedirects)
                        throw new InvalidInputException($"too many redirects (more than {MaxRedirects}) from URL {url}");
                    var next = location.IsAbsoluteUri ? location : new Uri(uri, location);
                    uri = CheckRedirect(next, uri, options);
                    continue;
                }
                var reason = $"HTTP {code} ({response.ReasonPhrase ?? response.StatusCode.ToString()})";
                // The server's trouble, not the user's URL: 5xx, 408 Request Timeout, 429 Too Many Requests.
                if (code >= 500 || code is 408 or 429)
                    throw new SourceUnreachableException($"URL {uri} unreachable: {reason}{Attempts(options)}");
                if (!response.IsSuccessStatusCode)
                    throw new InvalidInputException($"URL {uri} returned {reason}");

                var source = uri.ToString();
                if (response.Content.Headers.ContentLength is long len && len > options.MaxBytes)
                    throw RawTableReader.TooLarge(source, options.MaxBytes);
                var buffer = new MemoryStream();
                await using (var body = await response.Content.ReadAsStreamAsync(download.Token).ConfigureAwait(false))
                await using (var limited = new LimitedReadStream(body, [], options.MaxBytes, source))
                    await limited.CopyToAsync(buffer, 1 << 16, download.Token).ConfigureAwait(false);
                return new UrlFetch(source, false, buffer.ToArray(), validators);
            }
        }
        // Whatever the phase (connecting, headers, body), a network failure or a timeout is transient: retried by the
        // HTTP layer where it can be, by the workflow's activity retries otherwise, never reported as bad input.
        catch (Exception e) when (e is HttpRequestException or IOException && e is not SourceUnreachableException)
        {
            throw new SourceUnreachableException($"URL {uri} unreachable: {OneLine(e)}{Attempts(options)}", e);
        }
        catch (Exception e) when (e is TimeoutRejectedException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            var timeout = download.IsCancellationRequested ? options.DownloadTimeout : options.RequestTimeout;
            throw new SourceUnreachableException($"URL {uri} unreachable: timed out after {timeout.TotalSeconds:0.###} s{Attempts(options)}", e);
        }
    }

    private static string Attempts(DataSourceOptions options) =>
        options.Http is null && options.Retries > 0 ? $" (tried {options.Retries + 1} times)" : "";

    private static string OneLine(Exception e)
    {
        var message = e.InnerException is { } inner && inner.Message.Length > 0 ? $"{e.Message} ({inner.Message})" : e.Message;
        return message.ReplaceLineEndings(" ");
    }

    private static readonly ConcurrentDictionary<(TimeSpan Timeout, int Retries, TimeSpan Delay), HttpClient> Clients = new();

    /// <summary>One client per retry and timeout setting for the whole process (sockets and DNS are pooled, not
    /// opened per download): transient faults retried with exponential back-off, each attempt with its own timeout.</summary>
    private static HttpClient SharedClient(DataSourceOptions options) =>
        Clients.GetOrAdd((options.RequestTimeout, options.Retries, options.RetryDelay), key =>
        {
            var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>();
            if (key.Retries > 0)
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = key.Retries,
                    Delay = key.Delay,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    MaxDelay = TimeSpan.FromSeconds(30), // also caps a server's Retry-After
                });
            pipeline.AddTimeout(key.Timeout); // per attempt: a hung attempt is retried like a failed one
            var handler = new ResilienceHandler(pipeline.Build())
            {
                InnerHandler = new SocketsHttpHandler
                {
                    AllowAutoRedirect = false, // every hop is checked against the allow-list here
                    AutomaticDecompression = DecompressionMethods.All,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(5), // DNS changes are picked up
                    ConnectTimeout = key.Timeout,
                },
            };
            // Timeouts come from the pipeline (per attempt) and DownloadTimeout (per download).
            return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        });

    private static Uri CheckRedirect(Uri next, Uri from, DataSourceOptions options)
    {
        try { return CheckUrl(next, options); }
        catch (InvalidInputException e)
        {
            throw new InvalidInputException($"redirect from {from} refused: {e.Message}", e);
        }
    }
}

/// <summary>HTTP validators of a downloaded resource, for a later conditional GET.</summary>
public sealed record UrlValidators(string? ETag, DateTimeOffset? LastModified);

/// <summary>A download: its final URL (after redirects), whether it was unchanged (304), its bytes and validators.</summary>
public sealed record UrlFetch(string Url, bool NotModified, byte[] Content, UrlValidators Validators);
